"""skae where PCA goes: Pipelines, GridSearchCV, set_output, next to SciKeras."""

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from skae import AutoencoderTransformer

GRID = {"reduce__n_components": [2, 8]}


def _search(reducer, X, y):
    pipe = Pipeline([("reduce", reducer), ("clf", LogisticRegression(max_iter=500))])
    return GridSearchCV(pipe, GRID, cv=2).fit(X, y)


def test_grid_written_for_pca_works_unchanged(digits):
    X, y = digits
    X, y = X[:400], y[:400]
    pca_search = _search(PCA(), X, y)
    ae_search = _search(AutoencoderTransformer(epochs=10, random_state=0), X, y)
    for search in (pca_search, ae_search):
        assert search.best_params_ == {"reduce__n_components": 8}
        assert search.best_score_ > 0.7
    assert ae_search.best_estimator_.named_steps["reduce"].transform(X).shape == (400, 8)


def test_set_output_pandas_and_feature_names(digits):
    X, _ = digits
    frame = pd.DataFrame(X[:100], columns=[f"pixel{i}" for i in range(64)])
    ae = AutoencoderTransformer(n_components=3, epochs=2, random_state=0).set_output(
        transform="pandas"
    )
    Z = ae.fit_transform(frame)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == [f"autoencodertransformer{i}" for i in range(3)]
    assert list(ae.feature_names_in_) == list(frame.columns)
    # without column names, scikit-learn's warning, as for PCA
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        from_array = ae.transform(frame.to_numpy())
    np.testing.assert_allclose(Z.to_numpy(), from_array, rtol=1e-6)


def test_score_ranks_models_without_a_classifier(digits):
    """score is higher-is-better, so GridSearchCV can tune n_components on its own."""
    X, _ = digits
    search = GridSearchCV(
        AutoencoderTransformer(epochs=5, random_state=0), {"n_components": [1, 16]}, cv=2
    ).fit(X[:400])
    assert search.best_params_ == {"n_components": 16}


@pytest.mark.fresh_process
def test_next_to_a_scikeras_classifier_in_grid_search():
    """Interop: skae ahead of SciKeras' KerasClassifier inside GridSearchCV.

    Runs in a subprocess because importing SciKeras changes Keras globally
    (it patches ``keras.Model.__reduce__``), which must not leak into the
    other tests.
    """
    code = textwrap.dedent(
        """
        import keras
        from scikeras.wrappers import KerasClassifier
        from sklearn.datasets import load_digits
        from sklearn.model_selection import GridSearchCV
        from sklearn.pipeline import Pipeline
        from skae import AutoencoderTransformer

        def build(meta):
            model = keras.Sequential([
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(32, activation="relu"),
                keras.layers.Dense(meta["n_classes_"], activation="softmax"),
            ])
            model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
            return model

        X, y = load_digits(return_X_y=True)
        X, y = X[:500], y[:500]
        pipe = Pipeline([
            ("reduce", AutoencoderTransformer(epochs=5, random_state=0)),
            ("clf", KerasClassifier(model=build, epochs=15, verbose=0, random_state=0)),
        ])
        search = GridSearchCV(pipe, {"reduce__n_components": [4, 16]}, cv=2).fit(X, y)
        assert search.predict(X).shape == (500,)
        score = search.score(X, y)
        assert score > 0.7, score
        print("OK", search.best_params_, round(score, 3))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "OK" in result.stdout


def test_fit_parks_nothing_on_the_estimator_beyond_fitted_attributes(digits):
    from skae import SequenceAutoencoder, make_windows

    X, y = make_windows(np.sin(np.arange(120) / 3.0), window=10, n_future=2)
    # The 0.1 network: what a fit keeps does not depend on the layers, and
    # its graphs build in about half the time.
    model = SequenceAutoencoder(
        2, units=4, n_future=2, epochs=1, random_state=0, bidirectional=False, linear_skip=False
    ).fit(X, y)
    private = {
        name for name in vars(model) if name not in model.get_params() and not name.endswith("_")
    }
    assert private <= {"_network_names", "_optimizer_state"}, private
    assert model.future_decoder_ is model.model_.get_layer("future_decoder")
