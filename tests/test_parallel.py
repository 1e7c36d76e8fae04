"""Parallel and distributed searches: joblib's process workers and a real Dask cluster."""

import json
import os
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_validate

from skae import AutoencoderTransformer
from skae._keras import thread_limit

GRID = {"n_components": [2, 4]}


def small_search(n_jobs=None):
    estimator = AutoencoderTransformer(hidden_layer_sizes=(16,), epochs=3, random_state=0)
    return GridSearchCV(estimator, GRID, cv=2, n_jobs=n_jobs)


@pytest.fixture(scope="module")
def X(digits):
    return digits[0][:400]


@pytest.fixture(scope="module")
def local_search(X):
    return small_search().fit(X)


def test_thread_limit_reads_omp_num_threads():
    assert thread_limit({"OMP_NUM_THREADS": "1"}) == 1
    assert thread_limit({"OMP_NUM_THREADS": " 3 "}) == 3
    assert thread_limit({}) is None
    assert thread_limit({"OMP_NUM_THREADS": "0"}) is None
    assert thread_limit({"OMP_NUM_THREADS": "4,2"}) is None  # a nested OpenMP list


PROBE = """
import json, sys
import numpy as np
import tensorflow as tf
from skae import AutoencoderTransformer
AutoencoderTransformer(epochs=1, random_state=0).fit(np.random.default_rng(0).normal(size=(20, 3)))
threading = tf.config.threading
print(json.dumps([threading.get_intra_op_parallelism_threads(),
                  threading.get_inter_op_parallelism_threads()]))
"""


def tensorflow_pools(**env):
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.fresh_process
@pytest.mark.tensorflow
def test_tensorflow_pools_follow_omp_num_threads():
    """A worker's limit sizes TensorFlow's intra-op pool; a plain process is left alone."""
    assert tensorflow_pools(OMP_NUM_THREADS="1") == [1, 0]
    assert tensorflow_pools() == [0, 0]  # 0: TensorFlow chose its own sizes


@pytest.mark.fresh_process
def test_joblib_process_workers_equal_local_run(X, local_search):
    parallel = small_search(n_jobs=2).fit(X)
    np.testing.assert_array_equal(
        parallel.cv_results_["mean_test_score"], local_search.cv_results_["mean_test_score"]
    )


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="needs the dask extra")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.fresh_process
def test_grid_search_on_dask_cluster_equals_local_run(dask_client, X, local_search):
    search = small_search()
    with joblib.parallel_backend("dask"):
        search.fit(X)
    worker_pids = dask_client.run(os.getpid)
    assert len(worker_pids) == 2 and os.getpid() not in worker_pids.values()
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], local_search.cv_results_["mean_test_score"]
    )
    assert search.best_params_ == local_search.best_params_
    np.testing.assert_array_equal(search.transform(X), local_search.transform(X))


@pytest.mark.fresh_process
def test_fitted_estimators_travel_back_from_dask_workers(dask_client, X):
    """Estimators fitted in worker processes come back by pickle and still work."""
    estimator = AutoencoderTransformer(
        n_components=3, hidden_layer_sizes=(16,), epochs=3, random_state=0
    )
    with joblib.parallel_backend("dask"):
        remote = cross_validate(estimator, X, cv=2, return_estimator=True)
    local = cross_validate(estimator, X, cv=2, return_estimator=True)
    for from_worker, fitted_here in zip(remote["estimator"], local["estimator"], strict=True):
        np.testing.assert_array_equal(from_worker.transform(X), fitted_here.transform(X))
        assert from_worker.history_ == fitted_here.history_
