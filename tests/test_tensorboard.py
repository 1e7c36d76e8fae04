"""TensorBoard logs: real event files, one folder per fit, losses readable back."""

from pathlib import Path

import numpy as np
from sklearn.model_selection import GridSearchCV

from skae import AutoencoderTransformer


def _scalar_tags_and_values(run_dir):
    """{(subfolder, tag): values} of every per-epoch scalar under ``run_dir``."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    values = {}
    for events in Path(run_dir).rglob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(events.parent))
        accumulator.Reload()
        for tag in accumulator.Tags()["tensors"]:
            if tag.startswith("epoch_"):
                values[(events.parent.name, tag)] = [
                    float(tensor_util.make_ndarray(event.tensor_proto))
                    for event in accumulator.Tensors(tag)
                ]
    return values


def test_every_grid_search_fit_writes_its_own_readable_logs(tmp_path, small_X):
    search = GridSearchCV(
        AutoencoderTransformer(epochs=3, early_stopping=False, log_dir=tmp_path, random_state=0),
        {"n_components": [2, 3]},
        cv=2,
    ).fit(small_X)
    run_dirs = sorted(p for p in tmp_path.iterdir() if p.is_dir())
    assert len(run_dirs) == 2 * 2 + 1  # candidates x folds, plus the refit
    assert search.best_estimator_.log_dir_ in {str(p) for p in run_dirs}
    logged = _scalar_tags_and_values(run_dirs[0])
    train_losses = logged[("train", "epoch_loss")]
    assert len(train_losses) == 3 and all(np.isfinite(train_losses))
    assert ("validation", "epoch_loss") in logged


def test_logged_losses_match_history(tmp_path, small_X):
    ae = AutoencoderTransformer(n_components=2, epochs=4, log_dir=tmp_path, random_state=0)
    ae.fit(small_X)
    logged = _scalar_tags_and_values(ae.log_dir_)
    np.testing.assert_allclose(logged[("train", "epoch_loss")], ae.history_["loss"], rtol=1e-5)
    assert AutoencoderTransformer(n_components=2, epochs=1).fit(small_X).log_dir_ is None


def test_log_dir_without_tensorboard_installed_is_a_clear_error(tmp_path, monkeypatch):
    """Before anything is built or fitted, naming the parameter and the package to install."""
    import importlib.util

    import pytest

    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name == "tensorboard" else real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    X = np.random.default_rng(0).normal(size=(30, 4))
    estimator = AutoencoderTransformer(n_components=2, epochs=1, log_dir=tmp_path)
    with pytest.raises(ImportError, match="log_dir=.* needs the tensorboard package"):
        estimator.fit(X)
    assert not any(hasattr(estimator, name) for name in ("model_", "history_", "offset_"))
    assert list(tmp_path.iterdir()) == []
