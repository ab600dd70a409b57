"""引数検査の共通ヘルパー（全章で使用）。

公開関数の入口で一度だけ検査し、「何を期待し、何を受け取ったか」を日本語で伝えます。
"""

from __future__ import annotations

import numbers

import numpy as np


def as_float_array(x, name: str, *, ndim: int | None = None) -> np.ndarray:
    """浮動小数点の ndarray に変換し、次元数と有限性を検査して返します。"""
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"{name} は数値の配列を期待しています（受け取った dtype: {arr.dtype}）")
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} は {ndim} 次元配列を期待しています（受け取った形状: {arr.shape}）")
    check_finite(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """NaN や無限大を含む配列を拒否します。"""
    if not np.all(np.isfinite(arr)):
        n_bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"{name} に NaN または無限大が {n_bad} 個含まれています（有限の値のみを期待しています）"
        )


def check_positive(value, name: str) -> float:
    """正の有限な実数であることを検査します（学習率など）。"""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} は正の実数を期待しています（受け取った値: {value!r}）")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} は 0 より大きい有限の値を期待しています（受け取った値: {value}）")
    return float(value)


def check_nonnegative(value, name: str) -> float:
    """0 以上の有限な実数であることを検査します（正則化係数など）。"""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} は 0 以上の実数を期待しています（受け取った値: {value!r}）")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} は 0 以上の有限の値を期待しています（受け取った値: {value}）")
    return float(value)


def check_in_unit_interval(value, name: str, *, closed_right: bool = False) -> float:
    """[0, 1) （closed_right=True なら [0, 1]）に入ることを検査します。"""
    bracket = "]" if closed_right else ")"
    ok_type = not isinstance(value, bool) and isinstance(value, numbers.Real)
    upper_ok = ok_type and (value <= 1 if closed_right else value < 1)
    if not ok_type or not np.isfinite(value) or value < 0 or not upper_ok:
        raise ValueError(f"{name} は [0, 1{bracket} の範囲の値を期待しています（受け取った値: {value!r}）")
    return float(value)


def check_int(value, name: str, *, minimum: int = 1) -> int:
    """minimum 以上の整数であることを検査します（エポック数、バッチサイズなど）。"""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} は整数を期待しています（受け取った値: {value!r}）")
    if value < minimum:
        raise ValueError(f"{name} は {minimum} 以上の整数を期待しています（受け取った値: {value}）")
    return int(value)


def check_labels(t, n_classes: int, n_samples: int, name: str = "t") -> np.ndarray:
    """整数ラベル (N,) を検査して int64 で返します。"""
    t = np.asarray(t)
    if t.ndim != 1:
        raise ValueError(
            f"{name} は形状 ({n_samples},) の整数ラベルを期待しています（受け取った形状: {t.shape}）"
        )
    if t.shape[0] != n_samples:
        raise ValueError(
            f"{name} の長さは予測と同じ {n_samples} を期待しています（受け取った長さ: {t.shape[0]}）"
        )
    if t.dtype.kind not in "iu":
        if t.dtype.kind == "f" and np.all(np.isfinite(t)) and np.all(t == np.round(t)):
            t = t.astype(np.int64)
        else:
            raise ValueError(f"{name} は整数ラベルを期待しています（受け取った dtype: {t.dtype}）")
    if t.size and (t.min() < 0 or t.max() >= n_classes):
        raise ValueError(
            f"{name} のラベルは 0 以上 {n_classes} 未満を期待しています"
            f"（受け取った範囲: {int(t.min())}〜{int(t.max())}）"
        )
    return t.astype(np.int64, copy=False)


def as_generator(rng) -> np.random.Generator:
    """None なら新しい Generator、Generator ならそのまま返します。整数は受け付けません。"""
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    raise ValueError(
        "rng には np.random.default_rng(seed) で作った Generator を渡してください"
        f"（受け取った型: {type(rng).__name__}）"
    )
