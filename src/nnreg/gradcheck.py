"""勾配確認（全章）: 数値微分と解析的な勾配（逆伝播）を比べます。

勾配確認は float64 で、バッチサイズ 2 以上で行ってください。バッチサイズ 1 では、
正規化層のようにサンプル間で値が混ざる層のバグが隠れてしまいます。
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """中心差分 ``(f(x+eps) - f(x-eps)) / (2 eps)`` による勾配。

    ``x`` の各要素を **その場で** ずらしてから元に戻すので、``f`` が ``x`` を（モデルのパラメータとして）
    参照していても動きます。``x`` は float64 の配列を期待します。
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError(
            "numerical_gradient の x は float64 の ndarray を期待しています"
            f"（受け取った型: {type(x).__name__}, dtype: {getattr(x, 'dtype', None)}）"
        )
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        orig = x[i]
        x[i] = orig + eps
        f_plus = f(x)
        x[i] = orig - eps
        f_minus = f(x)
        x[i] = orig
        grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """相対誤差 ``‖a - b‖ / max(‖a‖ + ‖b‖, 1e-12)``（ノルムは全要素の L2 ノルム）。"""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a と b は同じ形状を期待しています（受け取った形状: {a.shape} と {b.shape}）")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def _replaying(layer) -> Callable[[], None]:
    """層が乱数（``rng`` 属性）を使うなら、毎回同じ乱数を引くように状態を巻き戻す関数を返します。"""
    rng = getattr(layer, "rng", None)
    if isinstance(rng, np.random.Generator):
        state = rng.bit_generator.state

        def reset() -> None:
            rng.bit_generator.state = state

        return reset
    return lambda: None


def check_layer(
    layer, x: np.ndarray, *, rng: np.random.Generator | None = None, eps: float = 1e-6
) -> dict[str, float]:
    """層の逆伝播を数値微分と比べ、``{"x": 誤差, "<param>": 誤差, ...}`` を返します。

    損失として ``L = Σ forward(x) ⊙ R``（R は固定した乱数）を使うので、``backward(R)`` が
    ∂L/∂x を返すはずです。ドロップアウトのように乱数を使う層では、毎回同じマスクを使います。
    """
    x = np.array(x, dtype=np.float64)
    if x.ndim < 2 or x.shape[0] < 2:
        raise ValueError(
            f"check_layer はバッチサイズ 2 以上の入力を期待しています（受け取った形状: {x.shape}）"
        )
    rng = rng if rng is not None else np.random.default_rng(0)
    reset = _replaying(layer)
    reset()
    y = layer.forward(x, train=True)
    R = rng.standard_normal(y.shape)

    def loss(_=None) -> float:
        reset()
        return float(np.sum(layer.forward(x, train=True) * R))

    reset()
    layer.forward(x, train=True)
    dx = layer.backward(R)
    analytic = {"x": dx.copy(), **{k: g.copy() for k, g in layer.grads.items()}}
    errors = {"x": relative_error(analytic["x"], numerical_gradient(loss, x, eps))}
    for k, p in layer.params.items():
        errors[k] = relative_error(analytic[k], numerical_gradient(loss, p, eps))
    return errors


def check_model(
    model, loss, x: np.ndarray, t: np.ndarray, *, regularizer=None, eps: float = 1e-6
) -> dict[str, float]:
    """モデル全体の損失（+ 正則化項）について、各パラメータの勾配の相対誤差を返します。"""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] < 2:
        raise ValueError(
            f"check_model はバッチサイズ 2 以上の入力を期待しています（受け取った形状: {x.shape}）"
        )
    resets = [_replaying(layer) for layer in model.layers]

    def objective(_=None) -> float:
        for r in resets:
            r()
        value = loss.forward(model.forward(x, train=True), t)
        if regularizer is not None:
            value += regularizer.penalty(model.parameters())
        return value

    objective()
    model.backward(loss.backward())
    analytic = {k: g.copy() for k, g in model.gradients().items()}
    if regularizer is not None:
        for k, g in regularizer.grad(model.parameters()).items():
            analytic[k] += g
    return {
        k: relative_error(analytic[k], numerical_gradient(objective, p, eps))
        for k, p in model.parameters().items()
    }
