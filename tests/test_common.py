"""scikit-learn's own estimator checks, over every skae estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import (
    AutoencoderImputer,
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    ConvAutoencoder,
    SequenceAutoencoder,
    VAETransformer,
)

# Few epochs and small layers: these checks test the API, not the fit quality.
FAST = dict(epochs=2, batch_size=16, hidden_layer_sizes=(8,), random_state=0)

ESTIMATORS = [
    AutoencoderTransformer(n_components=2, **FAST),
    ConvAutoencoder(n_components=2, filters=(4,), **FAST),
    VAETransformer(n_components=2, kl_warmup_epochs=1, **FAST),
    AutoencoderOutlierDetector(AutoencoderTransformer(n_components=2, **FAST)),
    AutoencoderImputer(n_components=2, **FAST),
    SequenceAutoencoder(n_components=2, units=4, **FAST),
]

# Every entry is a debt, with its reason. Aim: none.
EXPECTED_FAILED_CHECKS = {}


def expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
