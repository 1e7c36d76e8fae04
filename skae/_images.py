"""Image input for the convolutional estimators: flat rows or image arrays."""

import numpy as np

from ._layout import sample_layout


class ImageInputMixin:
    """Accept flat pixel rows with ``image_shape`` or image arrays; answer in kind.

    Sets ``image_shape_`` (height, width, channels) at fit. Rows without
    ``image_shape`` are one-pixel-high single-channel images (1, n_features, 1).
    ``inverse_transform`` returns the layout ``fit`` saw. Place it left of
    :class:`~skae._base.BaseAutoencoder`.
    """

    def inverse_transform(self, X):
        """Decode latent codes to images, in the layout and units ``fit`` saw.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Latent codes.

        Returns
        -------
        X_original : ndarray
            Flat rows (n_samples, n_features) when fitted on rows, else images
            (n_samples, height, width[, channels]).
        """
        rows = super().inverse_transform(X)
        return rows.reshape((len(rows), *self._input_image_shape))

    def _validate_input(self, X, reset):
        X, sample_shape = sample_layout(X, (2, 3))
        image_input = sample_shape is not None
        if image_input:
            if reset:
                self._input_image_shape = sample_shape
            elif sample_shape != tuple(self.image_shape_[: len(sample_shape)]):
                raise ValueError(
                    f"X holds images of shape {sample_shape}, but {type(self).__name__} "
                    f"was fitted on images of shape {self.image_shape_}."
                )
        X = super()._validate_input(X, reset)
        if reset:
            self.image_shape_ = self._resolve_image_shape(X.shape[1], image_input)
            if not image_input:
                self._input_image_shape = (X.shape[1],)
        return X

    def _resolve_image_shape(self, n_features, image_input):
        if image_input:
            shape = tuple(self._input_image_shape)
        elif self.image_shape is None:
            shape = (1, n_features)
        else:
            shape = tuple(int(s) for s in self.image_shape)
        if len(shape) == 2:
            shape = (*shape, 1)
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(
                "image_shape must be (height, width) or (height, width, channels) of "
                f"positive integers, got {self.image_shape!r}."
            )
        if image_input and self.image_shape is not None:
            given = tuple(self.image_shape) + (() if len(self.image_shape) == 3 else (1,))
            if given != shape:
                raise ValueError(
                    f"image_shape={tuple(self.image_shape)!r} does not match the images' "
                    f"shape {tuple(self._input_image_shape)}."
                )
        if int(np.prod(shape)) != n_features:
            raise ValueError(
                f"image_shape={tuple(self.image_shape)!r} holds {int(np.prod(shape))} values "
                f"per image, but X has {n_features} features per row."
            )
        return shape

    def _to_network(self, X_std):
        return X_std.reshape((len(X_std), *self.image_shape_))

    def _from_network(self, output):
        return np.asarray(output).reshape(len(output), -1)


def flip_half_horizontally(x, y, rng):
    """Mirror a random half of the images left-right; the target is the input."""
    flip = rng.random(len(x)) < 0.5
    x = x.copy()
    x[flip] = x[flip, :, ::-1]
    return x, x
