import colorsys

import numpy as np
import pytest

import nnreg
from nnreg.augment import (
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    adjust_value,
    affine_images,
    compose,
    cutout,
    flip_horizontal,
    flip_images_horizontal,
    hsv_to_rgb,
    random_affine,
    random_brightness,
    random_color_jitter,
    random_contrast,
    random_crop,
    random_deletion,
    random_erasing,
    random_flip,
    random_noise,
    random_resized_crop,
    random_shear,
    random_shift,
    random_swap,
    rgb_to_hsv,
    shear_images,
    shift_images,
    shuffle_sentences,
    split_sentences,
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


# ---- せん断 ----


def test_shear_zero_is_identity_and_integer_shear_moves_rows(rng):
    X = rng.random((5, 64))
    np.testing.assert_array_equal(shear_images(X), X)
    np.testing.assert_array_equal(shear_images(X, 0.0, axis="y"), X)
    # 8×8 の中心は行 3.5。係数 2 なら行 3 は右へ 1 画素、行 4 は左へ 1 画素（上ほど右:「/」の傾き）
    Y = np.zeros((1, 64))
    Y[0, 3 * 8 + 2] = Y[0, 4 * 8 + 2] = 1.0
    out = shear_images(Y, 2.0).reshape(8, 8)
    assert out[3, 3] == 1.0 and out[4, 1] == 1.0 and out.sum() == 2.0
    # 縦方向: 列 4（中心の右）は上へ 1 画素、列 3 は下へ 1 画素
    Z = np.zeros((1, 64))
    Z[0, 2 * 8 + 4] = Z[0, 2 * 8 + 3] = 1.0
    out = shear_images(Z, 2.0, axis="y").reshape(8, 8)
    assert out[1, 4] == 1.0 and out[3, 3] == 1.0 and out.sum() == 2.0


def test_shear_inverse_range_and_per_image(rng):
    X = np.zeros((3, 64))
    X.reshape(3, 8, 8)[:, 2:6, 3:5] = rng.random((3, 4, 2))  # 行 2〜5 は ±3, ±1 画素ずれても枠内
    back = shear_images(shear_images(X, 2.0), -2.0)
    np.testing.assert_allclose(back, X, atol=1e-12)
    k = np.array([0.3, -0.5, 0.1])
    out = shear_images(X, k)
    assert out.shape == X.shape and out.dtype == np.float64
    assert out.min() >= 0.0 and out.max() <= X.max() + 1e-12
    np.testing.assert_allclose(out[1], shear_images(X[1:2], -0.5)[0])


def test_random_shear_reproducible_bounded_and_identity(rng):
    X = rng.random((20, 64))
    aug = random_shear(0.4)
    a, b = aug(X, np.random.default_rng(4)), aug(X, np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    k = np.random.default_rng(4).uniform(-0.4, 0.4, 20)
    np.testing.assert_allclose(a, shear_images(X, k))
    np.testing.assert_array_equal(random_shear(0.0)(X, rng), X)
    assert random_shear(0.2, axis="y").__name__ == "random_shear(0.2, axis='y')"


def test_shear_errors():
    with pytest.raises(ValueError, match="axis"):
        shear_images(np.zeros((2, 64)), 0.1, axis="z")
    with pytest.raises(ValueError, match="factor.*長さ 2"):
        shear_images(np.zeros((2, 64)), np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="max_shear"):
        random_shear(-0.1)
    with pytest.raises(ValueError, match="8×8"):
        random_shear(0.1)(np.zeros((2, 60)), np.random.default_rng(0))


# ---- 明るさ・コントラスト（値は [0, 1]）----


def test_brightness_shift_clip_and_inverse(rng):
    X = rng.random((10, 64)) * 0.5
    np.testing.assert_array_equal(adjust_brightness(X, 0.0), X)
    brighter = adjust_brightness(X, 0.3)
    np.testing.assert_allclose(brighter, X + 0.3)
    np.testing.assert_allclose(adjust_brightness(brighter, -0.3), X, atol=1e-15)  # 切り詰めなし → 戻る
    far = adjust_brightness(X, 0.8)
    assert far.max() == 1.0 and far.min() >= 0.0
    assert adjust_brightness(X, 0.8, clip=None).max() > 1.0
    per = adjust_brightness(X[:2], np.array([0.1, -0.1]), clip=None)
    np.testing.assert_allclose(per, X[:2] + np.array([[0.1], [-0.1]]))


def test_contrast_keeps_the_mean_and_range(rng):
    X = rng.random((10, 64))
    np.testing.assert_allclose(adjust_contrast(X, 1.0), X, atol=1e-15)
    for factor in [0.0, 0.3, 0.9]:
        out = adjust_contrast(X, factor)
        np.testing.assert_allclose(out.mean(axis=1), X.mean(axis=1), atol=1e-12)
        np.testing.assert_allclose(out.std(axis=1), factor * X.std(axis=1), atol=1e-12)
    sharp = adjust_contrast(X, 3.0)
    assert sharp.min() == 0.0 and sharp.max() == 1.0
    np.testing.assert_allclose(adjust_contrast(X, 3.0, clip=None).mean(axis=1), X.mean(axis=1), atol=1e-12)


def test_random_brightness_and_contrast(rng):
    X = rng.random((300, 64))
    a = random_brightness(0.2)(X, np.random.default_rng(1))
    np.testing.assert_array_equal(a, random_brightness(0.2)(X, np.random.default_rng(1)))
    delta = np.random.default_rng(1).uniform(-0.2, 0.2, 300)
    np.testing.assert_allclose(a, adjust_brightness(X, delta))
    assert a.min() >= 0.0 and a.max() <= 1.0
    np.testing.assert_array_equal(random_brightness(0.0)(X, rng), X)
    c = random_contrast(0.5, 0.9)(X, np.random.default_rng(2))
    factor = np.random.default_rng(2).uniform(0.5, 0.9, 300)
    np.testing.assert_allclose(c, adjust_contrast(X, factor))
    np.testing.assert_allclose(c.mean(axis=1), X.mean(axis=1), atol=1e-12)
    np.testing.assert_allclose(random_contrast(1.0, 1.0)(X, rng), X, atol=1e-15)


def test_intensity_errors():
    X = np.zeros((2, 64))
    with pytest.raises(ValueError, match="factor は 0 以上"):
        adjust_contrast(X, -1.0)
    with pytest.raises(ValueError, match="delta.*長さ 2"):
        adjust_brightness(X, np.zeros(3))
    with pytest.raises(ValueError, match="clip"):
        adjust_brightness(X, 0.1, clip=(1.0, 0.0))
    with pytest.raises(ValueError, match="clip"):
        random_brightness(0.1, clip=3)
    with pytest.raises(ValueError, match="lower ≤ upper"):
        random_contrast(1.5, 0.5)
    with pytest.raises(ValueError, match="2 次元"):
        adjust_brightness(np.zeros(64), 0.1)


# ---- カラー写真（RGB, [0, 1]）----


def _pixels(rng, n=3000):
    P = rng.random((n, 3))
    P[:200] = rng.integers(0, 3, (200, 3)) / 2  # 灰色・原色・最大値が並ぶ境目を多めに
    P[200:300, 1] = P[200:300, 0]
    return P


def test_hsv_matches_colorsys_and_round_trips(rng):
    P = _pixels(rng)
    H = rgb_to_hsv(P)
    np.testing.assert_allclose(H, [colorsys.rgb_to_hsv(*p) for p in P], atol=1e-12, rtol=0)
    assert H.min() >= 0.0 and H.max() <= 1.0
    np.testing.assert_allclose(hsv_to_rgb(H), [colorsys.hsv_to_rgb(*h) for h in H], atol=1e-12, rtol=0)
    assert np.max(np.abs(hsv_to_rgb(H) - P)) <= 1e-12
    img = rng.random((2, 5, 4, 3))
    assert rgb_to_hsv(img).shape == img.shape and rgb_to_hsv(img).dtype == np.float64
    assert np.max(np.abs(hsv_to_rgb(rgb_to_hsv(img)) - img)) <= 1e-12
    np.testing.assert_allclose(rgb_to_hsv(np.array([1.0, 0.0, 0.0])), [0.0, 1.0, 1.0])
    np.testing.assert_allclose(hsv_to_rgb(np.array([1.0 + 1 / 3, 1.0, 1.0])), [0.0, 1.0, 0.0], atol=1e-12)


def test_adjust_hue_saturation_value(rng):
    img = rng.random((6, 5, 3))
    for delta in [0.0, 1.0, -2.0]:
        assert np.max(np.abs(adjust_hue(img, delta) - img)) <= 1e-12
    np.testing.assert_allclose(adjust_hue(adjust_hue(img, 0.3), -0.3), img, atol=1e-12)
    red = np.array([[[1.0, 0.0, 0.0]]])
    np.testing.assert_allclose(adjust_hue(red, 1 / 3), [[[0.0, 1.0, 0.0]]], atol=1e-12)
    gray = np.full((2, 2, 3), 0.4)
    np.testing.assert_allclose(adjust_hue(gray, 0.25), gray, atol=1e-15)
    np.testing.assert_allclose(adjust_saturation(img, 1.0), img, atol=1e-12)
    desat = adjust_saturation(img, 0.0)
    np.testing.assert_allclose(desat, np.repeat(img.max(axis=-1, keepdims=True), 3, axis=-1), atol=1e-12)
    np.testing.assert_allclose(adjust_value(img, 1.0), img, atol=1e-12)
    np.testing.assert_allclose(adjust_value(img, 0.5), img * 0.5, atol=1e-12)  # 明度の倍率 = RGB の倍率
    for out in [adjust_saturation(img, 3.0), adjust_value(img, 3.0)]:
        assert out.shape == img.shape and out.min() >= 0.0 and out.max() <= 1.0


def test_random_color_jitter(rng):
    X = rng.random((20, 4, 4, 3))
    np.testing.assert_allclose(random_color_jitter()(X, rng), X, atol=1e-12)
    aug = random_color_jitter(hue=0.1, saturation=0.5, value=0.3)
    a, b = aug(X, np.random.default_rng(3)), aug(X, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.shape == X.shape and a.min() >= 0.0 and a.max() <= 1.0 and not np.allclose(a, X)
    # 乱数は「色相 N 個 → 彩度 N 個 → 明度 N 個」
    r = np.random.default_rng(3)
    dh, fs, fv = r.uniform(-0.1, 0.1, 20), r.uniform(0.5, 1.5, 20), r.uniform(0.7, 1.3, 20)
    for i in [0, 7]:
        want = adjust_value(adjust_saturation(adjust_hue(X[i], dh[i]), fs[i]), fv[i])
        np.testing.assert_allclose(a[i], want, atol=1e-12)
    flat = random_color_jitter(hue=0.1, shape=(4, 4))(X.reshape(20, -1), np.random.default_rng(5))
    direct = random_color_jitter(hue=0.1)(X, np.random.default_rng(5))
    np.testing.assert_array_equal(flat, direct.reshape(20, -1))


def test_flip_images_horizontal(rng):
    X = rng.random((3, 4, 5, 3))
    out = flip_images_horizontal(X)
    np.testing.assert_array_equal(out[:, :, 0], X[:, :, -1])
    np.testing.assert_array_equal(flip_images_horizontal(out), X)
    g = rng.integers(0, 256, (2, 8, 8)).astype(np.uint8)
    assert flip_images_horizontal(g).dtype == np.uint8
    np.testing.assert_array_equal(
        flip_images_horizontal(g.astype(float)).reshape(2, 64), flip_horizontal(g.reshape(2, 64))
    )
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        flip_images_horizontal(np.zeros((2, 64)))


def test_color_errors(rng):
    with pytest.raises(ValueError, match="uint8.*/ 255"):
        rgb_to_hsv(np.zeros((2, 2, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="最後の軸が 3"):
        rgb_to_hsv(np.zeros((2, 2, 4)))
    with pytest.raises(ValueError, match=r"\[0, 1\].*1\.5"):
        rgb_to_hsv(np.full((1, 3), 1.5))
    with pytest.raises(ValueError, match="彩度と明度"):
        hsv_to_rgb(np.array([0.2, 1.2, 0.5]))
    with pytest.raises(ValueError, match="delta"):
        adjust_hue(np.zeros((1, 3)), np.nan)
    with pytest.raises(ValueError, match="factor"):
        adjust_saturation(np.zeros((1, 3)), -1.0)
    with pytest.raises(ValueError, match="hue は 0〜0.5"):
        random_color_jitter(hue=0.7)
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\)"):
        random_color_jitter(hue=0.1)(np.zeros((4, 3)), rng)
    with pytest.raises(ValueError, match=r"\(N, 48\)"):
        random_color_jitter(hue=0.1, shape=(4, 4))(np.zeros((2, 47)), rng)


# ---- 切り抜き ----


def test_random_crop_identity_and_padding_is_a_shift(rng):
    X = rng.random((30, 64))
    np.testing.assert_array_equal(random_crop()(X, rng), X)
    np.testing.assert_array_equal(random_crop(8, padding=0)(X, rng), X)
    aug = random_crop(padding=2)
    a = aug(X, np.random.default_rng(6))
    np.testing.assert_array_equal(a, aug(X, np.random.default_rng(6)))
    assert a.shape == X.shape
    r = np.random.default_rng(6)
    top, left = r.integers(0, 5, 30), r.integers(0, 5, 30)
    np.testing.assert_array_equal(a, shift_images(X, dx=2 - left, dy=2 - top))


def test_random_crop_smaller_size(rng):
    X = np.arange(64.0)[None, :].repeat(10, axis=0)
    out = random_crop((3, 5))(X, np.random.default_rng(0))
    assert out.shape == (10, 15)
    grid = out.reshape(10, 3, 5)
    np.testing.assert_array_equal(np.diff(grid, axis=2), 1.0)  # 元の画像の連続した一部
    np.testing.assert_array_equal(np.diff(grid, axis=1), 8.0)
    assert random_crop(4, padding=1, shape=(4, 4))(np.ones((2, 16)), rng).shape == (2, 16)


def test_random_resized_crop(rng):
    X = rng.random((40, 64))
    np.testing.assert_array_equal(random_resized_crop((1.0, 1.0), (1.0, 1.0))(X, rng), X)
    aug = random_resized_crop()
    a = aug(X, np.random.default_rng(8))
    np.testing.assert_array_equal(a, aug(X, np.random.default_rng(8)))
    assert a.shape == X.shape and a.dtype == np.float64
    assert np.all(a.min(axis=1) >= X.min(axis=1) - 1e-12) and np.all(a.max(axis=1) <= X.max(axis=1) + 1e-12)
    # 一定の画像はどこを切り抜いても一定（縁の外を fill で読まない）
    np.testing.assert_allclose(aug(np.full((5, 64), 0.7), rng), 0.7)
    # 横の縞は、切り抜いて引き伸ばしても横の縞（行の中は一定）
    stripes = np.repeat(rng.random((5, 8, 1)), 8, axis=2).reshape(5, 64)
    out = aug(stripes, rng).reshape(5, 8, 8)
    np.testing.assert_allclose(out, out[:, :, :1].repeat(8, axis=2), atol=1e-12)
    # 横長の画像でも比 1 の正方形は面積 1 では収まらない → 10 回で諦めて全体を使う
    wide = rng.random((3, 24))
    np.testing.assert_allclose(random_resized_crop((1.0, 1.0), (1.0, 1.0), shape=(4, 6))(wide, rng), wide)


def test_crop_errors(rng):
    with pytest.raises(ValueError, match="余白を足した画像 8×8"):
        random_crop(9)
    with pytest.raises(ValueError, match="size"):
        random_crop(2.5)
    with pytest.raises(ValueError, match="padding"):
        random_crop(padding=-1)
    with pytest.raises(ValueError, match="scale.*≤ 1"):
        random_resized_crop(scale=(0.5, 1.2))
    with pytest.raises(ValueError, match="ratio"):
        random_resized_crop(ratio=(2.0, 1.0))
    with pytest.raises(ValueError, match="8×8"):
        random_crop(padding=1)(np.zeros((2, 60)), rng)


def test_new_image_augmentations_work_in_fit(rng):
    d = nnreg.datasets.load_digits(n_train=40, seed=0)
    aug = compose(
        random_shear(0.3),
        random_crop(padding=1),
        random_resized_crop(),
        random_brightness(0.1),
        random_contrast(0.8, 1.2),
    )
    out = aug(d.X_train, rng)
    assert out.shape == d.X_train.shape and out.min() >= 0.0 and out.max() <= 1.0
    model = nnreg.mlp((64, 10), rng=rng)
    h = nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.SGD(lr=0.1),
        d.X_train,
        d.y_train,
        epochs=1,
        batch_size=20,
        augment=aug,
        rng=rng,
    )
    assert np.all(np.isfinite(h.train_loss))


# ---- 文の順序の入れ替え ----

STORY = "朝、目が覚めた。「雨だ！」と彼は言った。傘を持って家を出た！駅に着いた？遅刻しなかった！？"


def test_split_sentences_keeps_punctuation_and_brackets():
    assert split_sentences(STORY) == [
        "朝、目が覚めた。",
        "「雨だ！」と彼は言った。",
        "傘を持って家を出た！",
        "駅に着いた？",
        "遅刻しなかった！？",
    ]
    assert split_sentences("一文目。\n 二文目!終わりなし ") == ["一文目。", "二文目!", "終わりなし"]
    assert split_sentences("") == [] and split_sentences("。") == ["。"]
    assert "".join(split_sentences(STORY)) == STORY


def test_shuffle_sentences_keeps_the_multiset(rng):
    out = shuffle_sentences(STORY, np.random.default_rng(0))
    assert isinstance(out, str) and len(out) == len(STORY)
    assert sorted(split_sentences(out)) == sorted(split_sentences(STORY))
    assert out == shuffle_sentences(STORY, rng=np.random.default_rng(0))
    seen = {shuffle_sentences(STORY, rng) for _ in range(200)}
    assert len(seen) > 20 and STORY in seen
    sents = ["猫が鳴く。", "犬が走る。", "猫が鳴く。"]
    lst = shuffle_sentences(sents, rng)
    assert isinstance(lst, list) and sorted(lst) == sorted(sents) and sents[1] == "犬が走る。"
    assert shuffle_sentences("一文だけ。", rng) == "一文だけ。" and shuffle_sentences([], rng) == []


def test_shuffle_sentences_errors(rng):
    with pytest.raises(ValueError, match="文字列.*リスト.*int"):
        shuffle_sentences(3, rng)
    with pytest.raises(ValueError, match="空でない文字列"):
        shuffle_sentences(["a。", ""], rng)
    with pytest.raises(ValueError, match="Generator"):
        shuffle_sentences(STORY, 0)
    with pytest.raises(ValueError, match="text は文字列"):
        split_sentences(["a"])


def _bilinear_reference(X, src_x, src_y, shape, fill):
    # 以前の版の双線形補間（3 つの添字で読む形）。速くした版とビット単位で同じことを確かめます
    h, w = shape
    n = len(X)
    x0, y0 = np.floor(src_x), np.floor(src_y)
    fx, fy = src_x - x0, src_y - y0
    padded = np.pad(X.reshape(n, h, w), ((0, 0), (1, 1), (1, 1)), constant_values=fill)
    idx = np.arange(n)[:, None, None]

    def at(r, c):
        r = np.clip(r, -1, h).astype(np.int64) + 1
        c = np.clip(c, -1, w).astype(np.int64) + 1
        return padded[idx, r, c]

    out = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * (
        (1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1)
    )
    return out.reshape(n, h * w)


@pytest.mark.parametrize("shape", [(8, 8), (5, 7)])
def test_bilinear_is_bit_identical_to_the_three_index_version(shape):
    from nnreg.augment import _bilinear

    rng = np.random.default_rng(0)
    h, w = shape
    X = rng.random((6, h * w))
    # 画像の内側・境界ちょうど・外側（枠より遠く）の読み取り位置を混ぜる
    src_x = rng.uniform(-3, w + 2, size=(6, h, w))
    src_y = rng.uniform(-3, h + 2, size=(6, h, w))
    src_x[0, 0, :3] = [-1.0, w - 1.0, float(w)]
    src_y[0, 0, :3] = [float(h), -1.0, h - 1.0]
    for fill in [0.0, 0.5]:
        got = _bilinear(X, src_x, src_y, shape, fill)
        want = _bilinear_reference(X, src_x, src_y, shape, fill)
        assert got.tobytes() == want.tobytes()
