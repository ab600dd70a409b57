import numpy as np
import pytest

import nnreg
from nnreg.augment import random_shift, shift_images


def test_shift_moves_a_single_pixel(rng):
    X = np.zeros((1, 64))
    X[0, 2 * 8 + 3] = 1.0  # 行 2, 列 3
    right = shift_images(X, dx=1).reshape(8, 8)
    down_left = shift_images(X, dx=-2, dy=3).reshape(8, 8)
    assert right[2, 4] == 1.0 and right.sum() == 1.0
    assert down_left[5, 1] == 1.0 and down_left.sum() == 1.0


def test_shift_discards_pixels_that_leave_and_fills_background():
    X = np.ones((2, 16))
    out = shift_images(X, dx=1, shape=(4, 4), fill=0.0).reshape(2, 4, 4)
    np.testing.assert_array_equal(out[:, :, 0], 0.0)
    np.testing.assert_array_equal(out[:, :, 1:], 1.0)


def test_shift_roundtrip_and_zero_shift(rng):
    X = rng.random((5, 64))
    np.testing.assert_array_equal(shift_images(X), X)
    X[:, [0, 8, 16, 24, 32, 40, 48, 56]] = 0.0  # 左端の列を空にすれば、左→右で元に戻る
    np.testing.assert_array_equal(shift_images(shift_images(X, dx=-1), dx=1), X)


def test_per_image_shifts_match_individual_shifts(rng):
    X = rng.random((3, 64))
    dx, dy = np.array([1, 0, -1]), np.array([0, 2, -1])
    together = shift_images(X, dx=dx, dy=dy)
    for i in range(3):
        np.testing.assert_array_equal(together[i], shift_images(X[i : i + 1], dx=dx[i], dy=dy[i])[0])


def test_shift_errors():
    with pytest.raises(ValueError, match="8×8"):
        shift_images(np.zeros((2, 63)))
    with pytest.raises(ValueError, match="dx"):
        shift_images(np.zeros((2, 64)), dx=0.5)
    with pytest.raises(ValueError, match="長さ 2"):
        shift_images(np.zeros((2, 64)), dy=np.array([1, 2, 3]))


def test_random_shift_is_reproducible_and_bounded(rng):
    X = np.zeros((200, 64))
    X[:, 3 * 8 + 3] = 1.0
    aug = random_shift(1)
    a = aug(X, np.random.default_rng(0))
    b = aug(X, np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)
    rows, cols = np.nonzero(a.reshape(200, 8, 8))[1:]
    assert set(rows) == {2, 3, 4} and set(cols) == {2, 3, 4}  # 9 通りのずれがすべて現れる
    np.testing.assert_array_equal(random_shift(0)(X, rng), X)
    with pytest.raises(ValueError, match="Generator"):
        aug(X, 0)


def test_random_shift_works_as_fit_augment(rng):
    d = nnreg.datasets.load_digits(n_train=50, seed=0)
    model = nnreg.mlp((64, 10), rng=rng)
    h = nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.SGD(lr=0.1),
        d.X_train,
        d.y_train,
        epochs=2,
        batch_size=25,
        augment=random_shift(1),
        rng=rng,
    )
    assert len(h.train_loss) == 2 and np.all(np.isfinite(h.train_loss))
