"""Whether mirrored or shifted images still look like the data: the ``"auto"`` augmentations.

``ConvAutoencoder`` can train on left-right mirrors of its images
(``flip_horizontal``) and on images shifted by a pixel (``translate``).
Either helps where the changed images are as plausible as the images (faces,
natural images) and hurts where they are not (a mirrored 2, a digit moved
off the centre of an 8 x 8 grid). ``"auto"`` asks the training data: PCA
with a few components, fitted on the images, must reconstruct the changed
images almost as well as the images themselves.
"""

import numpy as np
from sklearn.decomposition import PCA

# PCA(8) fitted on the images reconstructs their mirror images with 1.08 x
# its error on the images on all of LFW (resize 0.4), and with 1.83 x on all
# of load_digits, where a mirrored 2, 3 or 7 is no digit (measured with this
# module's own computation; with 4-32 components: 1.05-1.20 and 1.6-4.7).
# Their one-pixel shifts (the mean over the 8 shifts): 1.12 x on LFW (1.09 x
# at resize 0.5) and 2.75 x on the digits.
ERROR_RATIO = 1.25
N_COMPONENTS = 8
MAX_ROWS = 2000

#: The shift, in pixels, ``translate="auto"`` trains with where shifted
#: images look like the data (``benchmarks/bench_conv_translate.py``).
AUTO_TRANSLATE = 1


def mirror_symmetric(X, image_shape):
    """True when the left-right mirrors of the images in X look like the images.

    ``X`` holds one image of ``image_shape`` (height, width, channels) per
    row, flat or not; only up to ``MAX_ROWS`` evenly spaced rows are read
    (by index, so memmaps and out-of-core rows work). PCA with
    ``N_COMPONENTS`` components (at most half the rows) is fitted on them;
    the images count as mirror-symmetric when it reconstructs their mirrors
    within ``ERROR_RATIO`` x its error on the images. Images one pixel
    wide or high (flat rows read as a 1-D signal), too few rows, or rows PCA
    reconstructs exactly never count.
    """
    return _changed_images_fit(X, image_shape, lambda images: [images[:, :, ::-1]])


def shift_invariant(X, image_shape, pixels=AUTO_TRANSLATE):
    """True when the images in X shifted by ``pixels`` look like the images.

    As :func:`mirror_symmetric`, with the mean error over the eight shifts
    of ``pixels`` (up, down, left, right and diagonally, the border filled
    as training fills it) in place of the mirrors' error.
    """

    def shifted(images):
        side = 2 * pixels
        margin = ((0, 0), (pixels, pixels), (pixels, pixels), (0, 0))
        padded = np.pad(images, margin, mode="symmetric")
        height, width = images.shape[1:3]
        return [
            padded[:, row : row + height, column : column + width]
            for row in (0, pixels, side)
            for column in (0, pixels, side)
            if (row, column) != (pixels, pixels)
        ]

    return _changed_images_fit(X, image_shape, shifted)


def _changed_images_fit(X, image_shape, change):
    """Whether PCA fitted on (some of) the images reconstructs ``change(images)`` well."""
    height, width = image_shape[:2]
    if height < 2 or width < 2:
        return False
    rows = np.arange(0, len(X), max(1, len(X) // MAX_ROWS))[:MAX_ROWS]
    images = np.asarray(X[rows], dtype=np.float64).reshape(len(rows), *image_shape)
    n_components = min(N_COMPONENTS, len(rows) // 2, images[0].size - 1)
    if n_components < 1:
        return False
    flat = images.reshape(len(rows), -1)
    pca = PCA(n_components, svd_solver="full").fit(flat)

    def error(values):
        values = values.reshape(len(values), -1)
        return float(np.mean((values - pca.inverse_transform(pca.transform(values))) ** 2))

    own = error(flat)
    changed = float(np.mean([error(images) for images in change(images)]))
    return own > 0 and changed <= ERROR_RATIO * own
