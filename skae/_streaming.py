"""Data larger than memory: rows of a memmap or any sliceable array, read in pieces.

skae reads such data - a :class:`numpy.memmap`, or an array-like with ``shape``,
``dtype`` and first-axis slicing such as an h5py or zarr array - block by block
and never as a whole: the scaling statistics, every training batch and every
``transform`` chunk are separate reads. Pages of a memmap that were read are
handed back to the operating system as reading goes on, so the process's
resident memory stays bounded however large the file is.
"""

import mmap

import numpy as np
import scipy.sparse as sp
from sklearn.utils import assert_all_finite

# Rows per block in the passes that read all the data (scaling, transform).
BLOCK_ROWS = 4096

# A memmap's read pages are handed back after this many bytes of reading. A
# row read through a mapping can map a whole fault-around window (64 KiB on
# Linux) into the process, so each scattered row counts as that much.
RELEASE_EVERY_BYTES = 256 * 2**20
_FAULT_AROUND_BYTES = 64 * 2**10


def is_out_of_core(X):
    """Whether skae reads X in pieces instead of loading it.

    True for a :class:`numpy.memmap` and for array-likes that have ``shape``,
    ``dtype`` and ``__getitem__`` but are neither NumPy arrays, pandas objects,
    sparse matrices nor in-memory arrays of another library (those that have
    ``__array_namespace__``).
    """
    if isinstance(X, np.memmap):
        return True
    return (
        not isinstance(X, np.ndarray)
        and not sp.issparse(X)
        and not hasattr(X, "iloc")
        and not hasattr(X, "__array_namespace__")
        and all(hasattr(X, name) for name in ("shape", "dtype", "__getitem__"))
        and len(X.shape) >= 2
    )


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
        self._mapping = _shared_mapping(X)
        self._unreleased = 0
        self._row_bytes = n_features * np.dtype(X.dtype).itemsize

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
        # Pages read so far are released before, not after, this read.
        if isinstance(rows, slice):
            start, stop, _ = rows.indices(self.n_rows)
            self._count(max(stop - start, 0) * self._row_bytes)
            block = np.asarray(self.X[start:stop])
        else:
            rows = np.asarray(rows)
            self._count(len(rows) * max(self._row_bytes, _FAULT_AROUND_BYTES))
            block = self._take(rows)
        block = block.reshape(len(block), -1).astype(self.dtype, copy=False)
        assert_all_finite(block, input_name="X")
        return block

    def blocks(self, block_rows=None):
        """All rows, ``block_rows`` (default :data:`BLOCK_ROWS`) at a time."""
        block_rows = block_rows or BLOCK_ROWS
        for start in range(0, self.n_rows, block_rows):
            yield self[start : start + block_rows]

    def _take(self, rows):
        if isinstance(self.X, np.ndarray):
            return self.X[rows]
        # Only slicing is assumed: read each run of consecutive rows as one slice.
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1
        runs = np.split(rows, breaks)
        return np.concatenate([np.asarray(self.X[run[0] : run[-1] + 1]) for run in runs])

    def _count(self, n_bytes):
        if self._mapping is None:
            return
        self._unreleased += n_bytes
        if self._unreleased >= RELEASE_EVERY_BYTES:
            self.release()

    def release(self):
        """Hand the memmap's read pages back to the operating system.

        ``MADV_DONTNEED`` on a shared file mapping only unmaps the pages: the
        data stays in the file (and the page cache) and is read again when
        touched. Copy-on-write memmaps (``mode="c"``) are never released,
        since that would discard the user's changes.
        """
        self._unreleased = 0
        if self._mapping is not None:
            try:
                self._mapping.madvise(mmap.MADV_DONTNEED)
            except (OSError, ValueError):
                self._mapping = None


class ColumnStack:
    """Row-aligned parts side by side, read for the rows asked for only."""

    def __init__(self, *parts):
        self.parts = parts

    def __len__(self):
        return len(self.parts[0])

    def __getitem__(self, rows):
        return np.hstack([part[rows] for part in self.parts])


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


def _shared_mapping(X):
    """The shared ``mmap.mmap`` a memmap reads from, or None."""
    if not isinstance(X, np.memmap) or getattr(X, "mode", None) not in ("r", "r+", "w+"):
        return None
    if not hasattr(mmap, "MADV_DONTNEED"):
        return None
    base = X
    while isinstance(base, np.ndarray):
        base = base.base
    return base if isinstance(base, mmap.mmap) else None
