"""The terms of the VAE's evidence lower bound, written once for any array namespace.

Training computes them with ``keras.ops`` inside the model's ``compute_loss``;
``VAETransformer.score_samples`` with NumPy in float64. Both pass their
namespace as ``xp``. This module imports no Keras.
"""

import math

# The log-variance is clipped to this range wherever it is exponentiated: an
# unbounded log-variance is the known way VAE training turns into NaN.
LOG_VAR_RANGE = (-10.0, 10.0)


def clip_log_var(log_var, xp):
    return xp.clip(log_var, *LOG_VAR_RANGE)


def gaussian_nll(x, reconstruction, log_noise_var, xp):
    """Per-sample negative log-likelihood of x under N(reconstruction, exp(log_noise_var) I)."""
    n_features = math.prod(x.shape[1:])  # static: the values per sample
    x = xp.reshape(x, (xp.shape(x)[0], -1))
    reconstruction = xp.reshape(reconstruction, (xp.shape(reconstruction)[0], -1))
    squared = xp.sum(xp.square(x - reconstruction), axis=1)
    return 0.5 * (
        squared * xp.exp(-log_noise_var) + n_features * (log_noise_var + math.log(2 * math.pi))
    )


def kl_to_standard_normal(mean, log_var, xp):
    """Per-sample KL(N(mean, exp(log_var)) || N(0, I)), the closed form for diagonal Gaussians."""
    log_var = clip_log_var(log_var, xp)
    return -0.5 * xp.sum(1.0 + log_var - xp.square(mean) - xp.exp(log_var), axis=1)
