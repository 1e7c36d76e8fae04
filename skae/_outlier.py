"""AutoencoderOutlierDetector: outliers are what the autoencoder reconstructs badly."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.stats import _weighted_percentile
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data


class AutoencoderOutlierDetector(OutlierMixin, BaseEstimator):
    """Outlier and novelty detection by reconstruction quality.

    Wraps any skae estimator, fits it on the training data, and scores each
    sample by the estimator's ``score_samples``: the negative reconstruction
    error for the autoencoders, the ELBO for :class:`VAETransformer`. Low
    scores are outliers. The API is scikit-learn's outlier detectors'
    (:class:`~sklearn.ensemble.IsolationForest`,
    ``LocalOutlierFactor(novelty=True)``).

    The threshold ``offset_`` is set on the training scores: with
    ``contamination`` a fraction, it is that quantile of them; with ``"auto"``
    it is the lower Tukey fence of the training scores (first quartile minus
    1.5 interquartile ranges), a rule that assumes no contamination level.
    The training scores are used, not a held-out part, so the autoencoder
    sees all the data; overfitting, which would make training scores
    optimistic, is held back by the estimator's early stopping on its
    validation split.

    There is no ``partial_fit``: the threshold is a quantile of all the
    training scores, which needs all the training rows at once.

    Parameters
    ----------
    estimator : skae estimator, default=None
        The autoencoder to fit and score with (cloned). None means
        ``AutoencoderTransformer(random_state=random_state)``.
    contamination : "auto" or float in (0, 0.5], default="auto"
        Expected fraction of outliers in the training data.
    random_state : int, RandomState instance or None, default=None
        Seeds the estimator: the default one, or the clone of a given
        ``estimator`` whose own ``random_state`` is None. A ``random_state``
        set on the given estimator wins.

    Attributes
    ----------
    estimator_ : skae estimator
        The fitted autoencoder.
    offset_ : float
        ``decision_function = score_samples - offset_``; negative is an outlier.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.ensemble.IsolationForest : Tree-based outlier detection.
    sklearn.neighbors.LocalOutlierFactor : Density-based outlier detection.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import AutoencoderOutlierDetector, AutoencoderTransformer
    >>> X = np.random.default_rng(0).normal(size=(200, 5))
    >>> detector = AutoencoderOutlierDetector(
    ...     AutoencoderTransformer(n_components=2, epochs=5, random_state=0),
    ...     contamination=0.05,
    ... ).fit(X)
    >>> detector.predict(np.full((1, 5), 10.0))
    array([-1])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "score_samples"]), None],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator=None, *, contamination="auto", random_state=None):
        self.estimator = estimator
        self.contamination = contamination
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the autoencoder on X and set the threshold from its scores.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (mostly inliers).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row, given to the estimator's ``fit`` and used for
            the threshold (weighted quantiles of the training scores). A row
            of weight 0 is left out of both.

        Returns
        -------
        self : object
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        if self.estimator is None:
            from ._dense import AutoencoderTransformer

            estimator = AutoencoderTransformer(random_state=self.random_state)
        else:
            estimator = clone(self.estimator)
            if estimator.get_params().get("random_state", 0) is None:
                estimator.set_params(random_state=self.random_state)
        if sample_weight is None:
            self.estimator_ = estimator.fit(X)
            self.offset_ = _threshold(self.estimator_.score_samples(X), None, self.contamination)
            return self
        weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        self.estimator_ = estimator.fit(X, sample_weight=weights)
        kept = weights > 0
        scores = self.estimator_.score_samples(X[kept])
        weights = weights[kept]
        uniform = np.all(weights == weights[0])
        self.offset_ = _threshold(scores, None if uniform else weights, self.contamination)
        return self

    def predict(self, X):
        """+1 for inliers, -1 for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return np.where(self.decision_function(X) >= 0, 1, -1)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        decision : ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def score_samples(self, X):
        """The wrapped estimator's score: higher is more normal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return self.estimator_.score_samples(X)


def _threshold(scores, weights, contamination):
    """The lower Tukey fence (``"auto"``) or the ``contamination`` quantile of scores.

    With weights, the quantiles are weighted (each score counts as often as
    its weight says).
    """

    def quantiles(ranks):
        if weights is None:
            return np.percentile(scores, ranks)
        return [_weighted_percentile(scores, weights, rank, average=True) for rank in ranks]

    if contamination == "auto":
        q1, q3 = quantiles([25, 75])
        return float(q1 - 1.5 * (q3 - q1))
    return float(quantiles([100 * contamination])[0])
