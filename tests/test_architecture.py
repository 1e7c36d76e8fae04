"""The shape of the fit's way through the code (issue 32), checked so that it stays."""

import ast
import importlib.util
from pathlib import Path

from skae._base import BaseAutoencoder

ROOT = Path(__file__).resolve().parents[1]


def _walk_fit_module():
    spec = importlib.util.spec_from_file_location("walk_fit", ROOT / "tools" / "walk_fit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_walk_of_x_through_fit_stays_within_its_targets():
    stays, visited, returns, climbs = _walk_fit_module().walk()
    path = " -> ".join(stays)
    assert len(stays) <= 16, path
    assert returns <= 5, path
    assert climbs == 0, path
    # It starts in the template and ends in the estimator's own hook.
    assert stays[0] == "_base.py" and stays[-1] == "_dense.py", path


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def test_no_estimator_overrides_the_fit_template():
    import new_estimator  # noqa: F401  (the test-only estimator, a subclass too)

    import skae._impute  # noqa: F401  (the imputer's inner, private network)

    estimators = set(_subclasses(BaseAutoencoder))
    names = {estimator.__name__ for estimator in estimators}
    assert {"AutoencoderTransformer", "_MaskedAutoencoder", "SparseAutoencoder"} <= names, names
    for estimator in estimators:
        assert estimator._fit is BaseAutoencoder._fit, estimator.__name__


def test_layers_import_no_engine_module():
    tree = ast.parse((ROOT / "skae" / "_keras" / "layers.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert imported, "layers.py imports nothing: the check would pass vacuously"
    assert not [name for name in imported if "engine" in name], imported
