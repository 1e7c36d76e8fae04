"""skae: scikit-learn-compatible autoencoders on Keras 3.

Importing skae imports neither Keras nor TensorFlow; they load on the first
``fit`` (or when a fitted estimator is unpickled).
"""

from ._base import BaseAutoencoder
from ._conv import ConvAutoencoder
from ._dense import AutoencoderTransformer
from ._vae import VAETransformer

__version__ = "0.1.0"

__all__ = [
    "AutoencoderTransformer",
    "BaseAutoencoder",
    "ConvAutoencoder",
    "VAETransformer",
    "__version__",
]
