"""データ拡張（第1章・データ拡張の章）: 画像をずらす変換。

画像は行ごとに平らにした (N, H·W) の配列で受け取り、同じ形で返します（元の配列は書き換えません）。

- ``shift_images(X, dx, dy)``: すべての画像（または画像ごとに指定した量）を決まった画素数だけずらす。
- ``random_shift(max_shift)``: ``fit(..., augment=random_shift(1))`` に渡せる ``(X, rng) -> X`` の変換を作る。

ずらして空いた画素は ``fill``（既定 0 = 背景）で埋め、はみ出した画素は捨てます。
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._validation import as_float_array, check_int


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
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                f"rng には np.random.Generator を渡してください（受け取った型: {type(rng).__name__}）"
            )
        n = len(X)
        dx = rng.integers(-max_shift, max_shift + 1, size=n)
        dy = rng.integers(-max_shift, max_shift + 1, size=n)
        return _shift(X, dx, dy, shape, fill)

    augment.__name__ = f"random_shift({max_shift})"
    return augment
