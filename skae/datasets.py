"""Loaders for the examples, benchmarks and demo. Nothing here downloads."""

import os
from pathlib import Path

import numpy as np


def load_digits_scaled():
    """scikit-learn's 8x8 digits with pixels scaled to [0, 1].

    Returns
    -------
    X : ndarray of shape (1797, 64)
    y : ndarray of shape (1797,)

    Examples
    --------
    >>> from skae.datasets import load_digits_scaled
    >>> X, y = load_digits_scaled()
    >>> X.shape, float(X.max())
    ((1797, 64), 1.0)
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    return data.data / 16.0, data.target


def shared_data_dir():
    """The project's read-only data folder (``$SKAE_DATA`` or ``../shared/data``).

    Examples
    --------
    >>> import os
    >>> from skae.datasets import shared_data_dir
    >>> os.environ["SKAE_DATA"] = "/data/faces"
    >>> str(shared_data_dir())
    '/data/faces'
    >>> del os.environ["SKAE_DATA"]
    """
    if "SKAE_DATA" in os.environ:
        return Path(os.environ["SKAE_DATA"])
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def load_lfw_npz(resize=0.4, path=None):
    """LFW faces (people with at least 70 images) from the shared ``.npz`` arrays.

    The arrays are exactly what ``fetch_lfw_people(min_faces_per_person=70,
    resize=resize)`` returns: pixels in [0, 1].

    Parameters
    ----------
    resize : {0.4, 0.5}, default=0.4
        0.4 gives 50 x 37 images, 0.5 gives 62 x 47.
    path : str or Path, default=None
        The ``.npz`` file; by default the one in :func:`shared_data_dir`.

    Returns
    -------
    images : ndarray of shape (1288, h, w), float32
    target : ndarray of shape (1288,)
    target_names : ndarray of str

    Examples
    --------
    The arrays are plain ``.npz`` files; here a two-face stand-in:

    >>> import os, tempfile
    >>> import numpy as np
    >>> from skae.datasets import load_lfw_npz
    >>> path = os.path.join(tempfile.mkdtemp(), "faces.npz")
    >>> np.savez(path, images=np.zeros((2, 50, 37), np.float32), target=np.array([0, 1]),
    ...          target_names=np.array(["Ariel Sharon", "Colin Powell"]))
    >>> images, target, names = load_lfw_npz(path=path)
    >>> images.shape, list(names)
    ((2, 50, 37), [np.str_('Ariel Sharon'), np.str_('Colin Powell')])
    """
    path = Path(path) if path else shared_data_dir() / f"lfw_people_min70_resize{resize}.npz"
    if not path.exists():
        raise FileNotFoundError(
            f"LFW arrays not found at {path}; set SKAE_DATA to the folder that holds "
            "lfw_people_min70_resize*.npz or pass path=."
        )
    with np.load(path, allow_pickle=False) as data:
        return data["images"], data["target"], data["target_names"]


def load_lfw(data_home=None, resize=0.4, min_faces_per_person=70):
    """LFW faces through scikit-learn's own loader, offline first.

    Tries, in order: ``fetch_lfw_people`` on the data already in
    ``data_home`` (or ``SCIKIT_LEARN_DATA``, or scikit-learn's default), with
    no download; the ready arrays of :func:`load_lfw_npz` (only for
    ``min_faces_per_person=70``); ``fetch_lfw_people`` with download.

    Returns
    -------
    images : ndarray of shape (n_samples, h, w)
    target : ndarray of shape (n_samples,)
    target_names : ndarray of str
    source : str
        Which of the three gave the data.

    Examples
    --------
    With no LFW data in scikit-learn's data home, the arrays in ``SKAE_DATA``
    are used (here a two-face stand-in):

    >>> import os, tempfile
    >>> import numpy as np
    >>> from skae.datasets import load_lfw
    >>> folder = tempfile.mkdtemp()
    >>> np.savez(os.path.join(folder, "lfw_people_min70_resize0.4.npz"),
    ...          images=np.zeros((2, 50, 37), np.float32), target=np.array([0, 1]),
    ...          target_names=np.array(["Ariel Sharon", "Colin Powell"]))
    >>> os.environ["SKAE_DATA"] = folder
    >>> images, target, names, source = load_lfw(data_home=folder)
    >>> images.shape, source
    ((2, 50, 37), 'shared .npz arrays')
    >>> del os.environ["SKAE_DATA"]
    """
    from sklearn.datasets import fetch_lfw_people

    kwargs = dict(data_home=data_home, min_faces_per_person=min_faces_per_person, resize=resize)
    try:
        faces = fetch_lfw_people(download_if_missing=False, **kwargs)
        return faces.images, faces.target, faces.target_names, "fetch_lfw_people (offline)"
    except OSError:
        pass
    if min_faces_per_person == 70:
        try:
            return (*load_lfw_npz(resize=resize), "shared .npz arrays")
        except FileNotFoundError:
            pass
    faces = fetch_lfw_people(download_if_missing=True, **kwargs)
    return faces.images, faces.target, faces.target_names, "fetch_lfw_people (downloaded)"


def load_co2_weekly():
    """Weekly Mauna Loa CO2 (ppm), March 1958 to December 2001, from statsmodels.

    The 59 missing weeks are filled by linear interpolation.

    Returns
    -------
    series : ndarray of shape (2284,)
    dates : ndarray of datetime64

    Examples
    --------
    >>> from skae.datasets import load_co2_weekly
    >>> series, dates = load_co2_weekly()
    >>> series.shape, str(dates[0])[:10], round(float(series[0]), 1)
    ((2284,), '1958-03-29', 316.1)
    """
    try:
        from statsmodels.datasets import co2
    except ImportError as exc:
        raise ImportError("load_co2_weekly needs statsmodels: pip install statsmodels") from exc
    frame = co2.load_pandas().data["co2"].interpolate()
    return frame.to_numpy(dtype=float), frame.index.to_numpy()
