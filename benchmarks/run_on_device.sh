#!/usr/bin/env bash
# The engine's GPU section on the lent device machine, in one command.
# Here, first: ../shared/device/fetch-wheels.sh (Keras, namex, optree into .whl/)
# and: mkdir -p .device-data && cp ../shared/data/*.npz .device-data/
# Then run, carrying ".whl" and ".device-data":
#   bash benchmarks/run_on_device.sh
# results/engine_gpu.json comes back under $OUT.
set -eu
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax SKAE_DATA=$PWD/.device-data
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 benchmarks/bench_engine.py --device gpu
mkdir -p "${OUT:-/tmp/out}"
cp benchmarks/results/engine_gpu.json "${OUT:-/tmp/out}/"
