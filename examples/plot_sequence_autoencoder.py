"""
An LSTM autoencoder on weekly CO2: reconstruct, forecast, find anomalies
========================================================================

:class:`skae.SequenceAutoencoder` on the weekly Mauna Loa CO2 record that
ships with statsmodels. The series is cut into overlapping one-year windows
(:func:`skae.make_windows`), each followed by the 13 weeks to forecast. The
model is fitted on the first 75% of the record and shown on the rest:

1. the series and its reconstruction (window reconstructions averaged back
   onto the timeline with :func:`skae.windows_to_timeline`);
2. forecasts of the next 13 weeks from a few origins, beside the truth;
3. per-week reconstruction error, an anomaly score: the weeks above a
   threshold (the 99th percentile of the training weeks' errors) are marked.

Each window is centred on its own mean before the network (and the mean
added back), so the long-term trend does not carry the test years outside
the range the model was trained on.

Run: ``python examples/plot_sequence_autoencoder.py [--output-dir DIR]``
(several minutes on 2 CPU cores: 4-5 minutes in this project's documentation
builds; the LSTM trains for 60 epochs).
"""

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from skae import SequenceAutoencoder, make_windows, windows_to_timeline
from skae.datasets import load_co2_weekly

parser = argparse.ArgumentParser(description="An LSTM autoencoder on weekly CO2.")
parser.add_argument("--output-dir", default="output")
# parse_known_args: under Jupyter the kernel's own arguments (-f kernel.json) are
# in sys.argv; they are not this script's, and are left alone.
args, _ = parser.parse_known_args()
output_dir = Path(args.output_dir)
output_dir.mkdir(parents=True, exist_ok=True)

window, horizon = 52, 13
series, dates = load_co2_weekly()
X, y = make_windows(series, window, n_future=horizon)
level = X.mean(axis=1, keepdims=True)
cut = int(0.75 * len(series))
train = np.arange(len(X)) + window + horizon <= cut

model = SequenceAutoencoder(
    n_components=8, units=32, n_future=horizon, epochs=60, random_state=0
).fit(X[train] - level[train], y[train] - level[train])
print(f"fitted in {model.n_iter_} epochs")

reconstructed = model.inverse_transform(model.transform(X - level)) + level
timeline = windows_to_timeline(reconstructed[:, :, 0], len(series), window)
errors = windows_to_timeline((reconstructed[:, :, 0] - X[:, :, 0]) ** 2, len(series), window)
forecast = model.predict(X - level) + level

fig, axes = plt.subplots(3, 1, figsize=(9, 10))
axes[0].plot(dates, series, color="black", lw=1, label="CO2 (ppm)")
axes[0].plot(dates, timeline, color="tab:red", lw=1, ls="--", label="reconstruction")
axes[0].axvline(dates[cut], color="gray", ls=":", label="train | test")
axes[0].set(title="Weekly Mauna Loa CO2 and its reconstruction", ylabel="ppm")
axes[0].legend(fontsize=8)

test_start = cut
axes[1].plot(dates[test_start:], series[test_start:], color="black", lw=1, label="truth")
for k, origin in enumerate(range(test_start, len(series) - window - horizon, 80)):
    w = origin - window + 1  # window ending at `origin`
    steps = dates[origin + 1 : origin + 1 + horizon]
    axes[1].plot(
        steps,
        forecast[w, :, 0],
        color="tab:blue",
        lw=2,
        label="13-week forecast" if k == 0 else None,
    )
axes[1].set(title="Forecasts from the test years (model never saw them)", ylabel="ppm")
axes[1].legend(fontsize=8)

# An anomaly is a week reconstructed worse than 99% of the training weeks.
threshold = np.quantile(errors[:cut], 0.99)
flagged = np.flatnonzero(errors > threshold)
axes[2].plot(dates, errors, color="tab:purple", lw=1, label="squared error")
axes[2].axhline(threshold, color="black", ls="--", lw=1, label="threshold: training 99%")
axes[2].scatter(
    dates[flagged],
    errors[flagged],
    color="tab:red",
    s=12,
    zorder=3,
    label=f"anomalies ({len(flagged)} weeks)",
)
axes[2].axvline(dates[cut], color="gray", ls=":")
axes[2].set(title="Per-week reconstruction error (anomaly score)", ylabel="squared error")
axes[2].legend(fontsize=8)
fig.tight_layout()
fig.savefig(output_dir / "sequence_co2.png", dpi=100)

test_windows = ~train & (np.arange(len(X)) >= cut)
mae = np.mean(np.abs(forecast[test_windows] - y[test_windows]))
persistence = np.mean(np.abs(X[test_windows, -1:, :] - y[test_windows]))
print(f"test forecast MAE {mae:.3f} ppm; persistence {persistence:.3f} ppm")
after_cut = np.sum(flagged >= cut)
print(f"{len(flagged)} weeks above the threshold {threshold:.3f}, {after_cut} after the cut")
print(f"saved {output_dir / 'sequence_co2.png'}")
