"""What a saved estimator holds: plain data only (numpy-only; no Keras here).

A fitted estimator's pickled state (``__getstate__``, which ``pickle``,
``joblib`` and ``skops.io`` all use) holds numbers, strings, lists, dicts and
numpy arrays: the Keras model as its configuration in JSON plus its
variables' values (:mod:`skae._keras.models`), and the sample layout as a
dict. Loading rebuilds the model with Keras' ``safe_mode``; no bytes from the
file are ever unpickled by skae, so a ``.skops`` file runs no code (the
``pickle`` or ``joblib`` file around the state is another matter: those
formats run whatever a crafted file names, which is why skops is the
recommended format for files from elsewhere).

Files written before this format kept the model as pickle bytes inside the
state. They are refused unless the caller asks for them by name with
:func:`allow_legacy_format`, and even then the bytes are read by an
unpickler that rebuilds only dicts, lists and numpy arrays.
"""

import contextlib
import contextvars
import io
import pickle

from ._layout import FittedLayout

_legacy_allowed = contextvars.ContextVar("skae_legacy_format_allowed", default=False)


@contextlib.contextmanager
def allow_legacy_format():
    """Load estimators saved in skae's earlier format, inside this block only.

    Earlier versions of skae stored the fitted Keras model as pickle bytes
    inside the saved estimator; skae now refuses those files, because pickle
    bytes can name any code to run. Inside this block they load: their model
    bytes are read by a restricted unpickler that rebuilds dicts, lists,
    strings, numbers and numpy arrays only, and refuses anything else. The
    file around them is read by whatever you call (``joblib.load`` runs any
    code a crafted file holds), so use this only for files you made or trust,
    and save them again (``skops.io.dump``) to have them in the new format.

    Examples
    --------
    The file name is a placeholder, so this example is not run:

    >>> import joblib
    >>> from skae import allow_legacy_format
    >>> with allow_legacy_format():  # doctest: +SKIP
    ...     model = joblib.load("made-by-an-older-skae.joblib")
    """
    token = _legacy_allowed.set(True)
    try:
        yield
    finally:
        _legacy_allowed.reset(token)


class _PlainDataUnpickler(pickle.Unpickler):
    """Rebuilds numpy arrays and Python's plain containers; refuses every other global."""

    _ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("builtins", "list"),
        ("builtins", "dict"),
        ("builtins", "tuple"),
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"The saved model names {module}.{name}, which is not plain data: refused."
        )


def _legacy_model_state(data):
    """The model state of an earlier skae's file, as :func:`saved_state` would write it."""
    from ._keras.models import MODEL_STATE_FORMAT

    state = _PlainDataUnpickler(io.BytesIO(data)).load()
    import json

    return {
        "format": MODEL_STATE_FORMAT,
        "config": json.dumps(state["config"]),
        "variables": list(state["variables"]),
    }


def saved_state(state):
    """An estimator's ``__getstate__``, as plain data."""
    state = dict(state)
    if isinstance(state.get("layout_"), FittedLayout):
        state["layout_"] = dict(vars(state["layout_"]))
    if "model_" in state:
        from ._keras import models

        state = models.saved_state(state)
    return state


def loaded_state(state, estimator_name):
    """Inverse of :func:`saved_state`: the layout and the Keras model rebuilt."""
    state = dict(state)
    if isinstance(state.get("layout_"), dict):
        state["layout_"] = FittedLayout(**state["layout_"])
    model = state.get("model_")
    if model is None:
        return state
    if isinstance(model, bytes):
        if not _legacy_allowed.get():
            raise ValueError(
                f"This {estimator_name} was saved by an earlier skae, which stored its Keras "
                "model as pickle bytes, and pickle bytes can run any code when loaded: skae "
                "no longer reads them. If you made or trust this file, load it inside "
                "`with skae.allow_legacy_format():` and save it again (skops.io.dump) to "
                "convert it."
            )
        state["model_"] = _legacy_model_state(model)
    from ._keras import models

    return models.loaded_state(state)
