import numpy as np
import pytest

import nnreg
from nnreg.augment import (
    affine_images,
    compose,
    cutout,
    flip_horizontal,
    random_affine,
    random_deletion,
    random_erasing,
    random_flip,
    random_noise,
    random_shift,
    random_swap,
    shift_images,
    synonym_replacement,
)


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


# ---- 第5章: 回転・拡大縮小、雑音、cutout、左右反転、compose、文の変換 ----


def test_affine_identity_and_quarter_turns_match_rot90(rng):
    X = rng.random((4, 64))
    np.testing.assert_array_equal(affine_images(X), X)
    # 8×8 の中心 (3.5, 3.5) のまわりの 90° 回転は格子を格子に移すので、np.rot90（反時計回り）と一致する
    rot = affine_images(X, angle=90.0).reshape(4, 8, 8)
    np.testing.assert_allclose(rot, np.rot90(X.reshape(4, 8, 8), k=1, axes=(1, 2)), atol=1e-12)
    four = X
    for _ in range(4):
        four = affine_images(four, angle=90.0)
    np.testing.assert_allclose(four, X, atol=1e-12)


def test_affine_bilinear_halfway_and_range(rng):
    # 2 倍に拡大すると、中心から 0.5 画素の出力は元の 0.25 画素の位置 → 2 画素の双線形補間になる
    X = np.zeros((1, 16))
    X[0, 1 * 4 + 1] = 1.0  # 4×4 の (1, 1)。中心は (1.5, 1.5)
    out = affine_images(X, scale=2.0, shape=(4, 4)).reshape(4, 4)
    # 出力 (1, 1) は元の (1.25, 1.25) を読む: 重み (0.75·0.75) が (1, 1) に掛かる
    assert out[1, 1] == pytest.approx(0.75 * 0.75)
    Y = rng.random((50, 64))
    Z = affine_images(Y, angle=rng.uniform(-180, 180, 50), scale=rng.uniform(0.5, 1.5, 50))
    assert Z.shape == Y.shape and Z.min() >= 0.0 and Z.max() <= Y.max() + 1e-12
    # 画像ごとの指定は 1 枚ずつの変換と同じ
    a, s = np.array([10.0, -30.0]), np.array([1.1, 0.9])
    np.testing.assert_allclose(
        affine_images(Y[:2], angle=a, scale=s)[1], affine_images(Y[1:2], angle=-30.0, scale=0.9)[0]
    )


def test_affine_errors():
    with pytest.raises(ValueError, match="scale は正"):
        affine_images(np.zeros((2, 64)), scale=0.0)
    with pytest.raises(ValueError, match="angle"):
        affine_images(np.zeros((2, 64)), angle=np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="max_angle"):
        random_affine(200.0)
    with pytest.raises(ValueError, match="max_scale"):
        random_affine(10.0, max_scale=1.0)


def test_random_affine_reproducible_bounded_and_identity(rng):
    X = rng.random((30, 64))
    aug = random_affine(20.0, max_scale=0.1)
    a, b = aug(X, np.random.default_rng(3)), aug(X, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, X)
    np.testing.assert_array_equal(random_affine(0.0)(X, rng), X)
    # 乱数の引き方は「角度 N 個 → 倍率 N 個」: 同じ値で affine_images を呼べば一致する
    r = np.random.default_rng(3)
    angle, scale = r.uniform(-20, 20, 30), r.uniform(0.9, 1.1, 30)
    assert np.all(np.abs(angle) <= 20) and np.all(np.abs(scale - 1) <= 0.1)
    np.testing.assert_allclose(a, affine_images(X, angle=angle, scale=scale))


def test_random_noise_statistics_clip_and_identity(rng):
    X = np.full((400, 64), 0.5)
    out = random_noise(0.1)(X, np.random.default_rng(0))
    assert out.shape == X.shape
    assert abs(float(np.mean(out - X))) < 0.005 and abs(float(np.std(out - X)) - 0.1) < 0.005
    wide = random_noise(2.0)(X, rng)
    assert wide.min() == 0.0 and wide.max() == 1.0
    assert random_noise(2.0, clip=None)(X, rng).max() > 1.0
    np.testing.assert_array_equal(random_noise(0.0)(X, rng), X)
    with pytest.raises(ValueError, match="clip"):
        random_noise(0.1, clip=(1.0, 0.0))
    with pytest.raises(ValueError, match="std"):
        random_noise(-0.1)


def test_random_erasing_square_size_and_coverage(rng):
    X = np.ones((4000, 64))
    out = random_erasing(3)(X, np.random.default_rng(1))
    erased = out == 0.0
    counts = erased.sum(axis=1)
    assert set(np.unique(counts)) <= {4, 6, 9} and counts.max() == 9  # はみ出すと 2×2, 2×3 に欠ける
    # どの消された領域も長方形（行と列の直積）
    grid = erased.reshape(-1, 8, 8)
    rows, cols = grid.any(axis=2), grid.any(axis=1)
    np.testing.assert_array_equal(grid, rows[:, :, None] & cols[:, None, :])
    # 中心は一様なので、隅の画素は中央の画素より消されにくい（隅: 4/64、中央: 9/64）
    freq = grid.mean(axis=0)
    assert abs(freq[0, 0] - 4 / 64) < 0.02 and abs(freq[4, 4] - 9 / 64) < 0.03
    np.testing.assert_array_equal(random_erasing(3, p=0.0)(X, rng), X)
    with pytest.raises(ValueError, match="size"):
        random_erasing(9)


def test_flip_and_random_flip(rng):
    X = rng.random((6, 64))
    flipped = flip_horizontal(X).reshape(6, 8, 8)
    np.testing.assert_array_equal(flipped, X.reshape(6, 8, 8)[:, :, ::-1])
    np.testing.assert_array_equal(flip_horizontal(flip_horizontal(X)), X)
    np.testing.assert_array_equal(random_flip(0.0)(X, rng), X)
    np.testing.assert_array_equal(random_flip(1.0)(X, rng), flip_horizontal(X))
    half = random_flip(0.5)(np.tile(X[:1], (1000, 1)), np.random.default_rng(0))
    share = np.mean(np.all(half == flip_horizontal(X[:1]), axis=1))
    assert 0.45 < share < 0.55


def test_compose_applies_in_order_with_one_rng(rng):
    X = rng.random((20, 64))
    aug = compose(random_flip(1.0), random_noise(0.05))
    r1, r2 = np.random.default_rng(7), np.random.default_rng(7)
    manual = random_noise(0.05)(random_flip(1.0)(X, r2), r2)
    np.testing.assert_array_equal(aug(X, r1), manual)
    np.testing.assert_array_equal(compose()(X, rng), X)
    with pytest.raises(ValueError, match="2 番目"):
        compose(random_flip(), 3)
    with pytest.raises(ValueError, match="Generator"):
        aug(X, 0)


def test_augmentations_keep_labels_in_fit(rng):
    d = nnreg.datasets.load_digits(n_train=40, seed=0)
    seen = []

    def spy(X, r):
        out = compose(random_affine(10.0), random_erasing(2), random_noise(0.05))(X, r)
        seen.append(out.shape)
        return out

    model = nnreg.mlp((64, 10), rng=rng)
    nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.SGD(lr=0.1),
        d.X_train,
        d.y_train,
        epochs=1,
        batch_size=20,
        augment=spy,
        rng=rng,
    )
    assert seen == [(20, 64), (20, 64)]


SENT = ["今日", "は", "とても", "暑い", "日", "でし", "た"]
SYN = {"とても": ["すごく", "非常に"], "暑い": ["蒸し暑い"], "日": ["一日"]}


def test_synonym_replacement(rng):
    out = synonym_replacement(SENT, SYN, n=2, rng=np.random.default_rng(0))
    changed = [i for i, (a, b) in enumerate(zip(SENT, out, strict=True)) if a != b]
    assert len(out) == len(SENT) and len(changed) == 2
    assert all(out[i] in SYN[SENT[i]] for i in changed)
    assert synonym_replacement(SENT, SYN, n=2, rng=np.random.default_rng(0)) == out
    assert synonym_replacement(SENT, SYN, n=0, rng=rng) == SENT
    assert (
        len([1 for a, b in zip(SENT, synonym_replacement(SENT, SYN, n=10, rng=rng), strict=True) if a != b])
        == 3
    )
    assert SENT[2] == "とても"  # 元のリストは書き換えない
    with pytest.raises(ValueError, match="単語に分けた"):
        synonym_replacement("今日は暑い", SYN, rng=rng)
    with pytest.raises(ValueError, match="空でない候補"):
        synonym_replacement(SENT, {"暑い": []}, rng=rng)
    with pytest.raises(ValueError, match="Generator"):
        synonym_replacement(SENT, SYN, rng=None)


def test_random_deletion(rng):
    out = random_deletion(SENT, 0.3, rng=np.random.default_rng(1))
    assert out == random_deletion(SENT, 0.3, rng=np.random.default_rng(1))
    it = iter(SENT)
    assert all(t in it for t in out)  # 残った単語は元の順序のまま（部分列）
    assert random_deletion(SENT, 0.0, rng=rng) == SENT
    only = random_deletion(SENT, 1.0, rng=rng)
    assert len(only) == 1 and only[0] in SENT
    lengths = [len(random_deletion(SENT, 0.5, rng=rng)) for _ in range(2000)]
    assert abs(np.mean(lengths) - 3.5) < 0.15
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        random_deletion(SENT, 1.5, rng=rng)


def test_random_swap(rng):
    out = random_swap(SENT, n=1, rng=np.random.default_rng(2))
    assert sorted(out) == sorted(SENT) and sum(a != b for a, b in zip(SENT, out, strict=True)) == 2
    assert out == random_swap(SENT, n=1, rng=np.random.default_rng(2))
    assert random_swap(SENT, n=0, rng=rng) == SENT
    assert random_swap(["猫"], n=3, rng=rng) == ["猫"]
    with pytest.raises(ValueError, match="空でない文字列"):
        random_swap(["猫", ""], rng=rng)


def test_cutout_is_the_same_transform_as_the_old_name(rng):
    X = rng.random((20, 64))
    a = cutout(3, p=0.5)(X, np.random.default_rng(5))
    b = random_erasing(3, p=0.5)(X, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert cutout(3).__name__ == "cutout(3, p=1)"
