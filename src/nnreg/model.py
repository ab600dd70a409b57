"""モデル（「nnreg の使い方」）: 層を順に並べた ``Sequential``。"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np

from ._validation import as_float_array
from .layers import Dense, Layer


class Sequential:
    """層を順に適用するモデル。

    ``parameters()`` / ``gradients()`` は ``"<層の番号>.<名前>"``（例 ``"0.W"``）をキーとし、
    層が持つ **配列そのもの** を返します。オプティマイザはこの配列をその場で書き換えます。
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        self.layers = list(layers)
        if not self.layers:
            raise ValueError("Sequential には 1 つ以上の層を渡してください（受け取った層: 0 個）")
        for i, layer in enumerate(self.layers):
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise ValueError(
                    f"{i} 番目の要素は forward/backward を持つ層を期待しています"
                    f"（受け取った型: {type(layer).__name__}）"
                )

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x, train=train)
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def _backward_for_fit(self, dy: np.ndarray) -> None:
        """``backward`` と同じ勾配を ``grads`` に書き込みますが、入力 x についての勾配は返しません（fit 用）。

        学習に要るのはパラメータの勾配だけなので、最初の層が ``Dense`` なら、その入力についての勾配
        ``dy @ W.T``（行列積 1 回分）を省きます。ほかの勾配の計算は ``backward`` とまったく同じです。
        """
        first = self.layers[0]
        if (
            type(self).backward is not Sequential.backward
            or type(first) is not Dense
            or "backward" in vars(first)
        ):
            self.backward(dy)  # backward を上書きしたモデルや層では、その backward をそのまま使います
            return
        for layer in reversed(self.layers[1:]):
            dy = layer.backward(dy)
        first._param_grads(dy)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """推論モード（``train=False``）での出力。入力の NaN/inf は拒否します。"""
        x = as_float_array(x, "x", ndim=2)
        return self.forward(x, train=False)

    __call__ = forward

    def parameters(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}

    def gradients(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads.items()}

    def n_parameters(self) -> int:
        """学習可能なパラメータの総数。"""
        return int(sum(v.size for v in self.parameters().values()))

    def __repr__(self) -> str:
        inner = ",\n".join(f"  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"


def mlp(
    sizes: list[int] | tuple[int, ...],
    *,
    rng: np.random.Generator,
    activation: type[Layer] | None = None,
    dropout: float = 0.0,
    init: str = "he",
    norm: str | None = None,
) -> Sequential:
    """全結合ネットワークを作る近道。``sizes=(64, 100, 10)`` なら Dense-ReLU-Dense。

    ``dropout > 0`` なら各隠れ層の活性化の後に ``Dropout(dropout)`` を挟みます。
    ``norm="batch"`` / ``"layer"`` なら各隠れ層の ``Dense`` の直後（活性化の前）に
    ``BatchNorm`` / ``LayerNorm`` を挟みます（第4章）。出力層の後には挟みません。
    """
    from .layers import BatchNorm, Dense, Dropout, LayerNorm, ReLU

    if len(sizes) < 2:
        raise ValueError(f"sizes は入力と出力を含む 2 個以上の整数を期待しています（受け取った値: {sizes}）")
    norms = {None: None, "batch": BatchNorm, "layer": LayerNorm}
    if norm not in norms:
        raise ValueError(
            f"norm は None、'batch'、'layer' のいずれかを期待しています（受け取った値: {norm!r}）"
        )
    norm_cls = norms[norm]
    act = activation or ReLU
    layers: list[Layer] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(Dense(a, b, rng=rng, init=init))
        if i < len(sizes) - 2:
            if norm_cls is not None:
                layers.append(norm_cls(b))
            layers.append(act())
            if dropout > 0:
                layers.append(Dropout(dropout, rng=rng))
    return Sequential(layers)
