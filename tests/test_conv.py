"""ConvAutoencoder: layouts, odd image sizes, clear shape errors; denoising."""

import pickle

import numpy as np
import pytest
from conftest import mse
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline

from skae import AutoencoderTransformer, ConvAutoencoder

FAST = dict(n_components=4, filters=(4,), epochs=2, random_state=0)


@pytest.mark.parametrize("image_shape", [(50, 37), (62, 47), (9, 7)])
def test_odd_image_sizes_reconstruct_to_exactly_the_input_shape(image_shape):
    images = np.random.default_rng(0).random((12, *image_shape))
    ae = ConvAutoencoder(**{**FAST, "filters": (4, 8)}).fit(images)
    assert ae.image_shape_ == (*image_shape, 1)
    assert ae.inverse_transform(ae.transform(images)).shape == images.shape


def test_flat_rows_and_image_arrays_give_the_same_model():
    images = np.random.default_rng(0).random((16, 10, 6))
    rows = images.reshape(16, -1)
    from_images = ConvAutoencoder(**FAST).fit(images)
    from_rows = ConvAutoencoder(image_shape=(10, 6), **FAST).fit(rows)
    np.testing.assert_allclose(from_images.transform(images), from_rows.transform(rows), atol=1e-5)
    # inverse_transform answers in the layout fit saw.
    assert from_rows.inverse_transform(from_rows.transform(rows)).shape == (16, 60)
    assert from_images.inverse_transform(from_images.transform(images)).shape == (16, 10, 6)
    # Either layout can be transformed after fitting on the other.
    np.testing.assert_allclose(from_rows.transform(images), from_rows.transform(rows), atol=1e-6)


def test_channels_last_images():
    images = np.random.default_rng(0).random((10, 8, 6, 3))
    ae = ConvAutoencoder(**FAST).fit(images)
    assert ae.image_shape_ == (8, 6, 3)
    assert ae.inverse_transform(ae.transform(images)).shape == images.shape


def test_wrong_image_shape_names_both_numbers():
    rows = np.zeros((5, 1850))
    with pytest.raises(ValueError, match="holds 1800 values per image, but X has 1850 features"):
        ConvAutoencoder(image_shape=(50, 36), **FAST).fit(rows)
    with pytest.raises(ValueError, match="image_shape must be \\(height, width\\)"):
        ConvAutoencoder(image_shape=(1850,), **FAST).fit(rows)


def test_images_of_another_shape_after_fit_are_refused():
    ae = ConvAutoencoder(**FAST).fit(np.random.default_rng(0).random((8, 6, 5)))
    with pytest.raises(ValueError, match="fitted on images of shape \\(6, 5, 1\\)"):
        ae.transform(np.zeros((2, 5, 6)))


def test_rows_without_image_shape_are_one_pixel_high_images():
    X = np.random.default_rng(0).random((20, 7))
    ae = ConvAutoencoder(**FAST).fit(X)
    assert ae.image_shape_ == (1, 7, 1)
    assert ae.inverse_transform(ae.transform(X)).shape == (20, 7)


def test_in_a_pipeline_on_flat_faces_and_pickled(digits):
    X, y = digits
    pipe = make_pipeline(ConvAutoencoder(image_shape=(8, 8), **FAST), PCA(2)).fit(X[:100])
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.transform(X[:5]), pipe.transform(X[:5]))


def test_conv_autoencoder_learns_digits(digits_split):
    Xtr, Xte, _, _ = digits_split
    pca = PCA(n_components=16).fit(Xtr)
    ae = ConvAutoencoder(
        n_components=16, image_shape=(8, 8), filters=(16,), epochs=25, random_state=0
    ).fit(Xtr)
    # Not a tuned goal: a working conv autoencoder is within 1.5 x PCA here.
    assert -ae.score(Xte) < 1.5 * mse(Xte, pca.inverse_transform(pca.transform(Xte)))


def test_denoising_autoencoder_cleans_digits_better_than_pca(digits_split):
    """Noisy test digits in, clean digits out: MSE to the *clean* images."""
    Xtr, Xte, _, _ = digits_split
    noisy = Xte + np.random.default_rng(0).normal(0.0, 0.2, Xte.shape)
    pca = PCA(n_components=16).fit(Xtr)
    pca_error = mse(Xte, pca.inverse_transform(pca.transform(noisy)))
    params = dict(n_components=16, epochs=30, random_state=0)
    denoiser = AutoencoderTransformer(noise="gaussian", noise_level=0.5, **params).fit(Xtr)
    plain = AutoencoderTransformer(**params).fit(Xtr)
    denoiser_error = mse(Xte, denoiser.inverse_transform(denoiser.transform(noisy)))
    plain_error = mse(Xte, plain.inverse_transform(plain.transform(noisy)))
    assert denoiser_error < 0.9 * pca_error, (denoiser_error, pca_error)
    assert denoiser_error < plain_error
    np.testing.assert_array_equal(denoiser.transform(noisy), denoiser.transform(noisy))


def test_flip_augmentation_mirrors_about_half_of_each_batch():
    from skae._keras.engine_model_fit import RowBatches
    from skae._keras.fit_description import Augmentation, FitData, flip_draws

    x = np.random.default_rng(0).random((200, 5, 4, 1)).astype(np.float32)
    original = x.copy()
    augmentation = Augmentation(flip_horizontal=True)
    batches = RowBatches(FitData(x), np.arange(200), 200, seed=3, augmentation=augmentation)
    batches.on_epoch_begin()
    flipped, target = batches[0]
    assert flipped is target
    mirrored = np.all(flipped == x[:, :, ::-1], axis=(1, 2, 3))
    unchanged = np.all(flipped == x, axis=(1, 2, 3))
    assert np.all(mirrored | unchanged)
    assert 70 < mirrored.sum() < 130
    # The draws are a pure function of (seed, epoch, batch): the JAX engine
    # applies the same ones on the device.
    np.testing.assert_array_equal(mirrored, flip_draws(3, 0, 0, 200))
    assert np.array_equal(x, original)


def test_flip_augmentation_is_reproducible_and_training_only():
    images = np.random.default_rng(0).random((24, 6, 5))
    params = dict(FAST, flip_horizontal=True)
    a = ConvAutoencoder(**params).fit(images)
    b = ConvAutoencoder(**params).fit(images)
    np.testing.assert_allclose(a.transform(images), b.transform(images), atol=1e-6)
    np.testing.assert_array_equal(a.transform(images), a.transform(images))
    plain = ConvAutoencoder(**FAST, flip_horizontal=False).fit(images)
    assert not np.allclose(plain.transform(images), a.transform(images), atol=1e-4)


def _shifted_by_hand(image, up, left):
    """``image`` (height, width) with its content moved ``up`` rows up and ``left``
    columns left, each uncovered pixel the nearest edge pixel (a shift of at most 1)."""
    height, width = image.shape
    rows = np.clip(np.arange(height) + up, 0, height - 1)
    columns = np.clip(np.arange(width) + left, 0, width - 1)
    return image[rows][:, columns]


@pytest.mark.parametrize("xp_name", ["numpy", "keras"])
def test_translated_moves_each_image_by_its_offset(xp_name):
    import keras

    from skae._keras.batches import translated

    xp = np if xp_name == "numpy" else keras.ops
    images = np.arange(9 * 5 * 4, dtype=np.float32).reshape(9, 5, 4, 1)
    offsets = np.arange(9, dtype=np.int32)  # image i gets offset i
    result = np.asarray(keras.ops.convert_to_numpy(translated(images, offsets, 1, xp)))
    for i in range(9):
        up, left = i // 3 - 1, i % 3 - 1
        expected = _shifted_by_hand(images[i, :, :, 0], up, left)
        np.testing.assert_array_equal(result[i, :, :, 0], expected, err_msg=f"offset {i}")
    np.testing.assert_array_equal(result[4], images[4])  # the middle offset: no shift


def test_augmentation_draws_keep_the_flips_and_add_seeded_shifts():
    from skae._keras.fit_description import Augmentation, augmentation_draws, flip_draws

    both = Augmentation(flip_horizontal=True, translate=1)
    draws = augmentation_draws(both, 3, 2, 1, 900)
    assert draws.dtype == np.int32
    np.testing.assert_array_equal(draws % 2 == 1, flip_draws(3, 2, 1, 900))
    counts = np.bincount(draws // 2, minlength=9)
    assert len(counts) == 9 and counts.min() > 60  # each of the 9 offsets, about 100 each
    np.testing.assert_array_equal(draws, augmentation_draws(both, 3, 2, 1, 900))
    assert not np.array_equal(draws, augmentation_draws(both, 3, 3, 1, 900))
    only_shifts = augmentation_draws(Augmentation(translate=1), 3, 2, 1, 900)
    np.testing.assert_array_equal(only_shifts, draws // 2 * 2)
    assert not Augmentation() and Augmentation(translate=1) and Augmentation(True)


def test_shift_augmentation_gives_every_image_one_of_its_shifts():
    from skae._keras.engine_model_fit import RowBatches
    from skae._keras.fit_description import Augmentation, FitData

    x = np.random.default_rng(0).random((90, 6, 5, 1)).astype(np.float32)
    batches = RowBatches(FitData(x), np.arange(90), 90, seed=1, augmentation=Augmentation(0, 1))
    batches.on_epoch_begin()
    shifted, target = batches[0]
    assert shifted is target
    kinds = []
    for image, moved in zip(x[:, :, :, 0], shifted[:, :, :, 0], strict=True):
        shifts = [_shifted_by_hand(image, i // 3 - 1, i % 3 - 1) for i in range(9)]
        kinds.append([np.array_equal(moved, s) for s in shifts].index(True))
    assert len(set(kinds)) == 9  # all offsets drawn, the unshifted one among them


def test_auto_translate_is_off_for_digits_and_on_for_smooth_images():
    from skae._augmentation import shift_invariant

    digits = _digit_images()
    assert ConvAutoencoder(**FAST).fit(digits).translate_ == 0
    assert not shift_invariant(digits.reshape(len(digits), -1), (8, 8, 1))
    # A smooth pattern that varies from image to image, under pixel noise that
    # PCA(8) cannot describe, shifted or not (as the fine detail of faces).
    rng = np.random.default_rng(0)
    y, x = np.meshgrid(np.arange(24), np.arange(24), indexing="ij")
    waves = [np.cos(2 * np.pi * (a * y + b * x) / 48) for a in range(3) for b in range(3)]
    weights = rng.normal(size=(200, len(waves), 1, 1))
    blobs = np.exp(-((y - 12) ** 2 + (x - 12) ** 2) / 60) + 0.3 * np.sum(weights * waves, 1)
    blobs = blobs + 0.3 * rng.normal(size=blobs.shape)
    assert shift_invariant(blobs.reshape(len(blobs), -1), (24, 24, 1))
    auto = ConvAutoencoder(**FAST).fit(blobs)
    assert auto.translate_ == 1
    explicit = ConvAutoencoder(**FAST, translate=1, flip_horizontal=auto.flip_horizontal_)
    np.testing.assert_array_equal(auto.transform(blobs), explicit.fit(blobs).transform(blobs))
    plain = ConvAutoencoder(**FAST, translate=0, flip_horizontal=auto.flip_horizontal_)
    assert not np.allclose(plain.fit(blobs).transform(blobs), auto.transform(blobs), atol=1e-4)


def test_a_shift_as_large_as_the_image_is_refused():
    with pytest.raises(ValueError, match="translate=8 shifts the 8 x 8 images"):
        ConvAutoencoder(**FAST, translate=8).fit(_digit_images())
    with pytest.raises(ValueError, match="'translate' parameter"):
        ConvAutoencoder(**FAST, translate=-1).fit(_digit_images())


def _digit_images():
    from sklearn.datasets import load_digits

    return load_digits().images[:300] / 16.0


def test_auto_flip_stays_off_for_digits_and_trains_as_without_flips():
    digits = _digit_images()
    auto = ConvAutoencoder(**FAST).fit(digits)
    assert auto.flip_horizontal_ is False
    plain = ConvAutoencoder(**FAST, flip_horizontal=False).fit(digits)
    np.testing.assert_array_equal(auto.transform(digits), plain.transform(digits))


def test_auto_flip_turns_on_for_mirror_symmetric_images_and_trains_as_with_flips():
    digits = _digit_images()
    both_ways = np.concatenate([digits, digits[:, :, ::-1]])  # mirrors look like the data
    auto = ConvAutoencoder(**FAST).fit(both_ways)
    assert auto.flip_horizontal_ is True
    flipped = ConvAutoencoder(**FAST, flip_horizontal=True).fit(both_ways)
    np.testing.assert_array_equal(auto.transform(both_ways), flipped.transform(both_ways))


def test_auto_flip_is_off_for_flat_rows_read_as_one_pixel_high_signals():
    rows = np.random.default_rng(0).random((64, 12))  # mirror-symmetric in law, but no images
    assert ConvAutoencoder(**FAST).fit(rows).flip_horizontal_ is False


@pytest.mark.parametrize("flip", [True, False])
def test_an_explicit_flip_is_kept(flip):
    digits = _digit_images()
    assert ConvAutoencoder(**FAST, flip_horizontal=flip).fit(digits).flip_horizontal_ is flip


def test_continued_fits_keep_the_choice_of_the_first():
    digits = _digit_images()
    model = ConvAutoencoder(**FAST).fit(digits)
    model.partial_fit(np.concatenate([digits, digits[:, :, ::-1]]))
    assert model.flip_horizontal_ is False


def test_mirror_rule_reads_rows_by_index_and_needs_enough_of_them():
    from skae._augmentation import mirror_symmetric

    digits = _digit_images()
    assert not mirror_symmetric(digits.reshape(len(digits), -1), (8, 8, 1))
    both_ways = np.concatenate([digits, digits[:, :, ::-1]])
    assert mirror_symmetric(both_ways.reshape(len(both_ways), -1), (8, 8, 1))
    assert not mirror_symmetric(both_ways[:1], (8, 8, 1))  # one row: PCA cannot be fitted


def test_a_bad_flip_value_is_named():
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'flip_horizontal' parameter"):
        ConvAutoencoder(**FAST, flip_horizontal="yes").fit(_digit_images())
