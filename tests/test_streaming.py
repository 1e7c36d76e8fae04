"""Data larger than memory: memmaps and slice-only array-likes are read in pieces."""

import sys
from pathlib import Path

import numpy as np
import pytest

from skae import (
    AutoencoderTransformer,
    ConvAutoencoder,
    SequenceAutoencoder,
    VAETransformer,
    _streaming,
)
from skae._streaming import OutOfCoreRows
from skae._validation import is_out_of_core

FAST = dict(hidden_layer_sizes=(16,), epochs=3, batch_size=64, random_state=0)


class SliceOnlyArray:
    """An array-like that only answers first-axis slices, and records each read.

    Like an h5py or zarr array that is too large to load: any attempt to turn
    it into a NumPy array as a whole fails the test.
    """

    def __init__(self, data):
        self._data = np.asarray(data)
        self.shape = self._data.shape
        self.dtype = self._data.dtype
        self.reads = []

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError(f"SliceOnlyArray answers first-axis slices only, got {key!r}")
        start, stop, _ = key.indices(len(self._data))
        self.reads.append(stop - start)
        return self._data[key].copy()

    def __len__(self):
        return len(self._data)

    def __array__(self, dtype=None, copy=None):
        raise AssertionError("the whole array was converted to a NumPy array")


def write_memmap(tmp_path, X, name="X.npy"):
    path = Path(tmp_path) / name
    np.save(path, X)
    return np.load(path, mmap_mode="r")


@pytest.fixture
def digits32(digits):
    return digits[0].astype(np.float32)


def test_is_out_of_core(tmp_path, digits32):
    import pandas as pd
    import scipy.sparse as sp

    assert is_out_of_core(write_memmap(tmp_path, digits32))
    assert is_out_of_core(SliceOnlyArray(digits32))
    assert not is_out_of_core(digits32)
    assert not is_out_of_core(digits32.tolist())
    assert not is_out_of_core(pd.DataFrame(digits32))
    assert not is_out_of_core(sp.csr_matrix(digits32))


def test_memmap_fit_transform_equal_in_memory(tmp_path, digits32):
    X_map = write_memmap(tmp_path, digits32)
    in_memory = AutoencoderTransformer(n_components=4, **FAST).fit(digits32)
    streamed = AutoencoderTransformer(n_components=4, **FAST).fit(X_map)
    np.testing.assert_array_equal(streamed.offset_, in_memory.offset_)
    assert streamed.scale_ == in_memory.scale_
    assert streamed.history_ == in_memory.history_
    Z = streamed.transform(X_map)
    assert Z.dtype == np.float32 and Z.shape == (len(digits32), 4)
    np.testing.assert_array_equal(Z, in_memory.transform(digits32))
    assert streamed.score(X_map) == pytest.approx(in_memory.score(digits32), rel=1e-12)


def test_scaling_statistics_merge_over_blocks(monkeypatch, tmp_path):
    """Chan's merge of block moments equals the statistics of the whole array."""
    X = np.random.default_rng(0).normal(loc=1e4, scale=3.0, size=(1000, 7))
    whole = AutoencoderTransformer(epochs=1, random_state=0)
    whole._fit_scaling(X, None)
    monkeypatch.setattr(_streaming, "BLOCK_ROWS", 64)
    blocked = AutoencoderTransformer(epochs=1, random_state=0)
    blocked._fit_scaling(OutOfCoreRows(write_memmap(tmp_path, X)), None)
    np.testing.assert_allclose(blocked.offset_, whole.offset_, rtol=1e-13)
    assert blocked.scale_ == pytest.approx(whole.scale_, rel=1e-10)
    assert blocked.scale_ == pytest.approx(3.0, rel=0.05)


def test_weighted_scaling_statistics_merge_over_blocks(monkeypatch, tmp_path):
    """Weighted block moments merge to the weighted mean and root mean square."""
    rng = np.random.default_rng(1)
    X = rng.normal(loc=50.0, scale=2.0, size=(1000, 5))
    weights = rng.uniform(0.1, 3.0, size=1000)
    weights /= weights.mean()
    monkeypatch.setattr(_streaming, "BLOCK_ROWS", 64)
    blocked = AutoencoderTransformer(epochs=1, random_state=0)
    blocked._fit_scaling(OutOfCoreRows(write_memmap(tmp_path, X)), weights)
    mean = np.average(X, axis=0, weights=weights)
    rms = np.sqrt(np.average(((X - mean) ** 2).mean(axis=1), weights=weights))
    np.testing.assert_allclose(blocked.offset_, mean, rtol=1e-12)
    assert blocked.scale_ == pytest.approx(rms, rel=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
def test_in_memory_blocks_in_threads_give_the_statistics_of_one_thread(
    monkeypatch, tmp_path, weighted
):
    # in memory the blocks' moments are computed in threads, from a memmap
    # one block after another: the same blocks merged in the same order
    rng = np.random.default_rng(2)
    X = rng.normal(loc=20.0, scale=4.0, size=(1000, 6))
    weights = rng.uniform(0.1, 3.0, size=1000) if weighted else None
    monkeypatch.setattr(_streaming, "BLOCK_ROWS", 64)
    threaded = AutoencoderTransformer(epochs=1, random_state=0)
    threaded._fit_scaling(X, weights)
    one_thread = AutoencoderTransformer(epochs=1, random_state=0)
    one_thread._fit_scaling(OutOfCoreRows(write_memmap(tmp_path, X)), weights)
    np.testing.assert_array_equal(threaded.offset_, one_thread.offset_)
    assert threaded.scale_ == one_thread.scale_


def test_slice_only_array_is_never_loaded_whole(monkeypatch, digits32):
    from skae._keras import engine

    monkeypatch.setattr(_streaming, "BLOCK_ROWS", 500)
    module = engine._backend_module()
    if hasattr(module, "PREDICT_CHUNK"):
        monkeypatch.setattr(module, "PREDICT_CHUNK", 500)
    else:
        monkeypatch.setattr(module, "PREDICT_SIZES", (1, 16, 256, 500))
    X = SliceOnlyArray(digits32)
    ae = AutoencoderTransformer(n_components=4, **FAST).fit(X)
    assert max(X.reads) <= 500
    reference = AutoencoderTransformer(n_components=4, **FAST).fit(digits32)
    assert ae.history_ == reference.history_
    X.reads.clear()
    np.testing.assert_array_equal(ae.transform(X), reference.transform(digits32))
    assert max(X.reads) <= 500
    assert ae.score(X) == pytest.approx(reference.score(digits32), rel=1e-12)


def test_validation_split_and_shuffling_with_memmap(tmp_path, digits32):
    X_map = write_memmap(tmp_path, digits32)
    ae = AutoencoderTransformer(n_components=4, validation_fraction=0.2, **FAST).fit(X_map)
    assert len(ae.history_["val_loss"]) == ae.n_iter_
    reference = AutoencoderTransformer(n_components=4, validation_fraction=0.2, **FAST)
    assert reference.fit(digits32).history_ == ae.history_
    # Another seed shuffles differently, so training differs.
    other = AutoencoderTransformer(n_components=4, validation_fraction=0.2, **FAST)
    other.set_params(random_state=1).fit(X_map)
    assert other.history_["loss"] != ae.history_["loss"]


def test_memmap_with_nan_names_the_problem(tmp_path, digits32):
    X = digits32.copy()
    X[1000, 5] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        AutoencoderTransformer(**FAST).fit(write_memmap(tmp_path, X))
    ae = AutoencoderTransformer(**FAST).fit(digits32)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        ae.transform(write_memmap(tmp_path, X, "nan.npy"))


def test_memmap_wrong_feature_count(tmp_path, digits32):
    ae = AutoencoderTransformer(**FAST).fit(digits32)
    with pytest.raises(ValueError, match="X has 10 features, but AutoencoderTransformer"):
        ae.transform(write_memmap(tmp_path, digits32[:, :10]))


def test_integer_memmap_is_read_as_float64(tmp_path, digits):
    pixels = (digits[0] * 16).astype(np.uint8)
    ae = AutoencoderTransformer(n_components=3, **FAST).fit(write_memmap(tmp_path, pixels))
    Z = ae.transform(write_memmap(tmp_path, pixels, "again.npy"))
    assert Z.dtype == np.float64
    np.testing.assert_allclose(ae.offset_, pixels.mean(axis=0), rtol=1e-12)


def test_image_memmap_for_conv_and_vae(tmp_path, digits32):
    images = write_memmap(tmp_path, digits32.reshape(-1, 8, 8))
    for estimator in (
        ConvAutoencoder(n_components=3, filters=(4,), epochs=2, random_state=0),
        VAETransformer(n_components=2, filters=(4,), epochs=2, random_state=0),
    ):
        estimator.fit(images)
        Z = estimator.transform(images)
        assert Z.shape == (len(digits32), estimator.n_components)
        assert estimator.inverse_transform(Z[:5]).shape == (5, 8, 8)
        assert np.isfinite(estimator.score_samples(images)).all()


def test_sequence_memmap_with_forecast_targets(tmp_path):
    t = np.arange(300 + 12 + 3)
    series = np.sin(2 * np.pi * t / 12)[:, None].astype(np.float32)
    from skae import make_windows

    X, y = make_windows(series, window=12, n_future=3)
    X_map = write_memmap(tmp_path, X)
    # The 0.1 network: what is tested is how the rows are read (and it fits faster).
    small = dict(bidirectional=False, linear_skip=False, epochs=2, random_state=0)
    model = SequenceAutoencoder(n_components=3, units=8, n_future=3, **small)
    streamed = model.fit(X_map, y)
    reference = SequenceAutoencoder(n_components=3, units=8, n_future=3, **small)
    reference.fit(X, y)
    assert streamed.history_ == reference.history_
    np.testing.assert_array_equal(streamed.predict(X_map), reference.predict(X))


def test_memmap_views_and_copy_on_write_read_the_right_rows(tmp_path):
    X = np.arange(5000 * 6, dtype=np.float64).reshape(5000, 6)
    path = tmp_path / "X.npy"
    np.save(path, X)
    mapped = np.load(path, mmap_mode="r")
    for view in (mapped, mapped[1234:], mapped[10:4000]):
        rows = OutOfCoreRows(view)
        assert rows._file is not None  # read from the file, not the mapping
        np.testing.assert_array_equal(rows[:], np.asarray(view))
        picked = np.array([0, 1, 2, 7, 100, 101, len(view) - 1])
        np.testing.assert_array_equal(rows[picked], np.asarray(view)[picked])
    images = np.load(path, mmap_mode="r").reshape(5000, 2, 3)
    np.testing.assert_array_equal(OutOfCoreRows(images)[5:9], X[5:9])
    # Copy-on-write changes live in memory only: read through the mapping.
    changed = np.load(path, mmap_mode="c")
    changed[3] = -1.0
    rows = OutOfCoreRows(changed)
    assert rows._file is None
    np.testing.assert_array_equal(rows[2:5][1], -np.ones(6))
    # A strided view does not hold whole rows in order: read through the mapping.
    np.testing.assert_array_equal(OutOfCoreRows(mapped[::2])[1:3], X[2:6:2])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_reading_a_memmap_keeps_resident_memory_flat(tmp_path):
    """Rows come from the file, not the mapping: mapped pages never pile up."""

    def rss_file_mib():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssFile:"):
                return int(line.split()[1]) / 1024
        pytest.skip("this kernel does not report RssFile")

    X = write_memmap(tmp_path, np.ones((16384, 1024), dtype=np.float32))  # 64 MiB
    rows = OutOfCoreRows(X)
    shuffled = np.sort(np.random.default_rng(0).permutation(len(X))[:4000])
    before = peak = rss_file_mib()
    for block in rows.blocks(1024):
        assert block.sum() == block.size
        peak = max(peak, rss_file_mib())
    assert rows[shuffled].sum() == 4000 * 1024
    grown_streaming = max(peak, rss_file_mib()) - before
    before = rss_file_mib()
    assert np.asarray(X[shuffled]).sum() == 4000 * 1024
    assert float(np.sum(X)) == X.size  # the same data through the mapping
    grown_mapping = rss_file_mib() - before
    assert grown_mapping > 48, f"the measurement cannot see mapped pages ({grown_mapping:.0f})"
    assert grown_streaming < 8, f"{grown_streaming:.0f} MiB of the file became resident"


def test_large_in_memory_arrays_take_the_row_batches_path(monkeypatch, digits32):
    """Above the in-graph (TensorFlow) or on-device (JAX) budget, in-memory data
    is sent batch by batch (or chunk by chunk): the same model."""
    from skae._keras import engine_loop

    in_graph = AutoencoderTransformer(n_components=4, **FAST).fit(digits32)
    monkeypatch.setattr(engine_loop, "DEVICE_BUDGET_BYTES", 0)
    row_batches = AutoencoderTransformer(n_components=4, **FAST).fit(digits32)
    assert row_batches.history_ == in_graph.history_
    np.testing.assert_array_equal(row_batches.transform(digits32), in_graph.transform(digits32))


def test_out_of_core_input_of_the_wrong_dimension_is_an_error(tmp_path, digits32):
    """Like an in-memory array: 1-D or 3-D input to a dense estimator is refused."""
    for X, message in (
        (digits32[:, 0], "Expected 2D array, got 1D array"),
        (digits32.reshape(-1, 8, 8), "Found array with dim 3"),
    ):
        with pytest.raises(ValueError, match=message):
            AutoencoderTransformer(**FAST).fit(write_memmap(tmp_path, X, f"dim{X.ndim}.npy"))
        with pytest.raises(ValueError, match=message):
            AutoencoderTransformer(**FAST).fit(X)


def test_weighted_memmap_fit_equals_the_in_memory_fit(tmp_path, digits):
    """Weights on an out-of-core X: rows of weight 0 are skipped as they are read."""
    X = digits[0][:400]
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=len(X))
    weights[::5] = 0
    params = dict(n_components=4, epochs=3, early_stopping=False, random_state=0)
    streamed = AutoencoderTransformer(**params).fit(
        write_memmap(tmp_path, X), sample_weight=weights
    )
    in_memory = AutoencoderTransformer(**params).fit(X, sample_weight=weights)
    np.testing.assert_allclose(streamed.offset_, in_memory.offset_, rtol=1e-12)
    np.testing.assert_allclose(streamed.transform(X), in_memory.transform(X), rtol=1e-5, atol=1e-6)
