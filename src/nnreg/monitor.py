"""層の中の値の記録（第4章）: 活性化関数に入る値（前活性）の分布と、層ごとの勾配の大きさ。

正規化の効果を見るために、学習の途中でネットワークの中を覗く道具です。
どれも **学習の状態を変えません**（BatchNorm の移動平均も、パラメータの勾配も書き換えません）。
"""

from __future__ import annotations

import copy

import numpy as np

from ._validation import as_float_array
from .layers import Dense, Layer, ReLU, Sigmoid, Tanh
from .model import Sequential

ACTIVATIONS: tuple[type[Layer], ...] = (ReLU, Sigmoid, Tanh)


def preactivations(
    model: Sequential, X: np.ndarray, *, activations: tuple[type[Layer], ...] = ACTIVATIONS
) -> list[np.ndarray]:
    """推論モード（``train=False``）で ``X`` を流し、各活性化層に **入る** 値を順に返します。

    戻り値は活性化層の数だけの配列（形状 (N, その層のユニット数)）のリストです。
    推論モードなので、BatchNorm は移動平均を使い、移動平均を更新しません。
    """
    x = as_float_array(X, "X", ndim=2)
    out: list[np.ndarray] = []
    for layer in model.layers:
        if isinstance(layer, activations):
            out.append(x.copy())
        x = layer.forward(x, train=False)
    if not out:
        raise ValueError(
            f"モデルに活性化層（{', '.join(c.__name__ for c in activations)}）が見つかりません"
            f"（受け取ったモデルの層: {[type(layer).__name__ for layer in model.layers]}）"
        )
    return out


def dead_relu_fraction(model: Sequential, X: np.ndarray) -> float:
    """「死んだ」ReLU の割合: ``X`` のどのサンプルでも入力が 0 以下（出力が常に 0）のユニットの割合（第4・6章）。

    モデルのすべての ReLU 層のユニットをまとめて数えます。推論モードで計算し、学習の状態は変えません。
    """
    zs = preactivations(model, X, activations=(ReLU,))
    return float(np.mean(np.concatenate([np.all(z <= 0, axis=0) for z in zs])))


class ActivationStats:
    """コールバック: 各エポックの終わりに、固定したデータ ``X`` での前活性の分布を記録します。

    記録するのは活性化層ごとの、全サンプル・全ユニットをまとめた平均 ``mean``、標準偏差 ``std``、
    15・50・85 パーセンタイル ``quantiles`` です。Ioffe & Szegedy (2015) の図 1 も 15・50・85 パーセンタイルを
    描きますが、あちらは **1 つのユニット** の分布を追ったものです。ここでは全ユニットをまとめるので、
    ユニットごとの平均の違いも幅に含まれます（第4章はユニットごとの統計量で見ています）。
    学習前の値は ``record(model)`` を自分で呼んで記録します（エポック 0）。

    - ``mean`` / ``std``: 形状 (記録の回数, 活性化層の数) の配列
    - ``quantiles``: 形状 (記録の回数, 活性化層の数, 3) の配列
    - ``epochs``: 記録したエポック番号のリスト
    """

    QUANTILES = (15, 50, 85)

    def __init__(self, X: np.ndarray, *, activations: tuple[type[Layer], ...] = ACTIVATIONS) -> None:
        self.X = as_float_array(X, "X", ndim=2)
        self.activations = activations
        self.epochs: list[int] = []
        self._mean: list[np.ndarray] = []
        self._std: list[np.ndarray] = []
        self._q: list[np.ndarray] = []

    def record(self, model: Sequential, epoch: int = 0) -> None:
        zs = preactivations(model, self.X, activations=self.activations)
        self.epochs.append(int(epoch))
        self._mean.append(np.array([z.mean() for z in zs]))
        self._std.append(np.array([z.std() for z in zs]))
        self._q.append(np.array([np.percentile(z, self.QUANTILES) for z in zs]))

    def on_epoch_end(self, epoch: int, history, model: Sequential) -> bool:
        self.record(model, epoch)
        return False

    @property
    def mean(self) -> np.ndarray:
        return np.array(self._mean)

    @property
    def std(self) -> np.ndarray:
        return np.array(self._std)

    @property
    def quantiles(self) -> np.ndarray:
        return np.array(self._q)


def gradient_norms(model: Sequential, loss, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """訓練モードで 1 回順伝播・逆伝播したときの、各 ``Dense`` 層の重みの勾配のノルム ``‖∂L/∂W‖``。

    入力に近い層から順に並べた配列を返します。モデルのコピーで計算するので、
    元のモデルの勾配や BatchNorm の移動平均は変わりません。
    """
    X = as_float_array(X, "X", ndim=2)
    work = copy.deepcopy(model)
    dense = [layer for layer in work.layers if isinstance(layer, Dense)]
    if not dense:
        raise ValueError("モデルに Dense 層が見つかりません（勾配のノルムは Dense の重みについて計算します）")
    loss.forward(work.forward(X, train=True), y)
    work.backward(loss.backward())
    return np.array([np.linalg.norm(layer.grads["W"]) for layer in dense])
