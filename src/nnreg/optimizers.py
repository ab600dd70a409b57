"""オプティマイザ（「nnreg の使い方」・第2章・第6章）。

``step(params, grads)`` はパラメータの配列を **その場で** 更新します。状態（速度やモーメント）は
キーごとに、初めて見たときに作ります。オプティマイザが知っているのは ``params``/``grads`` の辞書だけなので、
同じオブジェクトで 2 変数の関数も MLP も最適化できます。

学習率 ``lr`` はただの属性なので、ステップの合間に書き換えられます（``fit`` の ``schedule`` が
:mod:`nnreg.schedules` のスケジュールでこれをします）。勾配の大域ノルムによる切り詰めは :func:`clip_grad_norm` です。
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


_CHUNK = (
    1 << 15
)  # SGD の更新を分ける要素数（float64 で 256 KiB。一時配列 lr·g が CPU のキャッシュに収まる大きさ）


class SGD(Optimizer):
    """確率的勾配降下法 ``p ← p - lr·g``。"""

    def _update(self, key, p, g, s) -> None:
        if p.size <= _CHUNK or not (p.flags.c_contiguous and g.flags.c_contiguous and p.shape == g.shape):
            p -= self.lr * g
            return
        # 大きな配列は _CHUNK 要素ずつ更新します。要素ごとの計算なので結果は同じですが、一時配列 lr·g が
        # キャッシュに収まり、巨大な一時配列の確保とメモリの往復が減って速くなります
        p_flat, g_flat = p.reshape(-1), g.reshape(-1)  # 連続な配列なので、どちらもコピーではなく同じメモリ
        for i in range(0, p_flat.size, _CHUNK):
            p_flat[i : i + _CHUNK] -= self.lr * g_flat[i : i + _CHUNK]


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
    """モメンタム ``v ← momentum·v - lr·g;  p ← p + v``（速度 v は 0 から始めます）。

    ``nesterov=True`` なら Nesterov の加速勾配法（NAG）です。Sutskever ら（2013）の
    ``v ← μv - lr·∇L(p + μv);  p ← p + v`` を、先読みした点 ``p + μv`` を改めて ``p`` と呼んで
    書き直した形（Bengio ら 2013。Keras の ``SGD(nesterov=True)`` と同じ）を使います::

        v ← μ·v - lr·g
        p ← p + μ·v - lr·g      （v は更新後の値）

    PyTorch との対応: ``torch.optim.SGD(momentum=μ, nesterov=nesterov)`` は学習率を含まないバッファ b で
    ``b ← μb + g;  p ← p - lr·b``（Nesterov なら ``p ← p - lr·(g + μb)``）と書きます。
    ``v = -lr·b`` と置けば、**学習率が一定なら** 両者はまったく同じ軌跡になります。
    学習率をステップの途中で変えると違いが出ます。nnreg の v には過去の学習率が掛かったまま残りますが、
    PyTorch は新しい学習率をバッファ全体に掛けます。学習率が ``lr_old`` から ``lr_new`` に変わった最初の
    ステップでは、nnreg の更新量は PyTorch より ``μ·(lr_new - lr_old)·b``（Nesterov なら
    ``μ²·(lr_new - lr_old)·b``）だけ大きくなります（b は直前までの PyTorch のバッファ）。
    """

    def __init__(self, lr: float, momentum: float = 0.9, *, nesterov: bool = False) -> None:
        super().__init__(lr)
        self.momentum = check_in_unit_interval(momentum, "momentum")
        if not isinstance(nesterov, bool):
            raise ValueError(f"nesterov は True か False を期待しています（受け取った値: {nesterov!r}）")
        self.nesterov = nesterov

    def _init_state(self, p):
        return {"v": np.zeros_like(p)}

    def _update(self, key, p, g, s) -> None:
        v = s["v"]
        v *= self.momentum
        v -= self.lr * g
        if self.nesterov:
            p += self.momentum * v - self.lr * g
        else:
            p += v

    def __repr__(self) -> str:
        if not self.nesterov:
            return super().__repr__()  # 以前の版と同じ表示
        return f"Momentum(lr={self.lr}, momentum={self.momentum}, nesterov=True)"


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
        if g.dtype == p.dtype and p.flags.c_contiguous:
            # 下の 7 行と同じ式・同じ順序の計算を、一時配列を作らずに作業用の配列 a, b へ out= で書きます。
            # 演算の順序が同じなので結果はビット単位で同じで、配列の確保とメモリの往復が減ります
            a, b = self._scratch(p)
            np.multiply(g, 1.0 - self.beta1, out=a)
            m *= self.beta1
            m += a  # m ← β1 m + (1-β1) g
            np.multiply(g, 1.0 - self.beta2, out=a)
            a *= g
            v *= self.beta2
            v += a  # v ← β2 v + (1-β2) g²
            np.divide(v, 1.0 - self.beta2**t, out=a)
            np.sqrt(a, out=a)
            a += self.eps  # √v̂ + eps
            np.divide(m, 1.0 - self.beta1**t, out=b)
            b *= self.lr
            b /= a
            p -= b  # p ← p - lr·m̂/(√v̂ + eps)
            return
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g
        m_hat = m / (1.0 - self.beta1**t)
        v_hat = v / (1.0 - self.beta2**t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def _scratch(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # 同じ形・dtype のパラメータで共有する作業用の配列 2 つ（状態ではないので state には入れません）
        if "_work" not in self.__dict__:
            self._work: dict = {}
        key = (p.shape, p.dtype.str)
        if key not in self._work:
            self._work[key] = (np.empty_like(p), np.empty_like(p))
        return self._work[key]

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


CLIP_EPS = 1e-6
""":func:`clip_grad_norm` が分母に足す小さな値（PyTorch の ``clip_grad_norm_`` と同じ 1e-6）。"""


def clip_grad_norm(grads: dict[str, np.ndarray], max_norm: float) -> float:
    """勾配を大域ノルムで切り詰めます（勾配クリッピング）。切り詰める **前** の大域ノルムを返します。

    すべての勾配の配列をつないだ 1 本のベクトルの L2 ノルム ``total = sqrt(Σ_k ‖g_k‖²)`` を計算し、
    ``scale = max_norm / (total + 1e-6)`` が 1 より小さいときだけ、すべての配列を **その場で**
    ``g ← scale·g`` にします（向きは変えず、長さだけを約 ``max_norm`` に縮めます）。
    式は PyTorch の ``torch.nn.utils.clip_grad_norm_(params, max_norm)``（既定の ``norm_type=2``）と同じです。
    Keras では ``global_clipnorm`` がこれに当たります（``clipnorm`` は配列ごとに別々に切り詰めます）。

    勾配に NaN や無限大があると、返すノルムも NaN/inf になり、勾配も NaN を含みます
    （PyTorch の既定 ``error_if_nonfinite=False`` と同じく、ここでは止めません）。

    Parameters
    ----------
    grads : ``model.gradients()`` のような、名前 → 勾配の配列 の辞書。配列はその場で書き換えます。
    max_norm : 大域ノルムの上限（正の実数）。
    """
    max_norm = check_positive(max_norm, "max_norm（大域ノルムの上限）")
    if not isinstance(grads, dict):
        raise ValueError(
            "grads は名前 → 勾配の配列 の辞書（model.gradients() など）を期待しています"
            f"（受け取った型: {type(grads).__name__}）"
        )
    for key, g in grads.items():
        if not isinstance(g, np.ndarray) or g.dtype.kind != "f":
            raise ValueError(
                f"grads[{key!r}] は浮動小数点の ndarray を期待しています"
                f"（受け取った型: {type(g).__name__}, dtype: {getattr(g, 'dtype', None)}）"
            )
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))
    scale = max_norm / (total + CLIP_EPS)
    if scale < 1.0:
        for g in grads.values():
            g *= scale
    return total
