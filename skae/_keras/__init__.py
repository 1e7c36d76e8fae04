"""Everything that touches Keras lives in this sub-package.

It is imported lazily, from ``fit`` and from unpickling, so that ``import skae``
stays as cheap as importing scikit-learn.
"""

import os
import sys


def import_keras():
    """Import Keras (and its backend) on first use and return the module.

    The one environment write skae allows itself: before TensorFlow is first
    imported, a default for its C++ log level, so that users do not see its
    start-up INFO lines. A value the user already set is left alone.
    """
    if "keras" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras
