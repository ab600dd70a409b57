"""学習曲線の読み方（第1章）: 検証損失の「曲がり角」を曲線から求めます。

過学習が始まると、訓練損失は下がり続けるのに検証損失は下げ止まり、上がり始めます。
その境目（曲がり角）を、検証損失の（移動平均でならした）最小点として求めます。
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_int


def moving_average(values, window: int = 1) -> np.ndarray:
    """中心移動平均（長さは元と同じ）。端では窓に入る点だけで平均します。``window`` は正の奇数。"""
    v = as_float_array(values, "values", ndim=1)
    window = check_int(window, "window")
    if window % 2 == 0:
        raise ValueError(f"window は正の奇数を期待しています（受け取った値: {window}）")
    if len(v) == 0:
        raise ValueError("values は 1 個以上の値を期待しています（受け取った長さ: 0）")
    kernel = np.ones(window)
    sums = np.convolve(v, kernel, mode="same")
    counts = np.convolve(np.ones_like(v), kernel, mode="same")
    return sums / counts


def turning_point(values, *, window: int = 1) -> int:
    """曲線 ``values``（エポック 1, 2, … の値）が最小になるエポック（1 始まり）。

    ``window > 1`` なら中心移動平均でならしてから最小を探すので、細かな揺れに惑わされにくくなります。
    同じ最小値が複数あれば最初のエポックを返します。
    """
    return int(np.argmin(moving_average(values, window))) + 1
