"""データ拡張（第1章・第5章 データ拡張）: 画像の変換と、分かち書きした日本語の文の変換。

画像は行ごとに平らにした (N, H·W) の配列で受け取り、同じ形で返します（元の配列は書き換えません）。

- ``shift_images(X, dx, dy)``: すべての画像（または画像ごとに指定した量）を決まった画素数だけずらす。
- ``affine_images(X, angle, scale)``: 画像の中心のまわりに回転・拡大縮小する（双線形補間）。
- ``flip_horizontal(X)``: 左右反転（数字では意味が変わる「悪い拡張」の例として使う）。
- ``random_shift`` / ``random_affine`` / ``random_noise`` / ``cutout``（旧名 ``random_erasing``） / ``random_flip``:
  ``fit(..., augment=...)`` に渡せる ``(X, rng) -> X`` の変換を作る。
- ``compose(*augs)``: いくつかの変換を順に施す 1 つの変換を作る。
- ``shear_images`` / ``random_shear``: せん断（斜めに傾ける。``affine_images`` と同じ双線形補間）。
- ``adjust_brightness`` / ``adjust_contrast`` / ``random_brightness`` / ``random_contrast``:
  灰色の濃淡の画像の明るさ・コントラスト（値は ``clip``、既定 [0, 1] に切り詰める）。
- ``random_crop`` / ``random_resized_crop``: 余白を足して切り抜く／一部を切り抜いて元の大きさに戻す。

カラー写真（RGB）は平らにせず (H, W, 3) か (N, H, W, 3) の浮動小数点の配列で、値は [0, 1] とします
（uint8 の 0〜255 の画像は ``img / 255`` で変換してから渡します）。

- ``rgb_to_hsv`` / ``hsv_to_rgb``: 色相・彩度・明度への変換とその逆（``colorsys`` と同じ式をベクトル化）。
- ``adjust_hue`` / ``adjust_saturation`` / ``adjust_value`` / ``random_color_jitter``: 色の変換。
- ``flip_images_horizontal(X)``: (N, H, W) や (N, H, W, C) の画像を左右反転する。

数字の画像 (N, H·W) は ``nnreg.datasets.load_digits`` と同じく 0（背景）〜1（インク）の値を想定しています。

ずらして空いた画素は ``fill``（既定 0 = 背景）で埋め、はみ出した画素は捨てます。
乱数はすべて引数の ``rng`` から引くので、同じ ``rng`` なら結果は同じです。

文の変換（``synonym_replacement``, ``random_deletion``, ``random_swap``）は、単語に区切った
トークンの列（``list[str]``）を受け取ります。日本語は単語の間に空白がないので、単語への分割
（形態素解析など）は別の段階で行い、このモジュールは分割済みの列だけを扱います。
文の順序を入れ替える ``shuffle_sentences``（と文への分割 ``split_sentences``）だけは、
区切る前の文章（``str``）を受け取ります。
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ._validation import (
    as_float_array,
    check_finite,
    check_in_unit_interval,
    check_int,
    check_nonnegative,
)

Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _check_images(X, shape: tuple[int, int]) -> np.ndarray:
    X = as_float_array(X, "X", ndim=2)
    h, w = shape
    if X.shape[1] != h * w:
        raise ValueError(
            f"X は形状 (N, {h * w})（{h}×{w} の画像を平らにしたもの）を期待しています（受け取った形状: {X.shape}）"
        )
    return X


def _shift(X: np.ndarray, dx: np.ndarray, dy: np.ndarray, shape: tuple[int, int], fill: float) -> np.ndarray:
    h, w = shape
    n = len(X)
    m = int(max(np.max(np.abs(dx), initial=0), np.max(np.abs(dy), initial=0)))
    padded = np.pad(X.reshape(n, h, w), ((0, 0), (m, m), (m, m)), constant_values=fill)
    rows = np.arange(h)[None, :] - dy[:, None] + m  # out[r] = in[r - dy]
    cols = np.arange(w)[None, :] - dx[:, None] + m
    out = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return out.reshape(n, h * w)


def _as_shift_array(value, name: str, n: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu" and not (
        arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))
    ):
        raise ValueError(f"{name} は整数（画素数）を期待しています（受け取った値: {value!r}）")
    arr = np.broadcast_to(arr.astype(np.int64), (n,)) if arr.ndim == 0 else arr.astype(np.int64)
    if arr.shape != (n,):
        raise ValueError(
            f"{name} は整数 1 個か長さ {n} の整数配列を期待しています（受け取った形状: {arr.shape}）"
        )
    return arr


def shift_images(
    X: np.ndarray, dx=0, dy=0, *, shape: tuple[int, int] = (8, 8), fill: float = 0.0
) -> np.ndarray:
    """画像を右に ``dx``、下に ``dy`` 画素ずらします（負なら左・上）。

    ``dx``, ``dy`` は整数 1 個（全画像に同じ量）か、画像ごとの整数配列（長さ N）です。
    """
    X = _check_images(X, shape)
    n = len(X)
    return _shift(X, _as_shift_array(dx, "dx", n), _as_shift_array(dy, "dy", n), shape, fill)


def random_shift(
    max_shift: int = 1, *, shape: tuple[int, int] = (8, 8), fill: float = 0.0
) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """画像ごとに縦横それぞれ ``-max_shift``〜``max_shift`` 画素（一様な整数）ずらす変換を返します。

    戻り値は ``augment(X, rng)`` で、``nnreg.fit(..., augment=...)`` にそのまま渡せます。
    """
    max_shift = check_int(max_shift, "max_shift", minimum=0)

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = _check_images(X, shape)
        _check_rng(rng)
        n = len(X)
        dx = rng.integers(-max_shift, max_shift + 1, size=n)
        dy = rng.integers(-max_shift, max_shift + 1, size=n)
        return _shift(X, dx, dy, shape, fill)

    augment.__name__ = f"random_shift({max_shift})"
    return augment


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng には np.random.Generator を渡してください（受け取った型: {type(rng).__name__}）"
        )


def _as_real_array(value, name: str, n: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} は有限の実数を期待しています（受け取った値: {value!r}）")
    arr = arr.astype(np.float64)
    arr = np.broadcast_to(arr, (n,)) if arr.ndim == 0 else arr
    if arr.shape != (n,):
        raise ValueError(
            f"{name} は実数 1 個か長さ {n} の実数配列を期待しています（受け取った形状: {arr.shape}）"
        )
    return arr


def _affine(
    X: np.ndarray, angle: np.ndarray, scale: np.ndarray, shape: tuple[int, int], fill: float
) -> np.ndarray:
    """出力の各画素について元画像のどこを見るか（逆変換）を計算し、双線形補間で値を読みます。"""
    h, w = shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    theta = np.deg2rad(angle)[:, None, None]
    cos, sin = np.cos(theta), np.sin(theta)
    s = scale[:, None, None]
    yy, xx = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")
    # 順変換 p' = c + s·A(p − c)、A = [[cos, sin], [−sin, cos]]（x = 列, y = 行, 画面で反時計回り）
    # の逆変換 p = c + Aᵀ(p' − c)/s で、出力の画素 p' が読む元の位置 p を求める
    src_x = cx + (cos * xx - sin * yy) / s
    src_y = cy + (sin * xx + cos * yy) / s
    return _bilinear(X, src_x, src_y, shape, fill)


def _bilinear(
    X: np.ndarray, src_x: np.ndarray, src_y: np.ndarray, shape: tuple[int, int], fill: float
) -> np.ndarray:
    """画像ごとの読み取り位置 ``src_x``, ``src_y``（形状 (N, H, W)、単位は画素）の値を双線形補間で読みます。"""
    h, w = shape
    n = len(X)
    x0, y0 = np.floor(src_x), np.floor(src_y)
    fx, fy = src_x - x0, src_y - y0
    padded = np.pad(X.reshape(n, h, w), ((0, 0), (1, 1), (1, 1)), constant_values=fill).reshape(-1)

    def pos(v, size):  # 画像の外は 1 画素幅の fill の枠に読み替えた、枠つき画像での位置
        return np.clip(v, -1, size).astype(np.int64) + 1

    # 枠つき画像 (n, h+2, w+2) を 1 列に並べたときの番号で読みます（padded[画像, 行, 列] と同じ値を、速く）
    base = (np.arange(n) * (h + 2))[:, None, None]
    row0, row1 = (base + pos(y0, h)) * (w + 2), (base + pos(y0 + 1, h)) * (w + 2)
    col0, col1 = pos(x0, w), pos(x0 + 1, w)

    def at(row, col):
        return padded.take(row + col)

    out = (1 - fy) * ((1 - fx) * at(row0, col0) + fx * at(row0, col1)) + fy * (
        (1 - fx) * at(row1, col0) + fx * at(row1, col1)
    )
    return out.reshape(n, h * w)


def affine_images(
    X: np.ndarray, angle=0.0, scale=1.0, *, shape: tuple[int, int] = (8, 8), fill: float = 0.0
) -> np.ndarray:
    """画像の中心のまわりに ``angle`` 度（画面で反時計回り）回転し、``scale`` 倍に拡大縮小します。

    ``angle``, ``scale`` は実数 1 個か画像ごとの配列（長さ N）。出力の画素が元画像の格子の間を指すときは
    近くの 4 画素の双線形補間で値を決め、画像の外は ``fill`` とみなします。補間は凸結合なので、
    値は元の画像と ``fill`` の最小値〜最大値の範囲に収まります。
    """
    X = _check_images(X, shape)
    n = len(X)
    angle = _as_real_array(angle, "angle", n)
    scale = _as_real_array(scale, "scale", n)
    if np.any(scale <= 0):
        raise ValueError(f"scale は正の値を期待しています（受け取った最小値: {float(scale.min())}）")
    return _affine(X, angle, scale, shape, float(fill))


def random_affine(
    max_angle: float = 15.0,
    max_scale: float = 0.0,
    *,
    shape: tuple[int, int] = (8, 8),
    fill: float = 0.0,
) -> Augment:
    """画像ごとに角度 U(−max_angle, max_angle) 度で回転し、U(1 − max_scale, 1 + max_scale) 倍する変換を返します。"""
    max_angle = check_nonnegative(max_angle, "max_angle")
    if max_angle > 180:
        raise ValueError(f"max_angle は 0〜180（度）を期待しています（受け取った値: {max_angle}）")
    max_scale = check_in_unit_interval(max_scale, "max_scale")

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = _check_images(X, shape)
        _check_rng(rng)
        n = len(X)
        angle = rng.uniform(-max_angle, max_angle, size=n)
        scale = rng.uniform(1 - max_scale, 1 + max_scale, size=n)
        return _affine(X, angle, scale, shape, float(fill))

    augment.__name__ = f"random_affine({max_angle:g}, {max_scale:g})"
    return augment


def _check_axis(axis) -> str:
    if axis not in ("x", "y"):
        raise ValueError(f'axis は "x"（横方向）か "y"（縦方向）を期待しています（受け取った値: {axis!r}）')
    return axis


def _shear(X: np.ndarray, factor: np.ndarray, axis: str, shape: tuple[int, int], fill: float) -> np.ndarray:
    h, w = shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    k = factor[:, None, None]
    yy, xx = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")
    # 上向きの y 軸 u = −yy で順変換 x' = x + k·u（axis="x"）、u' = u + k·x（axis="y"）。
    # 行の向き（下向き）で書き直した逆変換: x = x' + k·yy'（axis="x"）、yy = yy' + k·xx'（axis="y"）
    if axis == "x":
        src_x = cx + xx + k * yy
        src_y = np.broadcast_to(cy + yy, src_x.shape)
    else:
        src_y = cy + yy + k * xx
        src_x = np.broadcast_to(cx + xx, src_y.shape)
    return _bilinear(X, src_x, src_y, shape, fill)


def shear_images(
    X: np.ndarray,
    factor=0.0,
    *,
    axis: str = "x",
    shape: tuple[int, int] = (8, 8),
    fill: float = 0.0,
) -> np.ndarray:
    """画像の中心を固定して、せん断係数 ``factor`` で斜めに傾けます（双線形補間は ``affine_images`` と同じ）。

    ``factor`` は角度ではなく係数 k = tan φ です（φ 度傾けたいなら ``factor = np.tan(np.deg2rad(φ))``。
    k = 0.3 で約 17°）。実数 1 個か画像ごとの配列（長さ N）を渡せます。

    - ``axis="x"``: 横方向のせん断。中心より上の行ほど右へ、下の行ほど左へ k·(中心からの行数) 画素ずれ、
      縦線が「/」の向きに傾きます（k が正のとき。斜体の文字のような傾き）。
    - ``axis="y"``: 縦方向のせん断。中心より右の列ほど上へ、左の列ほど下へずれます。

    y 軸を上向きにとった座標 (x, y) でいえば、``axis="x"`` は x' = x + k·y、``axis="y"`` は y' = y + k·x です。
    画像の外は ``fill`` とみなし、値は元の画像と ``fill`` の最小値〜最大値の範囲に収まります。
    """
    X = _check_images(X, shape)
    axis = _check_axis(axis)
    factor = _as_real_array(factor, "factor", len(X))
    return _shear(X, factor, axis, shape, float(fill))


def random_shear(
    max_shear: float = 0.3,
    *,
    axis: str = "x",
    shape: tuple[int, int] = (8, 8),
    fill: float = 0.0,
) -> Augment:
    """画像ごとにせん断係数 U(−max_shear, max_shear) で ``shear_images`` を施す変換を返します。

    ``max_shear`` は角度ではなく係数 tan φ です（0.3 で最大約 17°）。
    """
    max_shear = check_nonnegative(max_shear, "max_shear")
    axis = _check_axis(axis)

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = _check_images(X, shape)
        _check_rng(rng)
        factor = rng.uniform(-max_shear, max_shear, size=len(X))
        return _shear(X, factor, axis, shape, float(fill))

    augment.__name__ = f"random_shear({max_shear:g}, axis={axis!r})"
    return augment


def random_noise(std: float, *, clip: tuple[float, float] | None = (0.0, 1.0)) -> Augment:
    """各画素に平均 0・標準偏差 ``std`` のガウス雑音を足す変換を返します（``clip`` の範囲に切り詰める）。"""
    std = check_nonnegative(std, "std")
    clip = _check_clip(clip)

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = as_float_array(X, "X", ndim=2)
        _check_rng(rng)
        out = X + std * rng.standard_normal(X.shape)
        return out if clip is None else np.clip(out, clip[0], clip[1])

    augment.__name__ = f"random_noise({std:g})"
    return augment


def _check_clip(clip) -> tuple[float, float] | None:
    if clip is None:
        return None
    try:
        lo, hi = (float(v) for v in clip)
    except (TypeError, ValueError):
        lo, hi = np.nan, np.nan
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"clip は (下限, 上限) で下限 < 上限を期待しています（受け取った値: {clip!r}）")
    return lo, hi


def _clip(X: np.ndarray, clip: tuple[float, float] | None) -> np.ndarray:
    return X if clip is None else np.clip(X, clip[0], clip[1])


def adjust_brightness(X: np.ndarray, delta, *, clip: tuple[float, float] | None = (0.0, 1.0)) -> np.ndarray:
    """すべての画素に ``delta`` を足して明るく（負なら暗く）し、``clip`` の範囲に切り詰めます。

    ``X`` は (N, D) の画像（数字なら 0 = 背景〜1 = インク）、``delta`` は実数 1 個か画像ごとの配列（長さ N）。
    既定の ``clip=(0.0, 1.0)`` は ``load_digits`` の値の範囲です。``clip=None`` なら切り詰めません。
    切り詰めが起きなかった画素は ``adjust_brightness(…, -delta)`` で元に戻ります。
    """
    X = as_float_array(X, "X", ndim=2)
    delta = _as_real_array(delta, "delta", len(X))
    return _clip(X + delta[:, None], _check_clip(clip))


def _check_factors(factor, name: str, n: int) -> np.ndarray:
    factor = _as_real_array(factor, name, n)
    if np.any(factor < 0):
        raise ValueError(f"{name} は 0 以上の値を期待しています（受け取った最小値: {float(factor.min())}）")
    return factor


def _contrast(X: np.ndarray, factor: np.ndarray, clip) -> np.ndarray:
    mean = X.mean(axis=1, keepdims=True)
    return _clip(mean + factor[:, None] * (X - mean), clip)


def adjust_contrast(X: np.ndarray, factor, *, clip: tuple[float, float] | None = (0.0, 1.0)) -> np.ndarray:
    """画像ごとの平均のまわりで濃淡の差を ``factor`` 倍にし、``clip`` の範囲に切り詰めます。

    出力は ``mean + factor·(X − mean)``（``mean`` はその画像の全画素の平均）。``factor`` は 0 以上の実数 1 個か
    画像ごとの配列（長さ N）で、1 なら元のまま、0 なら平均一色、1 より大きいとくっきりします。
    切り詰めが起きなければ（``factor`` ≤ 1 なら値は元の範囲に収まるので必ず）画像ごとの平均は変わりません。
    """
    X = as_float_array(X, "X", ndim=2)
    factor = _check_factors(factor, "factor", len(X))
    return _contrast(X, factor, _check_clip(clip))


def random_brightness(max_delta: float = 0.2, *, clip: tuple[float, float] | None = (0.0, 1.0)) -> Augment:
    """画像ごとに U(−max_delta, max_delta) を足す ``adjust_brightness`` の変換を返します。"""
    max_delta = check_nonnegative(max_delta, "max_delta")
    clip = _check_clip(clip)

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = as_float_array(X, "X", ndim=2)
        _check_rng(rng)
        delta = rng.uniform(-max_delta, max_delta, size=len(X))
        return _clip(X + delta[:, None], clip)

    augment.__name__ = f"random_brightness({max_delta:g})"
    return augment


def random_contrast(
    lower: float = 0.5, upper: float = 1.5, *, clip: tuple[float, float] | None = (0.0, 1.0)
) -> Augment:
    """画像ごとに倍率 U(lower, upper) で ``adjust_contrast`` を施す変換を返します（0 ≤ lower ≤ upper）。"""
    lower = check_nonnegative(lower, "lower")
    upper = check_nonnegative(upper, "upper")
    if lower > upper:
        raise ValueError(f"lower ≤ upper を期待しています（受け取った値: lower={lower:g}, upper={upper:g}）")
    clip = _check_clip(clip)

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = as_float_array(X, "X", ndim=2)
        _check_rng(rng)
        factor = rng.uniform(lower, upper, size=len(X))
        return _contrast(X, factor, clip)

    augment.__name__ = f"random_contrast({lower:g}, {upper:g})"
    return augment


def cutout(size: int, *, p: float = 1.0, shape: tuple[int, int] = (8, 8), fill: float = 0.0) -> Augment:
    """画像ごとに確率 ``p`` で、``size``×``size`` の正方形を ``fill`` で塗りつぶす変換を返します（Cutout）。

    正方形の中心（``size`` が偶数なら中心の右下の画素）は画像のすべての画素から一様に選び、
    画像からはみ出した部分は切り捨てます（DeVries & Taylor, 2017 の Cutout と同じ置き方）。
    Zhong ら (2020) の Random Erasing は、大きさと縦横比も乱数で選んだ長方形を画像の内側に置き、
    乱数の値で塗る別の手法です。
    """
    size = check_int(size, "size", minimum=1)
    p = check_in_unit_interval(p, "p", closed_right=True)
    h, w = shape
    if size > max(h, w):
        raise ValueError(f"size は画像の一辺 {max(h, w)} 以下を期待しています（受け取った値: {size}）")

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = _check_images(X, shape)
        _check_rng(rng)
        n = len(X)
        top = rng.integers(0, h, size=n) - size // 2
        left = rng.integers(0, w, size=n) - size // 2
        chosen = rng.random(n) < p
        rows = np.arange(h)[None, :] - top[:, None]
        cols = np.arange(w)[None, :] - left[:, None]
        in_rows = (rows >= 0) & (rows < size)
        in_cols = (cols >= 0) & (cols < size)
        mask = in_rows[:, :, None] & in_cols[:, None, :] & chosen[:, None, None]
        return np.where(mask.reshape(n, h * w), fill, X)

    augment.__name__ = f"cutout({size}, p={p:g})"
    return augment


def random_erasing(
    size: int, *, p: float = 1.0, shape: tuple[int, int] = (8, 8), fill: float = 0.0
) -> Augment:
    """``cutout`` の古い名前です（互換のために残しています）。

    中身は DeVries & Taylor (2017) の Cutout で、Zhong ら (2020) の Random Erasing ではありません。
    新しいコードでは ``cutout`` を使ってください。
    """
    return cutout(size, p=p, shape=shape, fill=fill)


def _crop_size(size, shape: tuple[int, int]) -> tuple[int, int]:
    if size is None:
        return shape
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (size, size)
    if (
        isinstance(size, str)
        or not isinstance(size, Sequence)
        or len(size) != 2
        or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in size)
    ):
        raise ValueError(
            f"size は None、整数 1 個、または (高さ, 幅) の整数 2 個を期待しています（受け取った値: {size!r}）"
        )
    return check_int(size[0], "size の高さ"), check_int(size[1], "size の幅")


def random_crop(
    size=None, padding: int = 0, *, shape: tuple[int, int] = (8, 8), fill: float = 0.0
) -> Augment:
    """画像の周りに ``padding`` 画素の ``fill`` の枠を足し、そこから ``size`` の大きさを一様な位置で切り抜きます。

    小さな画像でよく使う組み合わせは ``random_crop(padding=p)`` です: ``size`` の既定 ``None`` は元の大きさ
    ``shape`` なので、出力の形は入力と同じ (N, H·W) になり、結果は縦横それぞれ −p〜p 画素の一様な平行移動
    （``shift_images``）と同じです。``size``（整数か (高さ, 幅)）を小さくすると、出力はその大きさの
    (N, 高さ·幅) になります。``padding=0`` で ``size`` が元の大きさなら何も変わりません。
    """
    h, w = shape
    ch, cw = _crop_size(size, shape)
    padding = check_int(padding, "padding", minimum=0)
    if ch > h + 2 * padding or cw > w + 2 * padding:
        raise ValueError(
            f"size は余白を足した画像 {h + 2 * padding}×{w + 2 * padding} 以下を期待しています"
            f"（受け取った値: {ch}×{cw}）"
        )

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = _check_images(X, shape)
        _check_rng(rng)
        n = len(X)
        pad = ((0, 0), (padding, padding), (padding, padding))
        padded = np.pad(X.reshape(n, h, w), pad, constant_values=fill)
        top = rng.integers(0, h + 2 * padding - ch + 1, size=n)
        left = rng.integers(0, w + 2 * padding - cw + 1, size=n)
        rows = top[:, None] + np.arange(ch)
        cols = left[:, None] + np.arange(cw)
        out = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
        return out.reshape(n, ch * cw)

    augment.__name__ = f"random_crop({ch}x{cw}, padding={padding})"
    return augment


def _check_range(value, name: str, *, upper: float | None = None) -> tuple[float, float]:
    bound = "" if upper is None else f" ≤ {upper:g}"
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        lo, hi = np.nan, np.nan
    ok = np.isfinite(lo) and np.isfinite(hi) and 0 < lo <= hi and (upper is None or hi <= upper)
    if not ok:
        raise ValueError(
            f"{name} は (下限, 上限) で 0 < 下限 ≤ 上限{bound} を期待しています（受け取った値: {value!r}）"
        )
    return lo, hi


def random_resized_crop(
    scale: tuple[float, float] = (0.6, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
    *,
    shape: tuple[int, int] = (8, 8),
) -> Augment:
    """画像ごとにランダムな長方形を切り抜き、双線形補間で元の大きさ ``shape`` に引き伸ばす変換を返します。

    長方形の面積は元の画像の U(``scale``) 倍、縦横比（幅 ÷ 高さ）は対数が一様になるように ``ratio`` の
    範囲から選びます（torchvision の RandomResizedCrop と同じ選び方）。長方形の辺は画素の整数倍に限らず、
    位置は画像の内側で一様です。画像からはみ出す大きさになったら選び直し、10 回続けてはみ出したら
    画像全体を使います。縁の外は最も近い画素の値で読むので、値は元の画像の最小値〜最大値に収まります。
    ``scale=(1, 1)``, ``ratio=(1, 1)`` で正方形の画像なら何も変わりません。
    """
    s_lo, s_hi = _check_range(scale, "scale", upper=1.0)
    r_lo, r_hi = _check_range(ratio, "ratio")
    h, w = shape
    log_r = (math.log(r_lo), math.log(r_hi))

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = _check_images(X, shape)
        _check_rng(rng)
        n = len(X)
        ch, cw = np.full(n, float(h)), np.full(n, float(w))
        todo = np.arange(n)
        for _ in range(10):
            if len(todo) == 0:
                break
            area = h * w * rng.uniform(s_lo, s_hi, size=len(todo))
            aspect = np.exp(rng.uniform(log_r[0], log_r[1], size=len(todo)))
            th, tw = np.sqrt(area / aspect), np.sqrt(area * aspect)
            ok = (th <= h) & (tw <= w)
            ch[todo[ok]], cw[todo[ok]] = th[ok], tw[ok]
            todo = todo[~ok]
        top = rng.uniform(0.0, h - ch)
        left = rng.uniform(0.0, w - cw)
        # 出力の画素 r の中心 (r + 0.5) を切り抜いた範囲 [top, top + ch] に比例で写し、画素の番号に戻す
        src_y = top[:, None] + (np.arange(h) + 0.5) * (ch / h)[:, None] - 0.5
        src_x = left[:, None] + (np.arange(w) + 0.5) * (cw / w)[:, None] - 0.5
        src_y = np.clip(src_y, 0, h - 1)[:, :, None] * np.ones((1, 1, w))
        src_x = np.clip(src_x, 0, w - 1)[:, None, :] * np.ones((1, h, 1))
        return _bilinear(X, src_x, src_y, shape, 0.0)

    augment.__name__ = f"random_resized_crop(scale=({s_lo:g}, {s_hi:g}), ratio=({r_lo:g}, {r_hi:g}))"
    return augment


def flip_horizontal(X: np.ndarray, *, shape: tuple[int, int] = (8, 8)) -> np.ndarray:
    """画像を左右反転します（鏡に映した像）。"""
    X = _check_images(X, shape)
    h, w = shape
    return X.reshape(len(X), h, w)[:, :, ::-1].reshape(len(X), h * w)


def random_flip(p: float = 0.5, *, shape: tuple[int, int] = (8, 8)) -> Augment:
    """画像ごとに確率 ``p`` で左右反転する変換を返します。"""
    p = check_in_unit_interval(p, "p", closed_right=True)

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = _check_images(X, shape)
        _check_rng(rng)
        chosen = rng.random(len(X)) < p
        return np.where(chosen[:, None], flip_horizontal(X, shape=shape), X)

    augment.__name__ = f"random_flip({p:g})"
    return augment


def flip_images_horizontal(X: np.ndarray) -> np.ndarray:
    """(N, H, W) または (N, H, W, C) の画像を左右反転した新しい配列を返します（dtype はそのまま）。

    平らにした (N, H·W) の数字の画像には ``flip_horizontal`` を使います。
    """
    X = np.asarray(X)
    if X.dtype.kind not in "fiub" or X.ndim not in (3, 4):
        raise ValueError(
            "X は数値の画像の配列 (N, H, W) か (N, H, W, C) を期待しています"
            f"（受け取った形状: {X.shape}, dtype: {X.dtype}）"
        )
    return X[:, :, ::-1].copy()


# ---- カラー写真（RGB, 値は [0, 1] の浮動小数点）の色の変換 ----


def _check_color(img, name: str, what: str = "RGB") -> np.ndarray:
    arr = np.asarray(img)
    if arr.dtype.kind != "f":
        raise ValueError(
            f"{name} は値が [0, 1] の浮動小数点の {what} 画像を期待しています（受け取った dtype: {arr.dtype}）。"
            "uint8（0〜255）の画像は img / 255 で変換してから渡してください"
        )
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(
            f"{name} は最後の軸が 3 の配列 (…, 3)（{what} の 3 チャンネル）を期待しています"
            f"（受け取った形状: {arr.shape}）"
        )
    check_finite(arr, name)
    return arr.astype(np.float64)


def _check_unit_values(arr: np.ndarray, name: str) -> None:
    if arr.size and (arr.min() < 0 or arr.max() > 1):
        raise ValueError(
            f"{name} の値は [0, 1] の範囲を期待しています"
            f"（受け取った範囲: {float(arr.min()):g}〜{float(arr.max()):g}）"
        )


def rgb_to_hsv(img: np.ndarray) -> np.ndarray:
    """RGB（最後の軸、値は [0, 1]）を HSV（色相 H ∈ [0, 1)、彩度 S、明度 V ∈ [0, 1]）に変換します。

    ``colorsys.rgb_to_hsv`` と同じ式を配列全体に一度に施します。形状は (…, 3) なら何でもよく、
    (H, W, 3) の 1 枚でも (N, H, W, 3) の束でも同じ形で返します（dtype は float64）。
    色相は色相環の一周を 1 とした値（0 = 赤, 1/3 = 緑, 2/3 = 青）で、灰色（R = G = B）では 0 とします。
    """
    rgb = _check_color(img, "img")
    _check_unit_values(rgb, "img")
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    maxc, minc = rgb.max(axis=-1), rgb.min(axis=-1)
    rangec = maxc - minc
    chroma = rangec > 0
    safe_range = np.where(chroma, rangec, 1.0)
    s = np.where(chroma, rangec / np.where(maxc > 0, maxc, 1.0), 0.0)
    rc, gc, bc = (maxc - r) / safe_range, (maxc - g) / safe_range, (maxc - b) / safe_range
    h = np.where(r == maxc, bc - gc, np.where(g == maxc, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.where(chroma, (h / 6.0) % 1.0, 0.0)
    return np.stack([h, s, maxc], axis=-1)


# 色相の 6 つの区間ごとに (R, G, B) が (V, Q, P, T) のどれになるか（colorsys.hsv_to_rgb と同じ表）
_HSV_SECTORS = np.array([[0, 3, 2], [1, 0, 2], [2, 0, 3], [2, 1, 0], [3, 2, 0], [0, 2, 1]])


def _hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    h, s, v = hsv[..., 0] % 1.0, hsv[..., 1], hsv[..., 2]
    h6 = h * 6.0
    sector = np.floor(h6)
    f = h6 - sector
    p, q, t = v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f))
    table = _HSV_SECTORS[sector.astype(np.int64) % 6]
    return np.take_along_axis(np.stack([v, q, p, t], axis=-1), table, axis=-1)


def hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    """``rgb_to_hsv`` の逆: HSV（最後の軸）を RGB（値は [0, 1]、float64）に戻します。

    色相 H は一周を 1 とした値で、[0, 1) の外は 1 で割った余りとみなします（H = 1.2 は 0.2 と同じ）。
    彩度 S と明度 V は [0, 1] を期待します。``colorsys.hsv_to_rgb`` と同じ式です。
    """
    hsv = _check_color(hsv, "hsv", "HSV")
    _check_unit_values(hsv[..., 1:], "hsv の彩度と明度")
    return _hsv_to_rgb(hsv)


def _check_real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} は有限の実数を期待しています（受け取った値: {value!r}）")
    return float(value)


def _jitter(hsv: np.ndarray, dh, fs, fv) -> np.ndarray:
    h = (hsv[..., 0] + dh) % 1.0
    s = np.clip(hsv[..., 1] * fs, 0.0, 1.0)
    v = np.clip(hsv[..., 2] * fv, 0.0, 1.0)
    return _hsv_to_rgb(np.stack([h, s, v], axis=-1))


def adjust_hue(img: np.ndarray, delta: float) -> np.ndarray:
    """色相を ``delta`` だけ回します（``delta`` は一周を 1 とした量: 1/3 で赤 → 緑、0.5 で補色、1 で元どおり）。

    ``img`` は値が [0, 1] の RGB 画像 (…, 3)。灰色の画素（R = G = B）は変わりません。
    """
    delta = _check_real(delta, "delta")
    return _jitter(rgb_to_hsv(img), delta, 1.0, 1.0)


def adjust_saturation(img: np.ndarray, factor: float) -> np.ndarray:
    """彩度を ``factor`` 倍します（0 で灰色、1 で元どおり。1 を超えた彩度は 1 に切り詰める）。"""
    factor = check_nonnegative(factor, "factor")
    return _jitter(rgb_to_hsv(img), 0.0, factor, 1.0)


def adjust_value(img: np.ndarray, factor: float) -> np.ndarray:
    """明度（R, G, B の最大値）を ``factor`` 倍します（0 で黒、1 で元どおり。1 を超えた値は 1 に切り詰める）。"""
    factor = check_nonnegative(factor, "factor")
    return _jitter(rgb_to_hsv(img), 0.0, 1.0, factor)


def random_color_jitter(
    hue: float = 0.0,
    saturation: float = 0.0,
    value: float = 0.0,
    *,
    shape: tuple[int, int] | None = None,
) -> Augment:
    """カラー写真の束に、画像ごとに色相・彩度・明度のランダムな変化を施す変換を返します。

    画像ごとに色相を U(−hue, hue) 回し（``hue`` は一周を 1 とした量で 0〜0.5）、彩度を
    U(max(0, 1 − saturation), 1 + saturation) 倍、明度を U(max(0, 1 − value), 1 + value) 倍します
    （乱数は「色相 N 個 → 彩度 N 個 → 明度 N 個」の順に引きます）。すべて 0 なら（丸め誤差を除き）元のままです。

    入力 ``X`` は値が [0, 1] の (N, H, W, 3)。``shape=(H, W)`` を渡すと、1 枚を平らにした
    (N, H·W·3) を受け取って同じ形で返すので、``fit(..., augment=...)`` に渡せます。
    """
    hue = check_nonnegative(hue, "hue")
    if hue > 0.5:
        raise ValueError(f"hue は 0〜0.5（一周を 1 とした量）を期待しています（受け取った値: {hue}）")
    saturation = check_nonnegative(saturation, "saturation")
    value = check_nonnegative(value, "value")

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        arr = np.asarray(X)
        if shape is None:
            if arr.ndim != 4 or arr.shape[-1] != 3:
                raise ValueError(
                    f"X は形状 (N, H, W, 3) のカラー画像の束を期待しています（受け取った形状: {arr.shape}）"
                )
            images = arr
        else:
            h, w = shape
            if arr.ndim != 2 or arr.shape[1] != h * w * 3:
                raise ValueError(
                    f"X は形状 (N, {h * w * 3})（{h}×{w}×3 の画像を平らにしたもの）を期待しています"
                    f"（受け取った形状: {arr.shape}）"
                )
            images = arr.reshape(len(arr), h, w, 3)
        hsv = rgb_to_hsv(images)
        _check_rng(rng)
        n = len(images)
        dh = rng.uniform(-hue, hue, size=n)[:, None, None]
        fs = rng.uniform(max(0.0, 1 - saturation), 1 + saturation, size=n)[:, None, None]
        fv = rng.uniform(max(0.0, 1 - value), 1 + value, size=n)[:, None, None]
        out = _jitter(hsv, dh, fs, fv)
        return out if shape is None else out.reshape(arr.shape)

    augment.__name__ = f"random_color_jitter(hue={hue:g}, saturation={saturation:g}, value={value:g})"
    return augment


def compose(*augs: Augment) -> Augment:
    """変換を左から順に施す 1 つの変換を返します（乱数は同じ ``rng`` から順に引きます）。"""
    for i, aug in enumerate(augs):
        if not callable(aug):
            raise ValueError(
                f"compose には (X, rng) -> X の関数を渡してください（{i + 1} 番目の型: {type(aug).__name__}）"
            )

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        _check_rng(rng)
        out = as_float_array(X, "X", ndim=2).copy()
        for aug in augs:
            out = aug(out, rng)
        return out

    augment.__name__ = "compose(" + ", ".join(getattr(a, "__name__", "?") for a in augs) + ")"
    return augment


# ---- 分かち書きした日本語の文の変換（EDA: Wei & Zou, 2019 の一部）----


def check_candidate_table(table, name: str) -> None:
    """``table`` が「語 → 空でない候補のリスト」の辞書かを確かめます（類義語の表など。nnreg.text も使います）。"""
    if not isinstance(table, Mapping):
        raise ValueError(
            f"{name} は辞書（単語 → 候補のリスト）を期待しています（受け取った型: {type(table).__name__}）"
        )
    for word, cands in table.items():
        if isinstance(cands, str) or not isinstance(cands, Sequence) or len(cands) == 0:
            raise ValueError(
                f"{name}[{word!r}] は空でない候補のリストを期待しています（受け取った値: {cands!r}）"
            )


def _check_tokens(tokens) -> list[str]:
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise ValueError(
            "tokens は単語に分けた文字列のリスト（例: ['猫', 'が', '鳴く']）を期待しています"
            f"（受け取った型: {type(tokens).__name__}）。日本語の文は先に単語へ分割してください"
        )
    bad = [t for t in tokens if not isinstance(t, str) or t == ""]
    if bad:
        raise ValueError(f"tokens の要素は空でない文字列を期待しています（受け取った要素: {bad[0]!r}）")
    return list(tokens)


def synonym_replacement(
    tokens: Sequence[str], synonyms: Mapping[str, Sequence[str]], n: int = 1, *, rng: np.random.Generator
) -> list[str]:
    """``synonyms``（単語 → 言い換えの候補）に載っている単語から ``n`` 個を選び、候補の一つに置き換えます。

    辞書は呼び出し側が用意します（ダウンロードはしません）。置き換えられる単語が ``n`` 個より少なければ、
    ある分だけ置き換えます。
    """
    tokens = _check_tokens(tokens)
    n = check_int(n, "n", minimum=0)
    _check_rng(rng)
    check_candidate_table(synonyms, "synonyms")
    out = list(tokens)
    where = np.flatnonzero([t in synonyms for t in out])
    for i in rng.permutation(where)[:n]:
        cands = synonyms[out[i]]
        out[i] = cands[int(rng.integers(len(cands)))]
    return out


def random_deletion(tokens: Sequence[str], p: float, *, rng: np.random.Generator) -> list[str]:
    """各単語を確率 ``p`` で削除します。すべて消えたときは、もとの単語を 1 つだけ残します。"""
    tokens = _check_tokens(tokens)
    p = check_in_unit_interval(p, "p", closed_right=True)
    _check_rng(rng)
    if not tokens:
        return []
    keep = rng.random(len(tokens)) >= p
    if not keep.any():
        keep[int(rng.integers(len(tokens)))] = True
    return [t for t, k in zip(tokens, keep, strict=True) if k]


def random_swap(tokens: Sequence[str], n: int = 1, *, rng: np.random.Generator) -> list[str]:
    """異なる位置の 2 単語を入れ替える操作を ``n`` 回行います（単語が 1 個以下なら何もしません）。"""
    tokens = _check_tokens(tokens)
    n = check_int(n, "n", minimum=0)
    _check_rng(rng)
    out = list(tokens)
    if len(out) < 2:
        return out
    for _ in range(n):
        i, j = rng.choice(len(out), size=2, replace=False)
        out[i], out[j] = out[j], out[i]
    return out


# ---- 文の順序の入れ替え（区切る前の日本語の文章を受け取る）----

_SENTENCE_ENDS = "。！？!?"
_OPEN_BRACKETS = "「『（(【"
_CLOSE_BRACKETS = "」』）)】"


def split_sentences(text: str) -> list[str]:
    """日本語の文章を「。」「！」「？」（半角の ! ? も）の後ろで文に分けます。句読点は前の文に残します。

    「！？」のように続く記号はまとめて前の文に付け、かぎ括弧などの括弧（「」『』（）【】）の中では
    分けません（「「はい。」と答えた。」は 1 文）。文の前後の空白・改行は取り除き、空の文は捨てます。
    最後に記号で終わらない部分が残れば、それも 1 文とします。
    """
    if not isinstance(text, str):
        raise ValueError(f"text は文字列を期待しています（受け取った型: {type(text).__name__}）")
    sentences: list[str] = []
    start, depth = 0, 0
    for i, ch in enumerate(text):
        if ch in _OPEN_BRACKETS:
            depth += 1
        elif ch in _CLOSE_BRACKETS:
            depth = max(depth - 1, 0)
        elif ch in _SENTENCE_ENDS and depth == 0:
            if i + 1 < len(text) and text[i + 1] in _SENTENCE_ENDS:
                continue
            sentences.append(text[start : i + 1])
            start = i + 1
    sentences.append(text[start:])
    return [s.strip() for s in sentences if s.strip()]


def shuffle_sentences(text: str | Sequence[str], rng: np.random.Generator) -> str | list[str]:
    """文の順序をランダムに並べ替えます（文の中身は変えません）。

    ``text`` が文字列なら ``split_sentences`` で文に分け、並べ替えてから間に何も挟まずにつないだ文字列を
    返します。文のリスト（``list[str]``）を渡すと、並べ替えたリストを返します。どちらでも、出てくる文の
    集まり（重複を含めた多重集合）は元と同じです。記号で終わらない最後の部分も 1 文として動かすので、
    途中に来ると次の文とつながって読めます。

    ラベルが変わらないのは、文の順序に意味がない課題です。たとえば記事の話題の分類（スポーツ・政治・
    料理など）では、どの文がどこにあっても話題を決める言葉は残ります。一方、順序そのものが意味を持つ
    文章では、並べ替えると内容やラベルが変わります。

    - 物語やできごとの経過: 「朝起きた。家を出た。」の順序を変えると別の話になる。
    - 手順・指示: 「電源を切る。カバーを外す。」を入れ替えると危険な、誤った手順になる。
    - 原因と結果・前の文を受ける文: 「雨が降った。だから試合は中止になった。」の「だから」や
      「それ」「この」のような指示語は、前の文がなくなると何を指すか分からなくなる。
    - 文の順序や文章のまとまりを判定する課題そのもの（並べ替えた文章は「不自然」が正解になる）。
    """
    if isinstance(text, str):
        sentences, as_text = split_sentences(text), True
    elif isinstance(text, Sequence) and all(isinstance(t, str) and t != "" for t in text):
        sentences, as_text = list(text), False
    else:
        raise ValueError(
            "text は文章の文字列か、空でない文字列（文）のリストを期待しています"
            f"（受け取った型: {type(text).__name__}）"
        )
    _check_rng(rng)
    out = [sentences[i] for i in rng.permutation(len(sentences))]
    return "".join(out) if as_text else out
