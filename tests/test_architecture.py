"""The shape of the fit's way through the code (issue 32), checked so that it stays."""

import ast
import importlib.util
import inspect
from pathlib import Path

import skae
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


def test_no_estimator_overrides_the_fit_template():
    estimators = [
        member
        for _, member in inspect.getmembers(skae, inspect.isclass)
        if issubclass(member, BaseAutoencoder)
    ]
    assert len(estimators) >= 4
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
