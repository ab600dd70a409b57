"""損失関数（「nnreg の使い方」）。

``forward(y_pred, t) -> float`` はバッチ平均の損失を返し、``backward() -> dy_pred`` はその勾配を返します。
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_labels


def softmax(z: np.ndarray) -> np.ndarray:
    """行ごとのソフトマックス（最大値を引いてオーバーフローを防ぎます）。"""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class SoftmaxCrossEntropy:
    """ソフトマックス + 交差エントロピー誤差。

    ``y_pred`` はロジット (N, C)、``t`` は整数ラベル (N,) または one-hot / 確率 (N, C)。
    損失は ``-(1/N) Σ_n Σ_k t_nk log softmax(y_n)_k``。
    """

    def __init__(self) -> None:
        self._p: np.ndarray | None = None
        self._t: np.ndarray | None = None

    def forward(self, y_pred: np.ndarray, t: np.ndarray) -> float:
        y_pred = as_float_array(y_pred, "y_pred（ロジット）", ndim=2)
        n, c = y_pred.shape
        t_arr = np.asarray(t)
        if t_arr.ndim == 2:
            if t_arr.shape != (n, c):
                raise ValueError(
                    f"t（one-hot）は形状 {(n, c)} を期待しています（受け取った形状: {t_arr.shape}）"
                )
            onehot = as_float_array(t_arr, "t（one-hot）").astype(y_pred.dtype)
        else:
            labels = check_labels(t_arr, c, n)
            onehot = np.zeros_like(y_pred)
            onehot[np.arange(n), labels] = 1.0
        z = y_pred - y_pred.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self._p = np.exp(log_p)
        self._t = onehot
        return float(-(onehot * log_p).sum() / n)

    def backward(self) -> np.ndarray:
        if self._p is None:
            raise RuntimeError("SoftmaxCrossEntropy.backward の前に forward を呼んでください")
        return (self._p - self._t) / self._p.shape[0]

    def __repr__(self) -> str:
        return "SoftmaxCrossEntropy()"


class MeanSquaredError:
    """平均二乗誤差 ``(1/(N·D)) Σ (y - t)²``（全要素の平均。PyTorch の ``MSELoss`` と同じ）。

    ``y_pred`` が (N, 1) のとき、``t`` は (N,) でも受け付けます。
    """

    def __init__(self) -> None:
        self._diff: np.ndarray | None = None

    def forward(self, y_pred: np.ndarray, t: np.ndarray) -> float:
        y_pred = as_float_array(y_pred, "y_pred", ndim=2)
        t = as_float_array(t, "t")
        if t.ndim == 1 and y_pred.shape[1] == 1:
            t = t[:, None]
        if t.shape != y_pred.shape:
            raise ValueError(
                f"t は y_pred と同じ形状 {y_pred.shape} を期待しています（受け取った形状: {t.shape}）"
            )
        self._diff = y_pred - t
        return float(np.mean(self._diff**2))

    def backward(self) -> np.ndarray:
        if self._diff is None:
            raise RuntimeError("MeanSquaredError.backward の前に forward を呼んでください")
        return 2.0 * self._diff / self._diff.size

    def __repr__(self) -> str:
        return "MeanSquaredError()"
