"""The training engine: epoch-level callbacks, and compiled programs reused across fits."""

import concurrent.futures
import os
import subprocess
import sys
import threading

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from skae import AutoencoderTransformer, ConvAutoencoder

FAST = dict(hidden_layer_sizes=(16,), epochs=3, random_state=0)


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, sorted(logs)))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch))


def test_callbacks_get_every_epoch_and_one_batch_call_per_epoch(small_X):
    seen = []

    class Keep(Recorder):
        def __init__(self):
            super().__init__()
            self.calls = seen

    AutoencoderTransformer(2, batch_size=8, callbacks=[Keep()], **FAST).fit(small_X)
    steps = -(-36 // 8)  # 40 rows, 4 held out for validation
    expected = []
    for epoch in range(3):
        expected += [("batch_end", steps - 1), ("epoch_end", epoch, ["loss", "val_loss"])]
    assert seen == expected


@pytest.mark.parametrize(
    "make_callback, epochs_at_full_rate, rates",
    [
        (
            lambda: keras.callbacks.LearningRateScheduler(
                lambda epoch, lr: lr if epoch == 0 else 0.0
            ),
            1,
            [1e-3, 0.0, 0.0, 0.0],
        ),
        (
            lambda: keras.callbacks.ReduceLROnPlateau(
                monitor="loss", factor=0.0, patience=0, min_delta=1e9
            ),
            2,
            [1e-3, 1e-3, 0.0, 0.0],
        ),
    ],
    ids=["LearningRateScheduler", "ReduceLROnPlateau"],
)
def test_a_callback_that_changes_the_learning_rate_changes_training(
    digits, make_callback, epochs_at_full_rate, rates
):
    """A rate a callback sets to 0 freezes the weights (Adam's step is then 0):
    four epochs give exactly the model of the epochs before it. The compiled
    programs hold their own copy of the optimizer's state; they used to keep
    training at the first rate."""
    X = digits[0][:300]
    settings = dict(validation_fraction=0.0, early_stopping=False, hidden_layer_sizes=(16,))
    frozen = AutoencoderTransformer(
        4, epochs=4, callbacks=[make_callback()], random_state=0, **settings
    ).fit(X)
    before = AutoencoderTransformer(4, epochs=epochs_at_full_rate, random_state=0, **settings).fit(
        X
    )
    assert frozen.history_["learning_rate"] == pytest.approx(rates)
    np.testing.assert_array_equal(frozen.transform(X), before.transform(X))


def _stop_epoch(val_losses, target, last_epoch, window):
    """The epoch StopOutOfReach stops after for these val_loss values, or None."""
    from skae._keras.engine import StopOutOfReach

    callback = StopOutOfReach(target, last_epoch, window)
    model = keras.Sequential()
    model.stop_training = False
    callback.set_model(model)
    for epoch, loss in enumerate(val_losses):
        callback.on_epoch_end(epoch, {"loss": 1.0, "val_loss": loss})
        if callback.model.stop_training:
            assert callback.stopped_epoch == epoch
            return epoch
    return None


def test_training_stops_once_the_loss_to_reach_is_out_of_reach():
    # Falling 0.01 an epoch from 2.0, the last of 100 epochs ends at 1.01.
    falling = 2.0 - 0.01 * np.arange(100)
    assert _stop_epoch(falling, 1.015, 100, 10) is None
    assert _stop_epoch(falling, 1.005, 100, 10) == 10  # as soon as a rate is known
    # A loss that flattens: out of reach once its recent rate cannot get there.
    flattening = 1.1 + np.exp(-np.arange(100) / 10.0)
    stop = _stop_epoch(flattening, 1.0, 100, 10)
    best, rate = flattening[stop], (flattening[stop - 10] - flattening[stop]) / 10
    assert best - rate * (100 - stop - 1) > 1.0  # out of reach when it stopped
    best, rate = flattening[stop - 1], (flattening[stop - 11] - flattening[stop - 1]) / 10
    assert best - rate * (100 - stop) <= 1.0  # and not one epoch before


def test_the_loss_to_reach_stops_nothing_once_reached_or_before_a_window():
    flat = np.full(50, 2.0)
    assert _stop_epoch(flat[:10], 1.0, 50, 10) is None  # no rate before a window has passed
    assert _stop_epoch(flat, 1.0, 50, 10) == 10
    reached = np.concatenate([[2.0, 0.9], np.full(48, 1.5)])  # the best is under the target
    assert _stop_epoch(reached, 1.0, 50, 10) is None
    rising = 2.0 + 0.1 * np.arange(50)  # the best so far is extrapolated, not the last loss
    assert _stop_epoch(rising, 1.0, 50, 10) == 10
    assert _stop_epoch([np.nan] * 20, 1.0, 50, 10) is None  # left to the non-finite stop


def test_fits_running_at_once_in_threads_equal_fits_one_after_the_other(digits):
    """Two fits of one architecture in two threads (joblib's threading backend, a
    Dask worker with several threads), kept in step epoch by epoch: each trains
    as it would alone. On TensorFlow they used to share one working model."""
    X = digits[0][:400]
    halves = (X[:200], X[200:])

    def codes(rows, callbacks=None):
        ae = AutoencoderTransformer(3, callbacks=callbacks, **FAST).fit(rows)
        return ae.transform(X)

    alone = [codes(rows) for rows in halves]
    in_step = threading.Barrier(2)

    class InStep(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            in_step.wait(timeout=120)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda rows: codes(rows, [InStep()]), halves))
    for one, other in zip(alone, together, strict=True):
        np.testing.assert_array_equal(one, other)


def test_a_reused_compiled_program_trains_exactly_as_a_fresh_one(digits):
    from skae._keras import engine

    programs = engine._backend_module().PROGRAMS
    X = digits[0][:300]
    other = digits[0][300:600]
    programs.clear()
    fresh = AutoencoderTransformer(3, **FAST).fit(X)
    n_programs = len(programs)
    assert n_programs >= 1
    # Same architecture (another seed sets only initial values): reused.
    AutoencoderTransformer(3, **{**FAST, "random_state": 1}).fit(other)
    reused = AutoencoderTransformer(3, **FAST).fit(X)
    assert len(programs) == n_programs
    assert reused.history_ == fresh.history_
    np.testing.assert_array_equal(reused.transform(X), fresh.transform(X))


def test_a_network_that_cannot_be_rebuilt_from_its_config_trains_on_its_own(digits):
    """A user's layer that is not registered cannot be copied into a shared
    worker (TensorFlow) or described for the cache: the model trains alone."""
    from networks_for_tests import unregistered_layer_encoder

    X = digits[0][:200]
    a = AutoencoderTransformer(3, encoder=unregistered_layer_encoder, **FAST).fit(X)
    b = AutoencoderTransformer(3, encoder=unregistered_layer_encoder, **FAST).fit(X)
    assert a.history_["loss"][-1] < a.history_["loss"][0]
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


def test_the_users_own_keras_model_keeps_working_beside_skae_fits(digits):
    X = digits[0][:200].astype("float32")
    inputs = keras.Input((64,))
    model = keras.Model(inputs, keras.layers.Dense(64)(keras.layers.Dense(8)(inputs)))
    model.compile(keras.optimizers.Adam(1e-2), "mse")
    before = model.fit(X, X, epochs=2, verbose=0).history["loss"]
    prediction = model.predict(X[:5], verbose=0)
    for seed in range(3):
        AutoencoderTransformer(3, **{**FAST, "random_state": seed}).fit(X)
    np.testing.assert_array_equal(model.predict(X[:5], verbose=0), prediction)
    after = model.fit(X, X, epochs=2, verbose=0).history["loss"]
    assert after[-1] < before[0]  # it still trains, on its own weights


@pytest.mark.fresh_process
def test_a_jax_fit_and_its_pickle_do_not_import_tensorflow():
    # Keras' serialisation would import TensorFlow (2 s) to rule out its types
    # when skae keys its compiled programs by the model's configuration, and
    # when it pickles the fitted model.
    code = """
import pickle, sys
import numpy as np
from keras.src.utils import module_utils
from skae import AutoencoderTransformer
X = np.random.default_rng(0).random((40, 5))
ae = AutoencoderTransformer(2, hidden_layer_sizes=(4,), epochs=2, random_state=0).fit(X)
assert "tensorflow" not in sys.modules, "a JAX fit imported TensorFlow"
copy = pickle.loads(pickle.dumps(ae))
assert "tensorflow" not in sys.modules, "pickling on JAX imported TensorFlow"
np.testing.assert_array_equal(copy.transform(X), ae.transform(X))
assert module_utils.tensorflow._available is None, "Keras' lazy module was left decided"
"""
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def _jax_on_cpu():
    if keras.backend.backend() != "jax":
        return False
    import jax

    return jax.default_backend() == "cpu"


# On a GPU, XLA's convolution and matrix kernels round differently in the two
# programs (TF32, other algorithms), and the choice is XLA:CPU's alone.
@pytest.mark.skipif(not _jax_on_cpu(), reason="the JAX engine's two programs on XLA's CPU")
def test_a_convolutional_model_on_the_cpu_trains_step_by_step_as_in_one_scan(monkeypatch):
    # On XLA:CPU a convolution inside a scan is ~30x slower, so such models
    # run one compiled step per batch; both programs train the same model
    # up to float32 rounding (their XLA programs fuse differently).
    from skae._keras import engine_jax, engine_loop

    images = load_digits().images[:96] / 16.0
    codes = {}
    for stepwise in (True, False):
        monkeypatch.setattr(engine_jax, "PROGRAMS", engine_loop.ProgramCache(4))
        monkeypatch.setattr(engine_jax, "_convolves_on_cpu", lambda model, x, s=stepwise: s)
        ae = ConvAutoencoder(4, filters=(4,), epochs=3, flip_horizontal=True, random_state=0)
        codes[stepwise] = ae.fit(images).transform(images)
    np.testing.assert_allclose(codes[True], codes[False], rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not _jax_on_cpu(), reason="a decision of the JAX engine on XLA's CPU")
def test_only_convolutional_models_run_step_by_step_on_the_cpu(digits):
    from skae._keras import engine_jax

    digits = digits[0]
    conv = ConvAutoencoder(2, image_shape=(8, 8), filters=(4,), epochs=1, random_state=0)
    dense = AutoencoderTransformer(2, **FAST)
    conv.fit(digits[:64])
    dense.fit(digits[:64])
    probe = digits[:4].reshape(4, 8, 8, 1).astype("float32")
    assert engine_jax._convolves_on_cpu(conv.model_, probe)
    assert not engine_jax._convolves_on_cpu(dense.model_, digits[:4].astype("float32"))


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="the JAX engine's inference chunks")
def test_inference_chunks_prepared_in_threads_come_in_order_and_raise():
    from skae._keras import engine_jax

    starts = range(0, 1000, 7)
    threaded = list(engine_jax._prepared(lambda start: start * 2, starts, threads=True))
    assert threaded == [start * 2 for start in starts]

    def fails_at_49(start):
        if start == 49:
            raise ValueError("Input X contains NaN.")
        return start

    with pytest.raises(ValueError, match="Input X contains NaN"):
        list(engine_jax._prepared(fails_at_49, starts, threads=True))


@pytest.mark.parametrize(
    "make",
    [
        lambda: AutoencoderTransformer(2, **FAST),
        lambda: ConvAutoencoder(2, image_shape=(8, 8), filters=(4,), epochs=1, random_state=0),
    ],
    ids=["dense", "conv"],
)
def test_float32_rows_standardised_in_the_compiled_call_equal_the_host_path(digits, make):
    # transform of float32 rows standardises them inside the inference call
    # (JAX) or on the host beside it: bit for bit what standardising the
    # whole of X on the host first gives
    from skae._keras import engine

    X = digits[0][:200].astype(np.float32) * 3.0 + 0.5
    ae = make().fit(X)
    prepare, scaling = ae._network_input_plan(X)
    assert scaling is not None
    host = engine.predict(ae.encoder_, X, ae._network_input)
    np.testing.assert_array_equal(ae.transform(X), host)
    assert ae._network_input_plan(X.astype(np.float64))[1] is None


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="the JAX engine's inference chunks")
def test_inference_compiles_a_bounded_number_of_programs_for_any_number_of_rows(small_X):
    from skae._keras import engine_jax

    ae = AutoencoderTransformer(2, **FAST).fit(small_X)
    program = engine_jax._inference_program(ae.encoder_)
    rng = np.random.default_rng(0)

    def transform_all():
        for n_rows in (1, 7, 4096, 10_000):
            X = rng.random((n_rows, small_X.shape[1]))
            ae.transform(X)
            ae.transform(X.astype(np.float32))  # standardised inside the program

    transform_all()
    compiled = program._cache_size()
    # one program per chunk size used (1, 16, 4096), for each of the two inputs
    assert compiled <= 2 * len(engine_jax.PREDICT_SIZES)
    transform_all()
    assert program._cache_size() == compiled


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="the JAX engine's epoch programs")
def test_the_short_last_batch_runs_in_the_call_of_the_full_ones(digits, monkeypatch):
    from skae._keras import engine_jax, engine_loop

    X = digits[0][:300]  # 270 training rows: 8 batches of 32 and one of 14
    engine_jax.PROGRAMS.clear()
    fitted = AutoencoderTransformer(3, batch_size=32, **FAST).fit(X)
    (programs,) = engine_jax.PROGRAMS.entries.values()
    assert programs["train"]._cache_size() == 1  # one program, not one per batch size
    # The same epochs run as separate calls (the last batch alone) train the
    # same model bit for bit.
    engine_jax.PROGRAMS.clear()
    monkeypatch.setattr(engine_loop, "JOIN_LAST_BATCH", False)
    apart = AutoencoderTransformer(3, batch_size=32, **FAST).fit(X)
    (programs,) = engine_jax.PROGRAMS.entries.values()
    assert programs["train"]._cache_size() == 2
    assert apart.history_ == fitted.history_
    np.testing.assert_array_equal(apart.transform(X), fitted.transform(X))


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="the TensorFlow engine's epoch function"
)
def test_the_tensorflow_epoch_function_traces_the_step_once_and_runs_every_batch():
    import tensorflow as tf

    from skae._keras import engine_tensorflow

    def model():
        dense = keras.layers.Dense(3, kernel_initializer="ones")
        net = keras.Sequential([keras.Input((3,)), dense])
        net.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        return net

    x = np.arange(12, dtype="float32").reshape(4, 3) / 12
    looped, stepped = model(), model()
    looped._symbolic_build(data_batch=(x, x))
    traced = []

    def step(data):
        traced.append(data)
        return looped.train_step(data)

    spec = (tf.TensorSpec((None, 3), tf.float32), (), ())  # FitData.arrays(): inputs only
    epoch = engine_tensorflow._epoch_function(looped, step, False, True, spec)
    rows = np.array([[0, 1], [2, 3]], dtype=np.int32)
    logs = epoch((x, (), ()), rows, np.zeros(rows.shape, dtype=bool))
    assert len(traced) == 1  # one copy of the step in the graph, in the loop
    losses = [stepped.train_on_batch(x[r], x[r]) for r in rows]
    np.testing.assert_allclose(float(logs["loss"]), np.mean(losses), rtol=1e-6)
    for a, b in zip(looped.get_weights(), stepped.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize(
    "shape", [(64, 128), (128, 8), (784, 32), (3, 3, 1, 4), (3, 3, 8, 16), (5,)]
)
@pytest.mark.parametrize("seed", [0, 42, 300, 2**31 - 1, 2**32 - 1])
def test_skae_glorot_uniform_gives_keras_own_values_bit_for_bit(shape, seed):
    from skae._keras import initial_values
    from skae._keras.initial_values import GlorotUniform

    expected = np.asarray(keras.initializers.GlorotUniform(seed=seed)(shape, dtype="float32"))
    drawn = np.asarray(GlorotUniform(seed=seed)(shape, dtype="float32"))
    assert drawn.dtype == np.float32 and drawn.shape == shape
    np.testing.assert_array_equal(drawn.view(np.uint32), expected.view(np.uint32))
    if keras.backend.backend() == "jax":  # drawn on the host, not by a compiled program
        assert initial_values.initial_uniform(seed, shape, -0.5, 0.5) is not None


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="the JAX engine's host draws")
def test_host_multiply_add_rounds_once_as_exact_arithmetic_would():
    from fractions import Fraction

    from skae._keras.initial_values import _fused_multiply_add

    def rounded_to_float32(exact):
        near = np.float32(float(exact))
        candidates = [
            near,
            np.nextafter(near, np.float32(-np.inf)),
            np.nextafter(near, np.float32(np.inf)),
        ]
        distance = [abs(Fraction(float(c)) - exact) for c in candidates]
        best = min(distance)
        ties = [c for c, d in zip(candidates, distance, strict=True) if d == best]
        return min(ties, key=lambda c: int(np.array(c).view(np.uint32)) & 1)  # ties to even

    rng = np.random.default_rng(0)
    a = rng.random(2000).astype(np.float32)
    b, c = np.float32(0.173), np.float32(-0.0865)
    # One case where the float64 sum lands exactly halfway between two
    # float32s although the exact value lies just below: 1 + 2**-23 +
    # 2**-24 - 2**-70. Rounding the float64 sum would give 1 + 2**-22.
    a_tie = np.array([2.0**-24 * (1 + 2.0**-23)], dtype=np.float32)
    b_tie, c_tie = np.float32(1 - 2.0**-23), np.float32(1 + 2.0**-23)
    for a_, b_, c_ in ((a, b, c), (a_tie, b_tie, c_tie)):
        got = _fused_multiply_add(a_, b_, c_)
        exact = [Fraction(float(x)) * Fraction(float(b_)) + Fraction(float(c_)) for x in a_]
        want = np.array([rounded_to_float32(e) for e in exact], dtype=np.float32)
        np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))
    assert _fused_multiply_add(a_tie, b_tie, c_tie)[0] == np.float32(1 + 2.0**-23)


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="the JAX engine's host draws")
def test_another_jax_generator_setting_leaves_the_draw_to_keras():
    import jax

    from skae._keras import initial_values
    from skae._keras.initial_values import GlorotUniform

    before = jax.config.jax_threefry_partitionable
    jax.config.update("jax_threefry_partitionable", False)
    try:
        assert initial_values.initial_uniform(7, (16, 4), -0.5, 0.5) is None
        expected = np.asarray(keras.initializers.GlorotUniform(seed=7)((16, 4), dtype="float32"))
        drawn = np.asarray(GlorotUniform(seed=7)((16, 4), dtype="float32"))
    finally:
        jax.config.update("jax_threefry_partitionable", before)
    np.testing.assert_array_equal(drawn, expected)


def test_skae_zeros_and_adam_are_keras_own_values_and_updates():
    from skae._keras.initial_values import Adam, Zeros

    for dtype in ("float32", "int32"):
        zeros = np.asarray(Zeros()((3, 4), dtype))
        np.testing.assert_array_equal(zeros, np.zeros((3, 4)))
        assert zeros.dtype == np.dtype(dtype)
    if keras.backend.backend() == "jax":  # made on the host, not compiled
        assert isinstance(Zeros()((3, 4), "float32"), np.ndarray)

    def trained(optimizer):
        net = keras.Sequential(
            [keras.Input((3,)), keras.layers.Dense(2, kernel_initializer="ones")]
        )
        net.compile(optimizer=optimizer, loss="mse")
        x = np.arange(12, dtype="float32").reshape(4, 3) / 12
        for _ in range(3):
            net.train_on_batch(x, x[:, :2])
        return net.get_weights() + [np.asarray(v) for v in net.optimizer.variables]

    ours, keras_own = trained(Adam(1e-2)), trained(keras.optimizers.Adam(1e-2))
    for a, b in zip(ours, keras_own, strict=True):
        np.testing.assert_array_equal(a, b)


def test_optimizer_adam_resolves_to_skae_adam_whose_slots_start_from_skae_zeros(monkeypatch):
    from skae._keras import builders
    from skae._keras.initial_values import Adam, Zeros

    optimizer = builders.resolve_optimizer("adam", 0.005)
    assert type(optimizer) is Adam
    assert float(np.asarray(optimizer.learning_rate)) == pytest.approx(0.005)
    assert type(builders.resolve_optimizer("sgd", 0.005)) is keras.optimizers.SGD
    made = []
    original = Zeros.__call__

    def counted(self, shape, dtype=None):
        made.append(tuple(shape))
        return original(self, shape, dtype)

    monkeypatch.setattr(Zeros, "__call__", counted)
    weights = [keras.Variable(np.ones((3, 2), "float32")), keras.Variable(np.ones(2, "float32"))]
    optimizer.build(weights)
    assert sorted(made) == sorted([(3, 2), (3, 2), (2,), (2,)])  # momentum and velocity each


def _weighted_dense():
    return AutoencoderTransformer(3, hidden_layer_sizes=(8,), epochs=3, random_state=0)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="the Model.fit fallback, checked on TensorFlow"
)
@pytest.mark.parametrize("case", ["weighted dense", "sequence with a forecast", "imputer"])
def test_the_model_fit_fallback_trains_as_the_compiled_engine(case, monkeypatch, digits):
    """Other backends run Model.fit on the same batches (engine_model_fit): the
    same model up to float32 rounding of the differently compiled steps."""
    from skae import AutoencoderImputer, SequenceAutoencoder, make_windows
    from skae._keras import engine, engine_model_fit

    X = digits[0][:200]
    fit_args, make = (X,), _weighted_dense
    kwargs = {"sample_weight": np.linspace(0.5, 2.0, len(X))}
    if case == "sequence with a forecast":
        windows, future = make_windows(np.sin(np.arange(200) / 4.0), window=8, n_future=2)
        fit_args, kwargs = (windows, future), {}

        def make():
            # The 0.1 network: the fallback's concern is a model of two
            # outputs (the forecast), not the layers (and it builds faster).
            return SequenceAutoencoder(
                2,
                units=4,
                n_future=2,
                epochs=3,
                random_state=0,
                bidirectional=False,
                linear_skip=False,
            )

    elif case == "imputer":
        holes = X.copy()
        holes[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan
        fit_args, kwargs = (holes,), {}

        def make():
            return AutoencoderImputer(
                n_components=3, hidden_layer_sizes=(8,), epochs=3, random_state=0
            )

    compiled = make().fit(*fit_args, **kwargs)
    # What another backend gets: no session class, Model.fit and its predict.
    monkeypatch.setattr(engine, "_session_class", lambda: None)
    monkeypatch.setattr(engine, "_backend_module", lambda: engine_model_fit)
    fallback_runs = []
    fallback_train = engine_model_fit.train
    monkeypatch.setattr(
        engine_model_fit,
        "train",
        lambda fit, callbacks: fallback_runs.append(fit) or fallback_train(fit, callbacks),
    )
    fallback = make().fit(*fit_args, **kwargs)
    assert fallback_runs, "the fallback did not train"
    losses = [getattr(m, "autoencoder_", m).history_["loss"] for m in (fallback, compiled)]
    assert len(losses[0]) == len(losses[1])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)
    expected = compiled.transform(fit_args[0])
    scale = np.sqrt(np.mean(expected**2))
    np.testing.assert_allclose(fallback.transform(fit_args[0]), expected, atol=1e-4 * scale)
