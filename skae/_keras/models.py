"""Keras model subclasses with their own ``compute_loss``."""

from . import import_keras

keras = import_keras()
