"""AutoencoderOutlierDetector: scikit-learn's outlier API, thresholds, real novelty."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from skae import AutoencoderOutlierDetector, AutoencoderTransformer, VAETransformer

FAST_AE = AutoencoderTransformer(n_components=8, epochs=30, random_state=0)


@pytest.fixture(scope="module")
def novelty_split(digits_split):
    """Train on digits 0-8; test on held-out 0-8 (inliers) and every 9 (novelty)."""
    Xtr, Xte, ytr, yte = digits_split
    return Xtr[ytr != 9], Xte[yte != 9], np.concatenate([Xtr[ytr == 9], Xte[yte == 9]])


def test_an_unseen_digit_scores_lower_than_held_out_inliers(novelty_split):
    train, inliers, novel = novelty_split
    detector = AutoencoderOutlierDetector(FAST_AE).fit(train)
    scores = detector.score_samples(np.vstack([inliers, novel]))
    labels = np.r_[np.ones(len(inliers)), np.zeros(len(novel))]
    assert roc_auc_score(labels, scores) > 0.8


def test_contamination_sets_the_training_outlier_fraction(novelty_split):
    train, _, _ = novelty_split
    detector = AutoencoderOutlierDetector(FAST_AE, contamination=0.1).fit(train)
    assert abs(np.mean(detector.predict(train) == -1) - 0.1) < 0.01
    np.testing.assert_array_equal(
        detector.predict(train), np.where(detector.decision_function(train) >= 0, 1, -1)
    )


def test_auto_threshold_is_the_lower_tukey_fence(novelty_split):
    train, inliers, novel = novelty_split
    detector = AutoencoderOutlierDetector(FAST_AE).fit(train)
    scores = detector.estimator_.score_samples(train)
    q1, q3 = np.percentile(scores, [25, 75])
    assert detector.offset_ == pytest.approx(q1 - 1.5 * (q3 - q1))
    # Most held-out inliers pass; more of the unseen digit is flagged.
    assert np.mean(detector.predict(inliers) == 1) > 0.85
    assert np.mean(detector.predict(novel) == -1) > np.mean(detector.predict(inliers) == -1)


def test_wraps_a_vae_and_scores_by_elbo(novelty_split):
    train, inliers, _ = novelty_split
    vae = VAETransformer(n_components=4, epochs=5, random_state=0)
    detector = AutoencoderOutlierDetector(vae, contamination=0.05).fit(train)
    np.testing.assert_allclose(
        detector.score_samples(inliers), detector.estimator_.score_samples(inliers)
    )
    assert vae.__dict__.get("model_") is None  # the estimator passed is cloned, not fitted


def test_default_estimator_is_seeded_by_random_state():
    X = np.random.default_rng(0).normal(size=(60, 4))
    a = AutoencoderOutlierDetector(random_state=0).fit(X).score_samples(X)
    b = AutoencoderOutlierDetector(random_state=0).fit(X).score_samples(X)
    np.testing.assert_allclose(a, b, rtol=1e-5)
