"""Everything that touches Keras lives in this sub-package.

It is imported lazily, from ``fit`` and from unpickling, so that ``import skae``
stays as cheap as importing scikit-learn.
"""

import contextlib
import os
import sys

_thread_limit_checked = False


def import_keras():
    """Import Keras (and its backend) on first use and return the module.

    The one environment write skae allows itself: before TensorFlow is first
    imported, a default for its C++ log level, so that users do not see its
    start-up INFO lines. A value the user already set is left alone.

    On first use, TensorFlow's thread pools also follow the process's thread
    limit when one is set (see :func:`follow_thread_limit`).
    """
    if "keras" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    global _thread_limit_checked
    if not _thread_limit_checked:
        _thread_limit_checked = True
        follow_thread_limit(keras)
    return keras


def thread_limit(environ=os.environ):
    """The thread limit set for this process by ``OMP_NUM_THREADS``, or None.

    joblib's process workers (``n_jobs``), Dask's worker processes and Ray's
    tasks set ``OMP_NUM_THREADS`` so that the BLAS / OpenMP libraries of each
    worker share the cores instead of each taking all of them.
    """
    value = environ.get("OMP_NUM_THREADS", "").strip()
    try:
        n_threads = int(value)
    except ValueError:
        return None
    return n_threads if n_threads > 0 else None


def follow_thread_limit(keras):
    """Size TensorFlow's intra-op pool by ``OMP_NUM_THREADS``, where it is set.

    TensorFlow ignores ``OMP_NUM_THREADS``: every joblib or Dask worker would
    run each operation on a pool as wide as the whole machine, so workers
    sharing the cores oversubscribe them. Where the process has a thread limit
    and nobody has configured TensorFlow's pools (neither
    ``TF_NUM_INTRAOP_THREADS`` / ``TF_NUM_INTEROP_THREADS`` nor
    ``tf.config.threading``), the intra-op pool - the threads one operation
    is split over, the counterpart of OpenMP's - gets that many threads. The
    inter-op pool, which runs independent operations and the input pipeline
    side by side, is left alone: capping it too was measured slower
    (``benchmarks/bench_parallel.py``). A process without ``OMP_NUM_THREADS``
    - a plain single ``fit`` - is left exactly as TensorFlow configures
    itself. The pools are fixed once TensorFlow's runtime has started, so a
    process that ran TensorFlow code before its first skae fit keeps its
    pools. Other backends are left alone (JAX reads its own ``XLA_FLAGS``).
    """
    n_threads = thread_limit()
    if n_threads is None or keras.backend.backend() != "tensorflow":
        return
    if os.environ.get("TF_NUM_INTRAOP_THREADS") or os.environ.get("TF_NUM_INTEROP_THREADS"):
        return
    import tensorflow as tf

    threading = tf.config.threading
    try:
        if threading.get_intra_op_parallelism_threads() == 0:  # 0: TensorFlow's default
            threading.set_intra_op_parallelism_threads(n_threads)
    except RuntimeError:
        pass  # the runtime has started: its pools are fixed for this process


@contextlib.contextmanager
def tensorflow_not_imported_for_configs():
    """Keep Keras' serialisation from importing TensorFlow just to rule out its types.

    Keras' ``serialize_keras_object`` asks whether TensorFlow is importable
    (to recognise ``tf.TensorShape`` and ``tf.DType``), and the first ask
    imports it: 2.3 s of a first fit, or of a first pickling, on the JAX
    backend when TensorFlow is installed. While TensorFlow is not imported no
    object of its types can exist, so for the length of the serialisation
    Keras is told it is absent; its lazy module is then restored to
    undecided, as it was. (Another thread asking Keras in that window whether
    TensorFlow is importable is told no.)
    """
    try:
        from keras.src.utils import module_utils

        lazy = module_utils.tensorflow
        undecided = "tensorflow" not in sys.modules and lazy._available is None
    except (ImportError, AttributeError):  # another Keras layout: let it import
        undecided = False
    if not undecided:
        yield
        return
    lazy._available = False
    try:
        yield
    finally:
        lazy._available = None
