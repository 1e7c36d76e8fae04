"""Keras model subclasses with their own ``compute_loss``."""

import math

from . import import_keras
from .layers import Sampling, clip_log_var

keras = import_keras()
ops = keras.ops


def _serialize_parts(model, names):
    """Config entries for the sub-models (or None) held in ``model``'s attributes."""
    serialize = keras.saving.serialize_keras_object
    return {
        name: serialize(getattr(model, name)) if getattr(model, name) is not None else None
        for name in names
    }


def _deserialize_parts(config, names):
    config = dict(config)
    for name in names:
        if config.get(name) is not None:
            config[name] = keras.saving.deserialize_keras_object(config[name])
    return config


def gaussian_nll(x, reconstruction, log_noise_var):
    """Per-sample negative log-likelihood of x under N(reconstruction, exp(log_noise_var) I)."""
    x = ops.reshape(x, (ops.shape(x)[0], -1))
    reconstruction = ops.reshape(reconstruction, (ops.shape(reconstruction)[0], -1))
    n_features = ops.cast(ops.shape(x)[1], x.dtype)
    squared = ops.sum(ops.square(x - reconstruction), axis=1)
    return 0.5 * (
        squared * ops.exp(-log_noise_var) + n_features * (log_noise_var + math.log(2 * math.pi))
    )


def kl_to_standard_normal(mean, log_var):
    """Per-sample KL(N(mean, exp(log_var)) || N(0, I)), the closed form for diagonal Gaussians."""
    log_var = clip_log_var(log_var)
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=1)


@keras.saving.register_keras_serializable(package="skae")
class VariationalAutoencoder(keras.Model):
    """``decoder(sample(encoder(x)))`` trained on the negative ELBO.

    The decoder's likelihood is Gaussian with one learned noise variance
    (``log_noise_var``), so the loss is a true negative evidence lower bound
    in the units of the standardised data, and the balance between the
    reconstruction and KL terms is learned rather than set by hand
    (Rybkin et al., "Simple and Effective VAE Training with Calibrated
    Decoders", 2021). ``beta`` weights the KL term; during the first
    ``warmup_steps`` training steps its weight rises linearly from 0.

    ``call`` returns ``(reconstruction, z_mean, z_log_var)``; at inference the
    reconstruction decodes the posterior mean.
    """

    def __init__(self, encoder, decoder, beta=1.0, warmup_steps=0, noise=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = float(beta)
        self.warmup_steps = int(warmup_steps)
        self.noise = noise
        self.seed = seed
        self.sampling = Sampling(seed=seed, name="sampling")
        self.log_noise_var = self.add_weight(
            name="log_noise_var", shape=(), initializer="zeros", trainable=True
        )
        self.kl_step = self.add_weight(
            name="kl_step", shape=(), initializer="zeros", trainable=False
        )
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def call(self, x, training=False):
        if self.noise is not None:
            x = self.noise(x, training=training)
        mean, log_var = self.encoder(x, training=training)
        z = self.sampling([mean, log_var], training=training)
        return self.decoder(z, training=training), mean, log_var

    def kl_weight(self):
        if self.warmup_steps <= 0:
            return self.beta
        return self.beta * ops.minimum(1.0, (self.kl_step + 1.0) / self.warmup_steps)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction, mean, log_var = y_pred
        nll = gaussian_nll(y, reconstruction, self.log_noise_var)
        kl = kl_to_standard_normal(mean, log_var)
        loss = ops.mean(nll + self.kl_weight() * kl)
        if training:
            self.kl_step.assign_add(1.0)
        self.reconstruction_tracker.update_state(nll)
        self.kl_tracker.update_state(kl)
        return loss

    def get_config(self):
        return {
            **super().get_config(),
            **_serialize_parts(self, ("encoder", "decoder", "noise")),
            "beta": self.beta,
            "warmup_steps": self.warmup_steps,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**_deserialize_parts(config, ("encoder", "decoder", "noise")))


@keras.saving.register_keras_serializable(package="skae")
class MaskedAutoencoder(keras.Model):
    """``decoder(encoder(x))`` trained on the squared error of observed entries only.

    The target ``y`` holds the (zero-filled) data and its observed-entries mask
    side by side, ``concatenate([x, mask], axis=1)``: missing entries do not
    count in the loss, so the network never learns to reproduce the filler.
    """

    def __init__(self, encoder, decoder, noise=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.noise = noise

    def call(self, x, training=False):
        if self.noise is not None:
            x = self.noise(x, training=training)
        return self.decoder(self.encoder(x, training=training), training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        n_features = ops.shape(y_pred)[1]
        target, mask = y[:, :n_features], y[:, n_features:]
        return ops.sum(mask * ops.square(target - y_pred)) / ops.maximum(ops.sum(mask), 1.0)

    def get_config(self):
        return {**super().get_config(), **_serialize_parts(self, ("encoder", "decoder", "noise"))}

    @classmethod
    def from_config(cls, config):
        return cls(**_deserialize_parts(config, ("encoder", "decoder", "noise")))
