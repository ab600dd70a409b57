"""オプティマイザ（「nnreg の使い方」・第2章・第6章）。

``step(params, grads)`` はパラメータの配列を **その場で** 更新します。状態（速度やモーメント）は
キーごとに、初めて見たときに作ります。オプティマイザが知っているのは ``params``/``grads`` の辞書だけなので、
同じオブジェクトで 2 変数の関数も MLP も最適化できます。
"""

from __future__ import annotations

import numpy as np

from ._validation import check_in_unit_interval, check_nonnegative, check_positive
from .regularizers import L1, is_weight


class Optimizer:
    """オプティマイザの基底クラス。"""

    def __init__(self, lr: float) -> None:
        self.lr = check_positive(lr, "lr（学習率）")
        self.state: dict[str, dict[str, np.ndarray]] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        for key, p in params.items():
            if key not in grads:
                raise ValueError(f"grads にキー {key!r} がありません（params のキー: {sorted(params)}）")
            g = grads[key]
            if g.shape != p.shape:
                raise ValueError(
                    f"grads[{key!r}] は形状 {p.shape} を期待しています（受け取った形状: {g.shape}）"
                )
            if key not in self.state:
                self.state[key] = self._init_state(p)
            self._update(key, p, g, self.state[key])

    def _init_state(self, p: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def _update(self, key: str, p: np.ndarray, g: np.ndarray, s: dict) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"


class SGD(Optimizer):
    """確率的勾配降下法 ``p ← p - lr·g``。"""

    def _update(self, key, p, g, s) -> None:
        p -= self.lr * g


class ProximalSGD(Optimizer):
    """L1 正則化のための近接勾配法（ISTA）の SGD（第2章）。

    まず ``p ← p - lr·g``（g は L1 を含まない損失の勾配）、次に重み行列（:func:`nnreg.regularizers.is_weight`）
    にだけソフトしきい値処理 ``p ← sign(p)·max(|p| - lr·l1, 0)`` を施します。
    劣勾配 ``l1·sign(W)`` を足す SGD と違い、小さな重みは **ちょうど 0** になり、そこに留まります。
    ``fit`` には ``regularizer`` を渡さずに使います（渡すと L1 を二重に掛けることになります）。
    """

    def __init__(self, lr: float, l1: float) -> None:
        super().__init__(lr)
        self.l1 = L1(l1)

    def _update(self, key, p, g, s) -> None:
        p -= self.lr * g
        if is_weight(key):
            self.l1.prox({key: p}, self.lr)

    def __repr__(self) -> str:
        return f"ProximalSGD(lr={self.lr}, l1={self.l1.lam})"


class Momentum(Optimizer):
    """モメンタム ``v ← momentum·v - lr·g;  p ← p + v``。"""

    def __init__(self, lr: float, momentum: float = 0.9) -> None:
        super().__init__(lr)
        self.momentum = check_in_unit_interval(momentum, "momentum")

    def _init_state(self, p):
        return {"v": np.zeros_like(p)}

    def _update(self, key, p, g, s) -> None:
        v = s["v"]
        v *= self.momentum
        v -= self.lr * g
        p += v


class AdaGrad(Optimizer):
    """AdaGrad ``h ← h + g²;  p ← p - lr·g/(√h + eps)``。"""

    def __init__(self, lr: float = 0.01, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.eps = check_positive(eps, "eps")

    def _init_state(self, p):
        return {"h": np.zeros_like(p)}

    def _update(self, key, p, g, s) -> None:
        s["h"] += g * g
        p -= self.lr * g / (np.sqrt(s["h"]) + self.eps)


class RMSprop(Optimizer):
    """RMSprop ``h ← ρh + (1-ρ)g²;  p ← p - lr·g/(√h + eps)``。"""

    def __init__(self, lr: float = 1e-3, rho: float = 0.9, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.rho = check_in_unit_interval(rho, "rho")
        self.eps = check_positive(eps, "eps")

    def _init_state(self, p):
        return {"h": np.zeros_like(p)}

    def _update(self, key, p, g, s) -> None:
        h = s["h"]
        h *= self.rho
        h += (1.0 - self.rho) * g * g
        p -= self.lr * g / (np.sqrt(h) + self.eps)


class Adam(Optimizer):
    """Adam（Kingma & Ba, 2015）。バイアス補正つき。

    ``m ← β1 m + (1-β1) g``、``v ← β2 v + (1-β2) g²``、
    ``m̂ = m/(1-β1^t)``、``v̂ = v/(1-β2^t)``、``p ← p - lr·m̂/(√v̂ + eps)``。
    ステップ数 t はキーごとに数えます。
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.beta1 = check_in_unit_interval(beta1, "beta1")
        self.beta2 = check_in_unit_interval(beta2, "beta2")
        self.eps = check_positive(eps, "eps")

    def _init_state(self, p):
        return {"m": np.zeros_like(p), "v": np.zeros_like(p), "t": np.zeros((), dtype=np.int64)}

    def _adam_step(self, p, g, s) -> None:
        s["t"] += 1
        t = int(s["t"])
        m, v = s["m"], s["v"]
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g
        m_hat = m / (1.0 - self.beta1**t)
        v_hat = v / (1.0 - self.beta2**t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def _update(self, key, p, g, s) -> None:
        self._adam_step(p, g, s)


class AdamW(Adam):
    """AdamW（Loshchilov & Hutter, ICLR 2019）: 重み減衰を勾配から切り離した Adam。

    重み行列（:func:`nnreg.regularizers.is_weight`）にだけ ``p ← p - lr·weight_decay·p`` を施し、
    その後で通常の Adam の更新をします。
    """

    def __init__(
        self,
        lr: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(lr, beta1, beta2, eps)
        self.weight_decay = check_nonnegative(weight_decay, "weight_decay")

    def _update(self, key, p, g, s) -> None:
        if is_weight(key) and self.weight_decay:
            p -= self.lr * self.weight_decay * p
        self._adam_step(p, g, s)
