"""Matplotlib pictures of fitted skae estimators. Needs matplotlib (``skae[examples]``).

Each function draws on ``ax`` (a new figure's Axes when None) and returns it.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted


def _axes(ax, figsize=(6, 4)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize)[1]


def _tile(images, n_cols, gap=1):
    """Images of one (h, w) shape tiled on a canvas, NaN between them."""
    h, w = images.shape[1:3]
    n_rows = -(-len(images) // n_cols)
    canvas = np.full((n_rows * (h + gap) - gap, n_cols * (w + gap) - gap), np.nan)
    for k, image in enumerate(images):
        r, c = divmod(k, n_cols)
        canvas[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = image
    return canvas


def plot_reconstructions(estimator, X, *, n_samples=8, image_shape=None, ax=None):
    """Originals (top row) above their reconstructions (bottom row).

    Parameters
    ----------
    estimator : fitted transformer with ``inverse_transform``
        A skae estimator, or PCA.
    X : array-like of shape (n_samples, n_features) or images
        Data to reconstruct; the first ``n_samples`` rows are drawn.
    n_samples : int, default=8
        How many samples to show.
    image_shape : tuple of int, default=None
        (height, width) to draw rows as images. Without it, image estimators
        use their ``image_shape_``, 3-D input its own shape, and other rows
        are drawn as line profiles.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import plot_reconstructions
    >>> X = load_digits().data
    >>> ae = AutoencoderTransformer(n_components=8, epochs=3, random_state=0).fit(X)
    >>> ax = plot_reconstructions(ae, X, n_samples=6, image_shape=(8, 8))
    >>> ax.get_title()
    'originals (top), AutoencoderTransformer (bottom)'
    """
    check_is_fitted(estimator)
    X = np.asarray(X)[:n_samples]
    X_hat = np.asarray(estimator.inverse_transform(estimator.transform(X)))
    shape = image_shape or (X.shape[1:3] if X.ndim >= 3 else None)
    if shape is None and getattr(estimator, "image_shape_", (1,))[0] > 1:
        shape = estimator.image_shape_[:2]
    ax = _axes(ax, figsize=(1.2 * len(X), 3) if shape else (6, 4))
    if shape is None:
        for i, (row, row_hat) in enumerate(zip(X, X_hat, strict=True)):
            offset = 3 * i * np.std(X)
            ax.plot(row + offset, color="black", lw=1, label="original" if i == 0 else None)
            ax.plot(
                row_hat + offset,
                color="tab:red",
                lw=1,
                ls="--",
                label="reconstruction" if i == 0 else None,
            )
        ax.set(xlabel="feature", yticks=[], title=f"{type(estimator).__name__} reconstructions")
        ax.legend(fontsize=8)
        return ax
    images = np.concatenate(
        [X.reshape(len(X), *shape[:2], -1)[..., 0], X_hat.reshape(len(X), *shape[:2], -1)[..., 0]]
    )
    ax.imshow(_tile(images, len(X)), cmap="gray", interpolation="nearest")
    ax.set(xticks=[], yticks=[], title=f"originals (top), {type(estimator).__name__} (bottom)")
    return ax


def plot_latent(estimator, X, y=None, *, dims=(0, 1), ax=None):
    """Scatter of two latent dimensions of ``transform(X)``, coloured by ``y``.

    Parameters
    ----------
    estimator : fitted transformer
    X : array-like
        Data to encode.
    y : array-like of shape (n_samples,), default=None
        Labels for the colours.
    dims : tuple of two int, default=(0, 1)
        The latent dimensions drawn.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import plot_latent
    >>> X, y = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=2, epochs=3, random_state=0).fit(X)
    >>> ax = plot_latent(ae, X, y)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('z0', 'z1')
    """
    check_is_fitted(estimator)
    Z = np.asarray(estimator.transform(X))
    if Z.shape[1] < 2:
        raise ValueError(f"plot_latent needs at least 2 latent dimensions, got {Z.shape[1]}.")
    ax = _axes(ax, figsize=(5, 5))
    points = ax.scatter(
        Z[:, dims[0]], Z[:, dims[1]], c=y, cmap="tab10" if y is not None else None, s=10
    )
    if y is not None:
        ax.figure.colorbar(points, ax=ax, label="label")
    ax.set(
        xlabel=f"z{dims[0]}", ylabel=f"z{dims[1]}", title=f"{type(estimator).__name__} latent space"
    )
    return ax


def plot_history(estimator, *, ax=None):
    """Training curves from ``history_``: every recorded quantity per epoch.

    Parameters
    ----------
    estimator : fitted skae estimator
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import plot_history
    >>> X = load_digits().data
    >>> ae = AutoencoderTransformer(n_components=4, epochs=3, random_state=0).fit(X)
    >>> [line.get_label() for line in plot_history(ae).get_lines()]
    ['loss', 'val_loss']
    """
    check_is_fitted(estimator, "history_")
    ax = _axes(ax)
    for name, values in estimator.history_.items():
        epochs = np.arange(1, len(values) + 1)
        ax.plot(epochs, values, ls="--" if name.startswith("val_") else "-", label=name)
    ax.set(xlabel="epoch", ylabel="loss", title=f"{type(estimator).__name__} training")
    ax.legend(fontsize=8)
    return ax


def plot_reconstruction_curve(estimators, X, *, ax=None):
    """Reconstruction R² on X against ``n_components``, one line per model family.

    PCA's explained-variance curve, extended to autoencoders: for each fitted
    estimator (PCA included), ``1 - sum((X - X_hat)**2) / sum((X - mean)**2)``.

    Parameters
    ----------
    estimators : list of fitted transformers with ``n_components``
    X : array-like of shape (n_samples, n_features)
        Data to reconstruct (held-out data gives the honest picture).
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from sklearn.decomposition import PCA
    >>> from skae.plotting import plot_reconstruction_curve
    >>> X = load_digits().data
    >>> models = [PCA(n).fit(X) for n in (2, 4)] + [
    ...     AutoencoderTransformer(n, epochs=3, random_state=0).fit(X) for n in (2, 4)
    ... ]
    >>> sorted(line.get_label() for line in plot_reconstruction_curve(models, X).get_lines())
    ['AutoencoderTransformer', 'PCA']
    """
    X = np.asarray(X, dtype=np.float64)
    total = np.sum((X - X.mean(axis=0)) ** 2)
    curves = {}
    for estimator in estimators:
        check_is_fitted(estimator)
        X_hat = np.asarray(estimator.inverse_transform(estimator.transform(X))).reshape(X.shape)
        r2 = 1 - np.sum((X - X_hat) ** 2) / total
        curves.setdefault(type(estimator).__name__, []).append((estimator.n_components, r2))
    ax = _axes(ax)
    for name, points in curves.items():
        n, r2 = zip(*sorted(points), strict=True)
        ax.plot(n, r2, "o-", label=name)
    ax.set(xlabel="n_components", ylabel="reconstruction R²", title="Variance explained")
    ax.legend(fontsize=8)
    return ax


def plot_explained_variance(estimator, pca=None, *, ax=None):
    """Cumulative explained variance against the number of codes, PCA's curve beside it.

    Parameters
    ----------
    estimator : fitted estimator with ``explained_variance_ratio_``
        An skae estimator fitted with ``ordered=True`` (or a PCA).
    pca : fitted PCA, default=None
        Drawn beside the estimator, for its first as many components.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import plot_explained_variance
    >>> X = load_digits().data
    >>> ae = AutoencoderTransformer(8, ordered=True, epochs=3, random_state=0).fit(X)
    >>> ax = plot_explained_variance(ae, pca=PCA(8).fit(X))
    >>> [line.get_label() for line in ax.get_lines()]
    ['AutoencoderTransformer', 'PCA']
    """
    ratios = getattr(estimator, "explained_variance_ratio_", None)
    if ratios is None:
        check_is_fitted(estimator)
        raise ValueError(
            f"{type(estimator).__name__} has no explained_variance_ratio_: fit it with "
            "ordered=True, whose codes are ordered as PCA's components."
        )
    ax = _axes(ax)
    for model in (estimator, pca):
        if model is None:
            continue
        cumulative = np.cumsum(model.explained_variance_ratio_)
        ax.plot(np.arange(1, len(cumulative) + 1), cumulative, "o-", ms=3,
                label=type(model).__name__)  # fmt: skip
    ax.set(
        xlabel="number of codes (components)",
        ylabel="cumulative explained variance",
        ylim=(0, 1),
        title="Explained variance",
    )
    ax.legend(fontsize=8)
    return ax
