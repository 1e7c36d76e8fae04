"""An estimator added with the documented hooks only passes scikit-learn's checks."""

import numpy as np
import test_common
from new_estimator import SparseAutoencoder
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_common import EXPECTED_FAILED_CHECKS, expected_failures_not_run

FAST = dict(epochs=2, batch_size=16, hidden_layer_sizes=(8,), random_state=0)


def _expected_failed_checks(estimator):
    # The same debts as AutoencoderTransformer's, for the same reasons.
    return EXPECTED_FAILED_CHECKS["AutoencoderTransformer"]


@expected_failures_not_run(
    parametrize_with_checks(
        [SparseAutoencoder(n_components=2, **FAST)], expected_failed_checks=_expected_failed_checks
    )
)
def test_a_new_estimator_from_the_documented_hooks_is_compatible(estimator, check):
    check(estimator)


def test_its_outputs_do_not_depend_on_row_order_or_subset():
    # What the two row-position checks expected to fail above ask, at float32's
    # precision, as for skae's own estimators in test_common.py.
    test_common.test_outputs_do_not_depend_on_row_order_or_subset(
        SparseAutoencoder(n_components=2, **FAST)
    )


def test_its_hooks_take_effect(digits):
    X = digits[0][:300]
    params = dict(n_components=6, hidden_layer_sizes=(32,), epochs=20, random_state=0)
    plain = SparseAutoencoder(l1=0.0, **params).fit(X)
    sparse = SparseAutoencoder(l1=1.0, **params).fit(X)
    assert sparse.sparsity_ > plain.sparsity_ + 0.2, (sparse.sparsity_, plain.sparsity_)
    assert np.isclose(sparse.sparsity_, np.mean(np.abs(sparse.transform(X)) < 0.05))
