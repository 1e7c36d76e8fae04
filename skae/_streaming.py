"""Data larger than memory: rows of a memmap or any sliceable array, read in pieces.

skae reads such data - a :class:`numpy.memmap`, or an array-like with ``shape``,
``dtype`` and first-axis slicing such as an h5py or zarr array - block by block
and never as a whole: the scaling statistics, every training batch and every
``transform`` chunk are separate reads. The statistics that one pass over the
blocks gives (:func:`value_range`, :func:`moments`) are here too, for data
in memory as well.

A memmap is read from its file with ``pread`` rather than through its
mapping: pages read through a mapping stay in the process's resident memory
(the kernel maps whole fault-around windows or large folios around each
touched row), so random batches would make the resident size grow to the
file's. Reading the file keeps the data in the kernel's page cache only.
"""

import concurrent.futures
import itertools
import mmap
import os
import weakref

import numpy as np
from sklearn.utils import assert_all_finite

# Rows per block in the passes that read all the data (scaling, transform).
BLOCK_ROWS = 4096


class OutOfCoreRows:
    """Rows of a large array-like, each read as a float array when asked for.

    Looks like a 2-D array to skae's estimators: ``len``, ``shape``, ``dtype``
    (float32 for float32 data, float64 otherwise, as scikit-learn converts)
    and ``rows[start:stop]`` / ``rows[sorted_indices]``. Images or sequences
    (more than two dimensions) are flattened per row. Every read is checked
    for NaN and infinity with scikit-learn's own message.

    Parameters
    ----------
    X : numpy.memmap or array-like
        The data; only first-axis slices of it are read.
    """

    def __init__(self, X):
        self.X = X
        self.n_rows = int(X.shape[0])
        self.row_shape = tuple(int(s) for s in X.shape[1:])
        n_features = int(np.prod(self.row_shape))
        self.shape = (self.n_rows, n_features)
        self.dtype = np.dtype(np.float32 if X.dtype == np.float32 else np.float64)
        self._file = _MemmapFile.of(X)
        self._index = None  # the rows of X this object stands for, when a selection

    def select(self, rows):
        """These rows only (sorted indices), still read from X when asked for."""
        selected = object.__new__(OutOfCoreRows)
        selected.__dict__.update(self.__dict__)
        rows = np.asarray(rows)
        selected._index = rows if self._index is None else self._index[rows]
        selected.n_rows = len(rows)
        selected.shape = (len(rows), self.shape[1])
        return selected

    def __len__(self):
        return self.n_rows

    @property
    def ndim(self):
        return 2

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            f"An out-of-core array of shape {self.shape} is read block by block; "
            "this operation would load it whole."
        )

    def __getitem__(self, rows):
        if self._index is not None:
            block = self._take(self._index[rows])
        elif isinstance(rows, slice):
            start, stop, _ = rows.indices(self.n_rows)
            block = self._read(start, max(stop, start))
        else:
            block = self._take(np.asarray(rows))
        block = block.reshape(len(block), -1).astype(self.dtype, copy=False)
        assert_finite(block)
        return block

    def blocks(self, block_rows=None):
        """All rows, ``block_rows`` (default :data:`BLOCK_ROWS`) at a time."""
        block_rows = block_rows or BLOCK_ROWS
        for start in range(0, self.n_rows, block_rows):
            yield self[start : start + block_rows]

    def _read(self, start, stop):
        if self._file is not None:
            return self._file.read(start, stop)
        return np.asarray(self.X[start:stop])

    def _take(self, rows):
        if len(rows) == 0:
            return np.empty((0, *self.row_shape), dtype=self.X.dtype)
        if self._file is None and isinstance(self.X, np.ndarray):
            return self.X[rows]
        # Only slicing is assumed: read each run of consecutive rows at once.
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1
        return np.concatenate([self._read(run[0], run[-1] + 1) for run in np.split(rows, breaks)])


class _MemmapFile:
    """Rows of a C-ordered memmap, read from its file with ``pread``."""

    def __init__(self, path, first_byte, row_shape, dtype):
        self.fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self.fd)
        self.first_byte = first_byte
        self.row_shape = row_shape
        self.dtype = dtype
        self.row_bytes = int(np.prod(row_shape)) * dtype.itemsize

    @classmethod
    def of(cls, X):
        """A reader for memmap X, or None where its file may not hold its data.

        Copy-on-write memmaps (``mode="c"``) keep their changes in memory,
        not in the file, and non-contiguous views do not hold whole rows in
        order: both are read through the mapping instead.
        """
        if not (
            isinstance(X, np.memmap)
            and getattr(X, "mode", None) in ("r", "r+", "w+")
            and isinstance(getattr(X, "filename", None), (str, os.PathLike))
            and X.flags.c_contiguous
            and hasattr(os, "preadv")
        ):
            return None
        mapping = X
        while isinstance(mapping, np.ndarray):
            mapping = mapping.base
        if not isinstance(mapping, mmap.mmap):
            return None
        # np.memmap maps the file from the allocation boundary below its offset;
        # a view (a slice of a memmap) starts further into the same mapping.
        mapped_from = X.offset - X.offset % mmap.ALLOCATIONGRANULARITY
        mapping_start = np.frombuffer(mapping, dtype=np.uint8, count=1).ctypes.data
        first_byte = mapped_from + X.ctypes.data - mapping_start
        return cls(X.filename, first_byte, X.shape[1:], X.dtype)

    def read(self, start, stop):
        buffer = np.empty((stop - start, *self.row_shape), dtype=self.dtype)
        view, position = memoryview(buffer).cast("B"), self.first_byte + start * self.row_bytes
        while len(view):
            n_read = os.preadv(self.fd, [view], position)
            if n_read <= 0:
                raise OSError(f"unexpected end of file reading rows {start}:{stop}")
            view, position = view[n_read:], position + n_read
        return buffer


def blocks(X, block_rows=None):
    """The rows of X, ``block_rows`` (default :data:`BLOCK_ROWS`) at a time.

    In memory the blocks are views; they bound the temporaries of per-block
    arithmetic (a float64 copy of one block, not of all of X).
    """
    if isinstance(X, OutOfCoreRows):
        yield from X.blocks(block_rows)
        return
    block_rows = block_rows or BLOCK_ROWS
    for start in range(0, len(X), block_rows):
        yield X[start : start + block_rows]


def map_blocks(function, X, with_index=False):
    """``[function(block) for block in blocks(X)]`` (``function(block, i)`` with an index).

    The blocks of an in-memory array are computed in threads (NumPy releases
    the GIL); the results keep the blocks' order, so whatever merges them
    afterwards gives the same numbers as one thread. An out-of-core X is
    read block by block in one thread: its reader need not be thread-safe.
    """
    call = function if with_index else (lambda block, index: function(block))
    if not isinstance(X, np.ndarray):
        return [call(block, index) for index, block in enumerate(blocks(X))]
    views = list(blocks(X))
    if len(views) < 2:
        return [call(block, index) for index, block in enumerate(views)]
    with concurrent.futures.ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:
        return list(pool.map(call, views, itertools.count()))


def value_range(X):
    """``(min, max)`` of all the values of X, one pass block by block."""
    ranges = map_blocks(lambda block: (float(np.min(block)), float(np.max(block))), X)
    return min(low for low, _ in ranges), max(high for _, high in ranges)


def moments(X, sample_weight=None, divisor=1.0):
    """Per-column (weighted) mean of ``X / divisor``, the total squared deviation
    from it and the total weight, one pass block by block.

    Each block is divided in float64 before its moments are taken (a large
    ``divisor`` keeps huge values finite); ``sample_weight`` (one per row,
    or None: each row weighs 1) is read in the same blocks as X.
    """
    weights = None if sample_weight is None else list(blocks(sample_weight))

    def block_moments_of(block, index):
        scaled = np.asarray(block, dtype=np.float64) / divisor
        return block_moments(scaled, None if weights is None else weights[index])

    return merge_moments(map_blocks(block_moments_of, X, with_index=True))


def block_moments(block, weights=None):
    """``(weight, mean, squared deviation from it)`` of one block of rows."""
    if weights is None:
        n = len(block)
        block_mean = block.mean(axis=0)
        return n, block_mean, float(np.sum((block - block_mean) ** 2))
    n = float(np.sum(weights))
    block_mean = weights @ block / n
    return n, block_mean, float(weights @ np.sum((block - block_mean) ** 2, axis=1))


def merge_moments(block_results):
    """Per-column (weighted) mean, total squared deviation from it, total weight.

    Blocks' :func:`block_moments` are merged in order with Chan et al.'s
    pairwise update, which is as exact as the two-pass formula and reads
    each block once. Without weights every row weighs 1.
    """
    count, mean, squares = 0, 0.0, 0.0
    for n, block_mean, block_squares in block_results:
        delta = block_mean - mean
        total = count + n
        squares += block_squares + float(np.sum(delta**2)) * count * n / total
        mean = mean + delta * (n / total)
        count = total
    return mean, squares, count


def assert_finite(block, estimator_name=None):
    """scikit-learn's NaN and infinity check of ``block``, its ValueError and message.

    Its sum-first check turns +inf and -inf together into NaN, which NumPy
    would warn about before the clear error; that warning is held back.
    """
    with np.errstate(invalid="ignore"):
        assert_all_finite(block, estimator_name=estimator_name, input_name="X")
