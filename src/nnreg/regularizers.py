"""正則化項（第2章）: L2 正則化と L1 正則化。

どちらも **重み行列だけ** に掛けます。重み行列とは、パラメータのキーの最後の名前が ``"W"`` のもの
（``"0.W"`` や ``"W"``）です（:func:`is_weight`）。バイアス ``b`` や正規化層の ``gamma``/``beta`` は
入力に対する関数の「鋭さ」を決めないので、罰しません。
"""

from __future__ import annotations

import numpy as np

from ._validation import check_nonnegative


def is_weight(key: str) -> bool:
    """キーが重み行列を指すかどうか（``"0.W"`` → True、``"0.b"`` → False）。"""
    return key.rsplit(".", 1)[-1] == "W"


class L2:
    """L2 正則化 ``λ Σ_W ‖W‖²``。勾配は ``2λW``。

    注意: PyTorch などの ``weight_decay`` は ``(λ/2)‖W‖²``（勾配 ``λW``）の慣習です。
    ``nnreg`` の ``L2(lam)`` は ``weight_decay = 2*lam`` に対応します。
    """

    def __init__(self, lam: float) -> None:
        self.lam = check_nonnegative(lam, "lam（正則化の強さ λ）")

    def penalty(self, params: dict[str, np.ndarray]) -> float:
        return float(self.lam * sum(np.sum(v * v) for k, v in params.items() if is_weight(k)))

    def grad(self, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: 2.0 * self.lam * v for k, v in params.items() if is_weight(k)}

    def __repr__(self) -> str:
        return f"L2(lam={self.lam})"


class L1:
    """L1 正則化 ``λ Σ_W |W|``。劣勾配は ``λ sign(W)``（W = 0 では 0 を選びます）。"""

    def __init__(self, lam: float) -> None:
        self.lam = check_nonnegative(lam, "lam（正則化の強さ λ）")

    def penalty(self, params: dict[str, np.ndarray]) -> float:
        return float(self.lam * sum(np.sum(np.abs(v)) for k, v in params.items() if is_weight(k)))

    def grad(self, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: self.lam * np.sign(v) for k, v in params.items() if is_weight(k)}

    def __repr__(self) -> str:
        return f"L1(lam={self.lam})"


def weight_norm(params: dict[str, np.ndarray]) -> float:
    """重み行列全体の L2 ノルム ``sqrt(Σ_W ‖W‖²)``。"""
    return float(np.sqrt(sum(np.sum(v * v) for k, v in params.items() if is_weight(k))))
