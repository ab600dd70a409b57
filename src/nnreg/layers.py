"""層（第0章・第3章）。

すべての層は同じ約束に従います。

- ``forward(x, train=True) -> y``: 順伝播。逆伝播に必要なものだけをキャッシュします。
- ``backward(dy) -> dx``: 逆伝播。パラメータの勾配を ``grads`` に書き込みます。
- ``params`` / ``grads``: 同じキーを持つ ``dict[str, np.ndarray]``。パラメータのない層は空です。

乱数を使う層は ``rng`` 属性（``np.random.Generator``）だけから乱数を引きます。
"""

from __future__ import annotations

import numpy as np

from ._validation import as_generator, check_in_unit_interval, check_int


class Layer:
    """層の基底クラス。"""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        return self.forward(x, train=train)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _check_backward_ready(self, cache) -> None:
        if cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward の前に forward(x, train=True) を呼んでください"
            )


_INITS = ("he", "xavier", "small")


class Dense(Layer):
    """全結合層 ``y = x @ W + b``。

    Parameters
    ----------
    n_in, n_out : 入力と出力の次元。
    rng : 重みの初期化に使う ``np.random.Generator``。
    init : ``"he"``（標準偏差 √(2/n_in)、ReLU 向け）、``"xavier"``（√(1/n_in)）、
        ``"small"``（0.01）のいずれか。
    dtype : パラメータの dtype（既定は float64）。入力はこの dtype に揃えます。
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        rng: np.random.Generator | None = None,
        init: str = "he",
        dtype=np.float64,
    ) -> None:
        super().__init__()
        self.n_in = check_int(n_in, "n_in")
        self.n_out = check_int(n_out, "n_out")
        if init not in _INITS:
            raise ValueError(f"init は {_INITS} のいずれかを期待しています（受け取った値: {init!r}）")
        self.init = init
        rng = as_generator(rng)
        std = {"he": np.sqrt(2.0 / n_in), "xavier": np.sqrt(1.0 / n_in), "small": 0.01}[init]
        self.dtype = np.dtype(dtype)
        self.params = {
            "W": (rng.standard_normal((n_in, n_out)) * std).astype(self.dtype),
            "b": np.zeros(n_out, dtype=self.dtype),
        }
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(
                f"Dense の入力は形状 (N, {self.n_in}) を期待しています（受け取った形状: {x.shape}）"
            )
        self._x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self._check_backward_ready(self._x)
        self.grads["W"][...] = self._x.T @ dy
        self.grads["b"][...] = dy.sum(axis=0)
        return dy @ self.params["W"].T

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, init={self.init!r})"


class ReLU(Layer):
    """ReLU ``max(0, x)``。x = 0 での勾配は 0 とします。"""

    def __init__(self) -> None:
        super().__init__()
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = np.asarray(x)
        self._mask = x > 0
        return np.where(self._mask, x, 0.0).astype(x.dtype, copy=False)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self._check_backward_ready(self._mask)
        return dy * self._mask


class Sigmoid(Layer):
    """シグモイド ``1 / (1 + exp(-x))``（数値的に安定な形で計算）。"""

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = np.asarray(x)
        e = np.exp(-np.abs(x))
        self._y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)
        return self._y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self._check_backward_ready(self._y)
        return dy * self._y * (1.0 - self._y)


class Tanh(Layer):
    """双曲線正接 ``tanh(x)``。"""

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        self._y = np.tanh(np.asarray(x))
        return self._y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self._check_backward_ready(self._y)
        return dy * (1.0 - self._y**2)


class Dropout(Layer):
    """ドロップアウト（第3章）。

    ``rate`` は各ユニットを **無効化する（落とす）** 確率です。残す確率は ``q = 1 - rate``。
    訓練時はマスク ``r ~ Bernoulli(q)`` を掛け、``1/q`` 倍して期待値を保ちます（inverted dropout）。
    推論時（``train=False``）は恒等写像です。直近のマスクは ``mask`` 属性で見られます。

    ``inverted=False`` にすると原論文（Srivastava et al., 2014）の形になります。訓練時はマスクを
    掛けるだけで拡大せず、推論時に出力を ``q`` 倍します（次の層の重みを ``q`` 倍するのと同じ）。
    """

    def __init__(self, rate: float, *, rng: np.random.Generator | None = None, inverted: bool = True) -> None:
        super().__init__()
        self.rate = check_in_unit_interval(rate, "rate（無効化する確率）")
        self.rng = as_generator(rng)
        if not isinstance(inverted, bool):
            raise ValueError(f"inverted は True か False を期待しています（受け取った値: {inverted!r}）")
        self.inverted = inverted
        self.mask: np.ndarray | None = None
        self._scale: np.ndarray | None = None

    @property
    def keep_prob(self) -> float:
        return 1.0 - self.rate

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = np.asarray(x)
        if not train or self.rate == 0.0:
            self.mask = None
            self._scale = np.ones((), dtype=x.dtype) if train else None
            if train or self.inverted or self.rate == 0.0:
                return x
            return x * np.asarray(self.keep_prob, dtype=x.dtype)
        self.mask = self.rng.random(x.shape) >= self.rate
        self._scale = self.mask.astype(x.dtype)
        if self.inverted:
            self._scale /= np.asarray(self.keep_prob, dtype=x.dtype)
        return x * self._scale

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self._check_backward_ready(self._scale)
        return dy * self._scale

    def __repr__(self) -> str:
        extra = "" if self.inverted else ", inverted=False"
        return f"Dropout(rate={self.rate}{extra})"
