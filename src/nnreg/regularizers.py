"""正則化項（第2章）: L2 正則化と L1 正則化。

どちらも **重み行列だけ** に掛けます。重み行列とは、パラメータのキーの最後の名前が ``"W"`` のもの
（``"0.W"`` や ``"W"``）です（:func:`is_weight`）。バイアス ``b`` や正規化層の ``gamma``/``beta`` は
入力に対する関数の「鋭さ」を決めないので、罰しません。

L1 の「ちょうど 0」を作るための近接写像（ソフトしきい値処理）:func:`soft_threshold` と
:meth:`L1.prox` もここにあります（使い方は ``nnreg.optimizers.ProximalSGD``）。
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
    """L1 正則化 ``λ Σ_W |W|``。劣勾配は ``λ sign(W)``（W = 0 では 0 を選びます）。

    劣勾配で SGD をすると、重みは 0 の近くで ``±lr·λ`` の幅で振動し、ちょうど 0 にはまずなりません。
    ちょうど 0 を作るには、勾配のステップの後に :meth:`prox`（ソフトしきい値処理）を施します。
    """

    def __init__(self, lam: float) -> None:
        self.lam = check_nonnegative(lam, "lam（正則化の強さ λ）")

    def penalty(self, params: dict[str, np.ndarray]) -> float:
        return float(self.lam * sum(np.sum(np.abs(v)) for k, v in params.items() if is_weight(k)))

    def grad(self, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: self.lam * np.sign(v) for k, v in params.items() if is_weight(k)}

    def prox(self, params: dict[str, np.ndarray], step: float) -> None:
        """近接写像: 重み行列を **その場で** ``soft_threshold(W, step·λ)`` に置き換えます。

        ``step`` はそのステップの学習率です。``W - step·∂L0/∂W`` の後に呼ぶと、
        近接勾配法（ISTA）の 1 ステップ ``argmin_W ½‖W - V‖² + step·λ‖W‖₁`` になります。
        """
        step = check_nonnegative(step, "step（学習率）")
        for k, v in params.items():
            if is_weight(k):
                v[...] = soft_threshold(v, step * self.lam)

    def __repr__(self) -> str:
        return f"L1(lam={self.lam})"


def soft_threshold(v: np.ndarray, threshold: float) -> np.ndarray:
    """ソフトしきい値処理 ``sign(v)·max(|v| - threshold, 0)``（新しい配列を返します）。

    ``argmin_x ½(x - v)² + threshold·|x|`` の解（L1 の近接写像）です。
    ``|v| ≤ threshold`` の要素はちょうど 0 になります。
    """
    threshold = check_nonnegative(threshold, "threshold（しきい値）")
    v = np.asarray(v, dtype=np.float64)
    return np.sign(v) * np.maximum(np.abs(v) - threshold, 0.0)


def weight_norm(params: dict[str, np.ndarray]) -> float:
    """重み行列全体の L2 ノルム ``sqrt(Σ_W ‖W‖²)``。"""
    return float(np.sqrt(sum(np.sum(v * v) for k, v in params.items() if is_weight(k))))


class WeightNormRecorder:
    """``fit`` のコールバック: 各エポックの終わりに :func:`weight_norm` を ``norms`` に記録します。

    ``norms[0]`` は 1 エポック目の終わりの値です。学習を止めることはありません。
    """

    def __init__(self) -> None:
        self.norms: list[float] = []

    def on_epoch_end(self, epoch: int, history, model) -> bool:
        self.norms.append(weight_norm(model.parameters()))
        return False

    def __repr__(self) -> str:
        return f"WeightNormRecorder({len(self.norms)} エポック分)"
