"""Where ``transform``'s time goes on a GPU: host checks, host standardising, copies.

Run on the device machine (JAX backend) after ``bench_engine.py --device gpu``
(see run_on_device.sh). Prints one JSON line and writes
results/gpu_transform_diagnosis.json. Each figure is the median of 5 runs
after a warm-up, for 100,000 x 784 float32 rows and the dense 784-256-32
model of the GPU section:

- ``device_put_whole_s``: one 313 MB host-to-device copy (pageable memory);
- ``device_put_chunks_s``: the same rows as 4,096-row chunks, as transform sends them;
- ``validate_s`` / ``standardize_threads_s``: scikit-learn's checks, and the
  standardising of every chunk in 8 threads, on the host without copies;
- ``skae_transform_s``: ``AutoencoderTransformer.transform``;
- ``device_standardize_s``: the same encoder on the raw float32 chunks with
  the standardising inside the compiled program, each chunk copied by its
  compiled call (copies do not overlap);
- ``device_standardize_overlapped_s``: the same, with the raw chunks copied
  by ``jax.device_put`` from 8 threads, as skae copies its prepared chunks.
  The two ``device_standardize`` lines are what moving the standardising to
  the device would give; skae does not do it today.
"""

import concurrent.futures
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))


def main():
    import jax
    from _common import median_seconds, save
    from bench_engine import TRANSFORM_ROWS, import_keras, mnist_like

    from skae import AutoencoderTransformer

    def median_time(function):
        return median_seconds(function, repeats=5)

    import_keras()
    X = mnist_like(60_000)
    ae = AutoencoderTransformer(
        32,
        hidden_layer_sizes=(256,),
        batch_size=256,
        epochs=1,
        validation_fraction=0.0,
        early_stopping=False,
        random_state=0,
    ).fit(X)
    many = np.ascontiguousarray(np.concatenate([X, X])[:TRANSFORM_ROWS])
    chunks = [many[i : i + 4096] for i in range(0, len(many), 4096)]

    def put_whole():
        jax.device_put(many).block_until_ready()

    def put_chunks():
        for array in [jax.device_put(chunk) for chunk in chunks]:
            array.block_until_ready()

    def standardize_threads():
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(ae._network_input, chunks))

    model = ae.encoder_
    weights = (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
    )
    offset = jax.device_put(ae.offset_.astype(np.float32))
    factor = np.float32(1.0 / ae.scale_)

    @jax.jit
    def infer_raw(weights, x, offset):
        out, _ = model.stateless_call(*weights, (x - offset) * factor, training=False)
        return out

    def device_standardize():
        outs = [infer_raw(weights, chunk, offset) for chunk in chunks]
        return np.concatenate([np.asarray(out) for out in outs])

    def device_standardize_overlapped():
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            outs = [infer_raw(weights, x, offset) for x in pool.map(jax.device_put, chunks)]
        return np.concatenate([np.asarray(out) for out in outs])

    gap = np.abs(device_standardize() - ae.transform(many)).max()
    gap_overlapped = np.abs(device_standardize_overlapped() - ae.transform(many)).max()
    result = {
        "device": str(jax.devices()[0]),
        "rows": TRANSFORM_ROWS,
        "bytes": many.nbytes,
        "device_put_whole_s": median_time(put_whole),
        "device_put_chunks_s": median_time(put_chunks),
        "validate_s": median_time(lambda: ae._validate_input(many, reset=False)),
        "standardize_threads_s": median_time(standardize_threads),
        "skae_transform_s": median_time(lambda: ae.transform(many)),
        "device_standardize_s": median_time(device_standardize),
        "device_standardize_max_abs_gap": float(gap),
        "device_standardize_overlapped_s": median_time(device_standardize_overlapped),
        "device_standardize_overlapped_max_abs_gap": float(gap_overlapped),
        "prepare_threads": min(8, os.cpu_count() or 1),
    }
    result["device_put_gb_per_s"] = many.nbytes / result["device_put_whole_s"] / 1e9
    for key in ("skae_transform_s", "device_standardize_s", "device_standardize_overlapped_s"):
        result[key[: -len("_s")] + "_rows_per_s"] = TRANSFORM_ROWS / result[key]
    print(result, flush=True)
    save("gpu_transform_diagnosis", result)


if __name__ == "__main__":
    main()
