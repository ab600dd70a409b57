"""層（「nnreg の使い方」・第3章・第4章）。

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

    # 順伝播で覚えておき、逆伝播で使う値（各層の forward が毎回作り直します）
    _FORWARD_CACHES = ("_x", "_mask", "_y", "_scale", "_cache", "_s")

    def __getstate__(self) -> dict:
        # pickle と copy.deepcopy では、直前の順伝播で覚えた値を持ち越しません（次の forward で作り直す値です）。
        # parallel_map が子プロセスから学習済みのモデルを送るとき、送る量がそのぶん減ります
        state = self.__dict__.copy()
        for name in self._FORWARD_CACHES:
            if name in state:
                state[name] = None
        return state

    def _check_backward_ready(self, cache) -> None:
        if cache is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward の前に forward(x, train=True) を呼んでください"
            )


_INITS = ("he", "lecun", "glorot", "xavier", "small")


class Dense(Layer):
    """全結合層 ``y = x @ W + b``。

    Parameters
    ----------
    n_in, n_out : 入力と出力の次元。
    rng : 重みの初期化に使う ``np.random.Generator``。
    init : 重みの初期値の正規分布の標準偏差の決め方。
        ``"he"``: √(2/n_in)（He ら 2015。ReLU 向け）、
        ``"lecun"``: √(1/n_in)（LeCun ら 1998。0 の近くで線形な活性化関数なら分散を保つ。tanh では深いと少しずつ縮む。第4章）、
        ``"glorot"``: √(2/(n_in+n_out))（Glorot と Bengio 2010。順伝播と逆伝播の分散の折り合い）、
        ``"xavier"``: ``"glorot"`` の別名（Xavier Glorot の名から）、
        ``"small"``: 0.01。
        以前の版の ``"xavier"`` は √(1/n_in) でしたが、これは LeCun の初期化なので ``"lecun"`` と名付け直し、
        ``"xavier"`` を本来の Glorot の初期化にしました。
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
        glorot = np.sqrt(2.0 / (n_in + n_out))
        std = {
            "he": np.sqrt(2.0 / n_in),
            "lecun": np.sqrt(1.0 / n_in),
            "glorot": glorot,
            "xavier": glorot,
            "small": 0.01,
        }[init]
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
        y = x @ self.params["W"]
        b = self.params["b"]
        if y.dtype == b.dtype:
            y += b  # x @ W + b と同じ足し算を、一時配列を作らずにその場で（結果のビットも同じ）
        else:
            y = y + b
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self._param_grads(dy)
        return dy @ self.params["W"].T

    def _param_grads(self, dy: np.ndarray) -> None:
        """パラメータの勾配だけを ``grads`` に書き込みます（入力についての勾配は計算しません）。"""
        self._check_backward_ready(self._x)
        gW, gb = self.grads["W"], self.grads["b"]
        if dy.dtype == self._x.dtype == gW.dtype == gb.dtype:
            # 勾配の配列へ直接書き込みます（同じ行列積・同じ和を、一時配列とそのコピーなしで）
            np.matmul(self._x.T, dy, out=gW)
            dy.sum(axis=0, out=gb)
        else:  # dtype が混ざるとき（例: float64 の BatchNorm の後の float32 の Dense）は型変換が要る
            gW[...] = self._x.T @ dy
            gb[...] = dy.sum(axis=0)

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, init={self.init!r})"


_INT_OF_SIZE = {2: np.int16, 4: np.int32, 8: np.int64}


def _keep_where(mask: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``np.where(mask, x, 0.0)`` と同じビット列（mask が True なら x、False なら +0.0）を速く作ります。

    np.where は要素ごとに選ぶので遅い（ReLU の計算時間の大半）。代わりに浮動小数点数のビット列を同じ幅の
    整数として見て、True なら全ビット 1（= -1）、False なら 0 の整数との論理積をとります。+0.0 のビット列は
    全ビット 0 なので、NaN・inf・-0.0 を含めて np.where とまったく同じ結果になり、5 倍ほど速くなります。
    """
    y = np.empty_like(x)
    y_bits = y.view(_INT_OF_SIZE[x.dtype.itemsize])
    np.negative(mask.view(np.int8), out=y_bits, casting="unsafe")  # True → -1（全ビット 1）、False → 0
    np.bitwise_and(x.view(y_bits.dtype), y_bits, out=y_bits)
    return y


class ReLU(Layer):
    """ReLU ``max(0, x)``。x = 0 での勾配は 0 とします。"""

    def __init__(self) -> None:
        super().__init__()
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = np.asarray(x)
        self._mask = x > 0
        if x.dtype.itemsize not in _INT_OF_SIZE or x.dtype.kind != "f":
            return np.where(self._mask, x, 0.0).astype(x.dtype, copy=False)
        return _keep_where(self._mask, x)

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
        d = 1.0 + e  # 分母は 1 回だけ計算します（2 回計算しても同じ値）
        self._y = np.where(x >= 0, 1.0 / d, e / d).astype(x.dtype, copy=False)
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


def _check_features(x: np.ndarray, n_features: int, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != n_features:
        raise ValueError(
            f"{name} の入力は形状 (N, {n_features}) を期待しています（受け取った形状: {x.shape}）"
        )
    return x


def _normalize_backward(dxhat: np.ndarray, xhat: np.ndarray, inv_std: np.ndarray, axis: int) -> np.ndarray:
    """``x̂ = (x - μ)/σ``（μ, σ は axis 方向の平均と標準偏差）の逆伝播。

    ``dx = (1/m)·(1/σ)·(m·dx̂ - Σdx̂ - x̂·Σ(dx̂ ⊙ x̂))``（和は axis 方向、m はその要素数）。
    """
    m = xhat.shape[axis]
    s1 = dxhat.sum(axis=axis, keepdims=True)
    s2 = (dxhat * xhat).sum(axis=axis, keepdims=True)
    return inv_std * (m * dxhat - s1 - xhat * s2) / m


class BatchNorm(Layer):
    """バッチ正規化（第4章）。特徴量ごとに、ミニバッチの平均と分散で標準化してから ``γ x̂ + β``。

    訓練時（``train=True``）はミニバッチの統計量を使い、移動平均 ``running_mean``/``running_var`` を
    ``running ← momentum·running + (1 - momentum)·batch`` で更新します（分散は標本分散 1/m）。
    推論時は移動平均を使うので、出力はバッチの中身に依存しません。
    原論文の Algorithm 2 と PyTorch は、推論用の分散に不偏分散（m/(m−1) 倍）を使いますが、nnreg は訓練時の
    計算と同じ 1/m の分散をそのまま平均します（そのため移動分散は (m−1)/m·σ² のまわりに落ち着きます。第4章）。

    注意: ``momentum`` は「古い値の重み」です（Keras と同じ）。PyTorch の ``momentum=0.1`` は
    「新しい値の重み」なので、本書の ``momentum=0.9`` に当たります。
    """

    def __init__(self, n_features: int, momentum: float = 0.9, eps: float = 1e-5) -> None:
        super().__init__()
        from ._validation import check_positive

        self.n_features = check_int(n_features, "n_features")
        self.momentum = check_in_unit_interval(momentum, "momentum")
        self.eps = check_positive(eps, "eps")
        self.params = {"gamma": np.ones(n_features), "beta": np.zeros(n_features)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.running_mean = np.zeros(n_features)
        self.running_var = np.ones(n_features)
        self._cache: tuple[np.ndarray, np.ndarray, int] | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = _check_features(x, self.n_features, "BatchNorm")
        if train:
            if x.shape[0] < 2:
                raise ValueError(
                    "BatchNorm の訓練時はバッチサイズ 2 以上を期待しています"
                    f"（受け取った形状: {x.shape}）。1 サンプルでは分散が 0 になります"
                )
            mu = x.mean(axis=0)
            var = x.var(axis=0)
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        else:
            mu, var = self.running_mean, self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)
        xhat = (x - mu) * inv_std
        self._cache = (xhat, inv_std, bool(train))
        return self.params["gamma"] * xhat + self.params["beta"]

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self._check_backward_ready(self._cache)
        xhat, inv_std, train = self._cache
        self.grads["gamma"][...] = (dy * xhat).sum(axis=0)
        self.grads["beta"][...] = dy.sum(axis=0)
        dxhat = dy * self.params["gamma"]
        if not train:  # 推論時は統計量が定数
            return dxhat * inv_std
        return _normalize_backward(dxhat, xhat, inv_std, axis=0)

    def __repr__(self) -> str:
        return f"BatchNorm({self.n_features}, momentum={self.momentum}, eps={self.eps})"


class LayerNorm(Layer):
    """レイヤー正規化（第4章）。サンプルごとに、特徴量方向の平均と分散で標準化してから ``γ x̂ + β``。

    統計量は 1 サンプルの中だけで計算するので、訓練時と推論時で同じ計算になり、バッチサイズにも依存しません。
    """

    def __init__(self, n_features: int, eps: float = 1e-5) -> None:
        super().__init__()
        from ._validation import check_positive

        self.n_features = check_int(n_features, "n_features")
        self.eps = check_positive(eps, "eps")
        self.params = {"gamma": np.ones(n_features), "beta": np.zeros(n_features)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = _check_features(x, self.n_features, "LayerNorm")
        mu = x.mean(axis=1, keepdims=True)
        inv_std = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + self.eps)
        xhat = (x - mu) * inv_std
        self._cache = (xhat, inv_std)
        return self.params["gamma"] * xhat + self.params["beta"]

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self._check_backward_ready(self._cache)
        xhat, inv_std = self._cache
        self.grads["gamma"][...] = (dy * xhat).sum(axis=0)
        self.grads["beta"][...] = dy.sum(axis=0)
        return _normalize_backward(dy * self.params["gamma"], xhat, inv_std, axis=1)

    def __repr__(self) -> str:
        return f"LayerNorm({self.n_features}, eps={self.eps})"


class NoisyShift(Layer):
    """訓練時に、ユニットごとのランダムなスケールとシフトを **毎ステップ引き直して** 掛ける層（第4章の実験用）。

    ``y = s ⊙ x + b``、``s_j ~ U(1 - scale, 1 + scale)``、``b_j ~ U(-shift, shift)``。
    BatchNorm の直後に置くと、次の層への入力の分布を毎ステップわざと揺らせます
    （Santurkar et al., 2018 の「BN の後に雑音を入れる」実験）。推論時（``train=False``）は恒等写像です。
    """

    def __init__(
        self,
        n_features: int,
        *,
        shift: float = 1.0,
        scale: float = 0.5,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        from ._validation import check_nonnegative

        self.n_features = check_int(n_features, "n_features")
        self.shift = check_nonnegative(shift, "shift")
        self.scale = check_in_unit_interval(scale, "scale")
        self.rng = as_generator(rng)
        self._s: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = _check_features(x, self.n_features, "NoisyShift")
        if not train:
            self._s = np.ones(self.n_features)
            return x
        self._s = self.rng.uniform(1 - self.scale, 1 + self.scale, self.n_features)
        b = self.rng.uniform(-self.shift, self.shift, self.n_features)
        return x * self._s + b

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self._check_backward_ready(self._s)
        return dy * self._s

    def __repr__(self) -> str:
        return f"NoisyShift({self.n_features}, shift={self.shift}, scale={self.scale})"
