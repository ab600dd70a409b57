import numpy as np
import pytest

from nnreg.datasets import load_digits, stratified_indices


def test_digits_split_sizes_and_range():
    d = load_digits(seed=0)
    assert len(d.y_train) + len(d.y_val) + len(d.y_test) == 1797
    assert len(d.y_test) == 359 and len(d.y_val) == 359
    assert d.X_train.shape[1] == 64
    assert d.X_train.min() == 0.0 and d.X_train.max() == 1.0
    assert d.y_train.dtype == np.int64
    assert d.n_classes == 10


def test_digits_splits_are_disjoint():
    d = load_digits(seed=1)
    rows = {tuple(r) for r in d.X_test}
    # 同じ画像が複数ある可能性を避け、添字ではなく件数で確認: 3 分割の合計は元の件数
    assert len(rows) <= len(d.X_test)
    allx = np.concatenate([d.X_train, d.X_val, d.X_test])
    from sklearn.datasets import load_digits as sk

    ref = np.sort((sk().data / 16.0).sum(axis=1))
    np.testing.assert_allclose(np.sort(allx.sum(axis=1)), ref)


def test_digits_deterministic_and_seed_dependent():
    a, b, c = load_digits(seed=0), load_digits(seed=0), load_digits(seed=1)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.y_train, c.y_train)


def test_small_training_set_is_stratified_and_keeps_val_test():
    full = load_digits(seed=0)
    small = load_digits(n_train=200, seed=0)
    assert len(small.y_train) == 200
    counts = np.bincount(small.y_train, minlength=10)
    assert counts.min() >= 19 and counts.max() <= 21
    np.testing.assert_array_equal(small.X_val, full.X_val)
    np.testing.assert_array_equal(small.y_test, full.y_test)


def test_stratified_indices_exact_count():
    y = np.array([0] * 7 + [1] * 3)
    idx = stratified_indices(y, 5, np.random.default_rng(0))
    assert len(idx) == 5 and len(set(idx)) == 5


@pytest.mark.parametrize("n_train", [0, 5000, 2.0])
def test_bad_n_train_rejected(n_train):
    with pytest.raises(ValueError, match="n_train"):
        load_digits(n_train=n_train)


def test_sine_regression_is_deterministic_and_noisy():
    from nnreg.datasets import make_sine_regression

    x1, y1 = make_sine_regression(50, noise=0.1, seed=3)
    x2, y2 = make_sine_regression(50, noise=0.1, seed=3)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    resid = y1 - np.sin(np.pi * x1)
    assert 0.05 < resid.std() < 0.15
    x0, y0 = make_sine_regression(20, noise=0.0, seed=0)
    np.testing.assert_allclose(y0, np.sin(np.pi * x0))
    with pytest.raises(ValueError, match="noise"):
        make_sine_regression(5, noise=-1)


def test_polynomial_features():
    from nnreg.datasets import polynomial_features

    np.testing.assert_allclose(polynomial_features(np.array([2.0, -1.0]), 3), [[2, 4, 8], [-1, 1, -1]])
    with pytest.raises(ValueError, match=r"\(n,\)"):
        polynomial_features(np.zeros((2, 2)), 2)


def test_spurious_pixels_follow_labels_and_copy():
    from nnreg.datasets import add_spurious_pixels

    X = np.zeros((4, 64))
    y = np.array([0, 1, 1, 2])
    out = add_spurious_pixels(X, y, [0, 7, 63], value=0.9)
    assert X.sum() == 0.0  # 元の配列はそのまま
    np.testing.assert_array_equal(np.argmax(out, axis=1), [0, 7, 7, 63])
    np.testing.assert_allclose(out.sum(axis=1), 0.9)


def test_spurious_pixels_dict_marks_only_listed_labels():
    from nnreg.datasets import add_spurious_pixels

    X = np.full((3, 16), 0.5)
    out = add_spurious_pixels(X, np.array([1, 0, 1]), {1: [2, 5, 9]})
    np.testing.assert_array_equal(out[1], X[1])  # ラベル 0 はシミなし
    for i in (0, 2):
        np.testing.assert_array_equal(np.flatnonzero(out[i] == 1.0), [2, 5, 9])
        assert np.sum(out[i] == 0.5) == 13


def test_spurious_pixels_fraction_is_random_but_reproducible():
    from nnreg.datasets import add_spurious_pixels

    X, y = np.zeros((2000, 64)), np.zeros(2000, dtype=np.int64)
    a = add_spurious_pixels(X, y, [5], fraction=0.3, rng=np.random.default_rng(1))
    b = add_spurious_pixels(X, y, [5], fraction=0.3, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert 0.26 < a[:, 5].mean() < 0.34


@pytest.mark.parametrize(
    ("pixels", "kwargs", "match"),
    [
        ([0, 1, 64], {}, "64 未満"),
        ({0: [-1]}, {}, "0 以上"),
        ([0, 1, 2], {"fraction": 0.5}, "rng"),
        ({0: 1.5}, {}, "整数"),
        ([0, 1, 2], {"fraction": 1.5}, "fraction"),
    ],
)
def test_spurious_pixels_errors(pixels, kwargs, match):
    from nnreg.datasets import add_spurious_pixels

    with pytest.raises(ValueError, match=match):
        add_spurious_pixels(np.zeros((3, 64)), np.array([0, 1, 2]), pixels, **kwargs)


def test_corrupt_labels_flips_the_requested_fraction_to_wrong_classes():
    from nnreg.datasets import corrupt_labels

    y = np.tile(np.arange(10), 500)
    noisy = corrupt_labels(y, 0.3, n_classes=10, rng=np.random.default_rng(0))
    again = corrupt_labels(y, 0.3, n_classes=10, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(noisy, again)
    assert 0.27 < np.mean(noisy != y) < 0.33
    # すり替え先は元以外の 9 クラスにほぼ均等
    counts = np.bincount((noisy - y)[noisy != y] % 10, minlength=10)
    assert counts[0] == 0 and counts[1:].min() > 0.7 * counts[1:].mean()
    np.testing.assert_array_equal(corrupt_labels(y, 0.0, n_classes=10, rng=np.random.default_rng(1)), y)
    assert np.all(corrupt_labels(y, 1.0, n_classes=10, rng=np.random.default_rng(1)) != y)


@pytest.mark.parametrize(
    ("y", "kwargs", "match"),
    [
        (np.array([0, 10]), {}, "10 未満"),
        (np.array([0.0, 1.0]), {}, "整数ラベル"),
        (np.array([0, 1]), {"fraction": 2.0}, "fraction"),
        (np.array([0, 1]), {"rng": 0}, "Generator"),
    ],
)
def test_corrupt_labels_errors(y, kwargs, match):
    from nnreg.datasets import corrupt_labels

    args = {"fraction": 0.5, "n_classes": 10, "rng": np.random.default_rng(0)} | kwargs
    with pytest.raises(ValueError, match=match):
        corrupt_labels(y, args.pop("fraction"), **args)


def test_one_vs_rest_is_balanced_and_labelled():
    from nnreg.datasets import one_vs_rest

    d = load_digits(seed=0)
    X, t = one_vs_rest(d.X_train, d.y_train, 3, rng=np.random.default_rng(0))
    n3 = int(np.sum(d.y_train == 3))
    assert len(t) == 2 * n3 and t.sum() == n3
    # ラベル 1 の画像はすべて元の 3、ラベル 0 の画像は 3 以外
    rows3 = {r.tobytes() for r in d.X_train[d.y_train == 3]}
    assert all((r.tobytes() in rows3) == bool(label) for r, label in zip(X, t, strict=True))
    X2, t2 = one_vs_rest(d.X_train, d.y_train, 3, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(t, t2)
    with pytest.raises(ValueError, match="positive"):
        one_vs_rest(d.X_train, d.y_train, 11, rng=np.random.default_rng(0))


def test_digits_are_read_exactly_as_sklearn_reads_them():
    # nnreg は sklearn を import せずに同じファイルを読む（ノートブックの起動を速くするため）。値は完全に同じ
    from sklearn.datasets import load_digits as sk_load_digits

    from nnreg.datasets import _digits_arrays

    pixels, target = _digits_arrays()
    ref = sk_load_digits()
    assert np.array_equal(pixels, ref.data) and pixels.dtype == ref.data.dtype
    assert np.array_equal(target, ref.target)


def test_load_flower_is_sklearns_second_sample_image():
    from sklearn.datasets import load_sample_images

    from nnreg.datasets import load_flower

    flower = load_flower()
    want = load_sample_images().images[1]
    assert flower.shape == (427, 640, 3) and flower.dtype == np.uint8
    assert flower.tobytes() == want.tobytes()
