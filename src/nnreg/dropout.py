"""ドロップアウトの推論（第3章）: MC ドロップアウトと、重みのスケーリングによる推論。

- ``predict_mc``: ドロップアウト層 **だけ** を訓練モードにして何度も順伝播し、予測を平均します
  （ランダムな部分ネットワークのアンサンブル。Gal & Ghahramani, 2016 の MC ドロップアウト）。
- ``fold_dropout``: ドロップアウト層を取り除いた推論専用のモデルを作ります。原論文の形
  （``Dropout(..., inverted=False)``）の層は、次の ``Dense`` の重みを ``q`` 倍して畳み込みます。
"""

from __future__ import annotations

import copy

import numpy as np

from ._validation import as_float_array, check_int
from .layers import Dense, Dropout
from .losses import softmax
from .model import Sequential


def _dropout_layers(model: Sequential) -> list[Dropout]:
    layers = [layer for layer in model.layers if isinstance(layer, Dropout)]
    if not layers:
        raise ValueError(
            "predict_mc はドロップアウト層を含むモデルを期待しています"
            "（受け取ったモデルのドロップアウト層: 0 個）"
        )
    return layers


def predict_mc(
    model: Sequential,
    X: np.ndarray,
    n_samples: int,
    *,
    rng: np.random.Generator,
    proba: bool = True,
    return_samples: bool = False,
) -> np.ndarray:
    """MC ドロップアウトによる予測。

    ドロップアウト層だけを ``train=True``、それ以外の層を ``train=False`` にして ``n_samples`` 回
    順伝播します（毎回ちがうマスク = ちがう部分ネットワーク）。``proba=True`` なら各回の出力を
    ソフトマックスで確率にしてから平均し、``False`` なら出力（ロジット）をそのまま平均します。
    ``return_samples=True`` なら平均せず、形状 ``(n_samples, N, 出力次元)`` の配列を返します。

    マスクは ``rng`` から引きます。終わったら全層の属性（各ドロップアウト層の ``rng``・``mask``、
    逆伝播用のキャッシュ）を呼ぶ前の状態に戻すので、以後の学習や ``backward`` に影響しません。
    """
    X = as_float_array(X, "X", ndim=2)
    n_samples = check_int(n_samples, "n_samples")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            "rng には np.random.default_rng(seed) で作った Generator を渡してください"
            f"（受け取った型: {type(rng).__name__}）"
        )
    dropouts = _dropout_layers(model)
    saved = [dict(vars(layer)) for layer in model.layers]
    outputs = []
    try:
        for layer in dropouts:
            layer.rng = rng
        for _ in range(n_samples):  # マスクの抽出ごとのループ（データのサンプルについてはベクトル化）
            h = X
            for layer in model.layers:
                h = layer.forward(h, train=isinstance(layer, Dropout))
            outputs.append(softmax(h) if proba else h)
    finally:
        for layer, state in zip(model.layers, saved, strict=True):
            vars(layer).clear()
            vars(layer).update(state)
    samples = np.stack(outputs)
    return samples if return_samples else samples.mean(axis=0)


def fold_dropout(model: Sequential) -> Sequential:
    """ドロップアウト層を取り除いた推論専用のモデル（元のモデルは変えません）を返します。

    inverted dropout の層は推論時に恒等写像なので、そのまま取り除きます。
    原論文の形（``inverted=False``）の層は、直後の ``Dense`` の重み ``W`` を ``q W`` に置き換えて
    取り除きます（「テスト時に重みを q 倍する」）。どちらの場合も ``predict`` の結果は元のモデルと一致します。
    """
    layers = [copy.deepcopy(layer) for layer in model.layers]
    folded = []
    pending_q = 1.0
    for i, layer in enumerate(layers):
        if isinstance(layer, Dropout):
            if not layer.inverted:
                pending_q *= layer.keep_prob
            continue
        if pending_q != 1.0:
            if not isinstance(layer, Dense):
                raise ValueError(
                    "inverted=False のドロップアウト層の直後には Dense 層を期待しています"
                    f"（受け取った {i} 番目の層: {layer!r}）"
                )
            layer.params["W"] *= pending_q
            pending_q = 1.0
        folded.append(layer)
    if pending_q != 1.0:
        raise ValueError(
            "inverted=False のドロップアウト層の後には Dense 層を期待しています（受け取ったモデルでは最後の層です）"
        )
    if not folded:
        raise ValueError("fold_dropout の結果に層が残りません（ドロップアウト層以外の層を期待しています）")
    return Sequential(folded)
