"""skae: scikit-learn-compatible autoencoders on Keras 3.

Importing skae imports neither Keras nor TensorFlow; they load on the first
``fit`` (or when a fitted estimator is unpickled).
"""

from ._base import BaseAutoencoder
from ._conv import ConvAutoencoder
from ._dense import AutoencoderTransformer
from ._impute import AutoencoderImputer
from ._outlier import AutoencoderOutlierDetector
from ._persistence import allow_legacy_format
from ._sequence import SequenceAutoencoder, make_windows, windows_to_timeline
from ._vae import VAETransformer

__version__ = "0.2.0.dev0"

__all__ = [
    "AutoencoderImputer",
    "AutoencoderOutlierDetector",
    "AutoencoderTransformer",
    "BaseAutoencoder",
    "ConvAutoencoder",
    "SequenceAutoencoder",
    "VAETransformer",
    "__version__",
    "allow_legacy_format",
    "make_windows",
    "windows_to_timeline",
]
