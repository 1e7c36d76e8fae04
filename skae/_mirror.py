"""Whether left-right mirroring keeps images like the data: ``flip_horizontal="auto"``."""

import numpy as np
from sklearn.decomposition import PCA

# PCA(8) fitted on the images reconstructs their mirror images with 1.08 x
# its error on the images on all of LFW (resize 0.4), and with 1.83 x on all
# of load_digits, where a mirrored 2, 3 or 7 is no digit (measured with this
# function's own computation; with 4-32 components: 1.05-1.20 and 1.6-4.7).
MIRROR_ERROR_RATIO = 1.25
N_COMPONENTS = 8
MAX_ROWS = 2000


def mirror_symmetric(X, image_shape):
    """True when the left-right mirrors of the images in X look like the images.

    ``X`` holds one image of ``image_shape`` (height, width, channels) per
    row, flat or not; only up to ``MAX_ROWS`` evenly spaced rows are read
    (by index, so memmaps and out-of-core rows work). PCA with
    ``N_COMPONENTS`` components (at most half the rows) is fitted on them;
    the images count as mirror-symmetric when it reconstructs their mirrors
    within ``MIRROR_ERROR_RATIO`` x its error on the images. Images one pixel
    wide or high (flat rows read as a 1-D signal), too few rows, or rows PCA
    reconstructs exactly never count.
    """
    height, width = image_shape[:2]
    if height < 2 or width < 2:
        return False
    rows = np.arange(0, len(X), max(1, len(X) // MAX_ROWS))[:MAX_ROWS]
    images = np.asarray(X[rows], dtype=np.float64).reshape(len(rows), *image_shape)
    n_components = min(N_COMPONENTS, len(rows) // 2, images[0].size - 1)
    if n_components < 1:
        return False
    flat = images.reshape(len(rows), -1)
    mirrored = images[:, :, ::-1].reshape(len(rows), -1)
    pca = PCA(n_components, svd_solver="full").fit(flat)

    def error(values):
        return float(np.mean((values - pca.inverse_transform(pca.transform(values))) ** 2))

    own = error(flat)
    return own > 0 and error(mirrored) <= MIRROR_ERROR_RATIO * own
