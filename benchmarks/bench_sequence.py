"""SequenceAutoencoder on weekly Mauna Loa CO2 (statsmodels): reconstruction and forecast.

Windows of 52 weeks (a year), each followed by the 13 weeks to forecast.
Chronological split: windows whose targets end in the first 75% of the
series train, windows starting after that point test (no overlap).
Each window is centred on its own mean (computed from the 52 input weeks
only; the forecast is shifted back by it), so the trend does not push the
test windows outside the training range; PCA sees the same windows.

Reconstruction: held-out MSE of the windows vs PCA on the flattened windows
at the same n_components. Forecast: held-out MAE of the next 13 weeks vs
persistence (repeat the last week) and seasonal naive (the same weeks one
year earlier). Writes results/sequence.json.
"""

import time

import numpy as np
from _common import quiet_tensorflow, save  # noqa: E402

quiet_tensorflow()

from sklearn.decomposition import PCA  # noqa: E402

from skae import SequenceAutoencoder, make_windows  # noqa: E402
from skae.datasets import load_co2_weekly  # noqa: E402

WINDOW, HORIZON, SEASON = 52, 13, 52


def split_windows():
    series, _ = load_co2_weekly()
    X, y = make_windows(series, WINDOW, n_future=HORIZON)
    cut = int(0.75 * len(series))
    starts = np.arange(len(X))
    train = starts + WINDOW + HORIZON <= cut
    test = starts >= cut
    level = X.mean(axis=1, keepdims=True)
    return X[train] - level[train], y[train] - level[train], X[test], y[test], level[test]


def main():
    X_train, y_train, X_test_raw, y_test, level = split_windows()
    X_test = X_test_raw - level
    persistence = np.repeat(X_test_raw[:, -1:, :], HORIZON, axis=1)
    seasonal = X_test_raw[:, :HORIZON, :]  # weeks t+1..t+13 minus 52 weeks
    baseline = {
        "persistence_mae": float(np.mean(np.abs(persistence - y_test))),
        "seasonal_naive_mae": float(np.mean(np.abs(seasonal - y_test))),
    }
    rows = []
    for n in (4, 8, 16):
        start = time.perf_counter()
        model = SequenceAutoencoder(
            n_components=n, units=32, n_future=HORIZON, epochs=60, random_state=0
        ).fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
        flat_train, flat_test = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
        pca = PCA(n_components=n).fit(flat_train)
        pca_mse = float(np.mean((flat_test - pca.inverse_transform(pca.transform(flat_test))) ** 2))
        ae_mse = float(np.mean((X_test - model.inverse_transform(model.transform(X_test))) ** 2))
        forecast = model.predict(X_test) + level
        mae = float(np.mean(np.abs(forecast - y_test)))
        row = {
            "n_components": n,
            "ae_mse": ae_mse,
            "pca_mse": pca_mse,
            "mse_ratio": ae_mse / pca_mse,
            "forecast_mae": mae,
            "ratio_to_persistence": mae / baseline["persistence_mae"],
            "ratio_to_seasonal_naive": mae / baseline["seasonal_naive_mae"],
            "fit_s": fit_seconds,
            "epochs": model.n_iter_,
        }
        rows.append(row)
        print(
            f"k={n:2d} reconstruction MSE {ae_mse:.4f} vs PCA {pca_mse:.4f} "
            f"({row['mse_ratio']:.2f} x) | forecast MAE {mae:.3f} ppm: "
            f"{row['ratio_to_persistence']:.2f} x persistence "
            f"({baseline['persistence_mae']:.3f}), {row['ratio_to_seasonal_naive']:.2f} x "
            f"seasonal naive ({baseline['seasonal_naive_mae']:.3f}) | fit {fit_seconds:.0f}s",
            flush=True,
        )
    save(
        "sequence",
        {
            "data": "statsmodels co2, weekly, interpolated",
            "window": WINDOW,
            "horizon": HORIZON,
            "n_train_windows": len(X_train),
            "n_test_windows": len(X_test),
            **baseline,
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()
