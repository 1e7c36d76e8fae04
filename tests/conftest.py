import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


@pytest.fixture(scope="session")
def digits():
    """Digits scaled to [0, 1], as (X, y)."""
    data = load_digits()
    return data.data / 16.0, data.target


@pytest.fixture(scope="session")
def digits_split(digits):
    """The 75/25 split the issues' goals are stated on: Xtr, Xte, ytr, yte."""
    X, y = digits
    return train_test_split(X, y, test_size=0.25, random_state=42)


@pytest.fixture
def small_X():
    return np.random.default_rng(0).normal(size=(40, 6))


def mse(a, b):
    return float(np.mean((np.asarray(a) - np.asarray(b)) ** 2))
