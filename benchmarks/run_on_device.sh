#!/usr/bin/env bash
# The engine's GPU section on the lent device machine, in one command.
# Here, first: ../shared/device/fetch-wheels.sh (Keras, namex, optree into .whl/)
# and: mkdir -p .device-data && cp ../shared/data/*0.4.npz .device-data/
# Then run, carrying ".whl" and ".device-data":
#   bash benchmarks/run_on_device.sh
# results/engine_gpu.json and results/gpu_transform_diagnosis.json come back
# under $OUT, with the log of the engine's tests run on the GPU afterwards
# (SKAE_DEVICE_TESTS names them; empty: none). About 5 minutes on an H200.
set -u
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax SKAE_DATA=$PWD/.device-data PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import jax, keras, sklearn, numpy; print('jax', jax.__version__, 'keras', keras.__version__, 'sklearn', sklearn.__version__, 'numpy', numpy.__version__, jax.devices())"
python3 benchmarks/bench_engine.py --device gpu 2>&1 | tee "$OUT/bench_engine_gpu.log"
cp benchmarks/results/engine_gpu.json "$OUT/"
python3 benchmarks/diagnose_gpu_transform.py 2>&1 | tee "$OUT/diagnose_gpu_transform.log"
cp benchmarks/results/gpu_transform_diagnosis.json "$OUT/"
tests=${SKAE_DEVICE_TESTS-tests/test_engine.py}
if [ -n "$tests" ]; then
  timeout "${SKAE_DEVICE_TEST_S:-150}" python3 -m pytest -q -p no:cacheprovider -m "not tensorflow" $tests 2>&1 | tail -40 | tee "$OUT/tests_gpu.log"
fi
