"""2 変数のテスト関数と、オプティマイザでその上を歩かせる道具（第6章）。

オプティマイザは ``params``/``grads`` の辞書しか知らないので、MLP と同じオブジェクトで
2 変数の関数 f(x, y) も最小化できます。ここの関数はどれも

- ``value(xy)``: 形状 ``(..., 2)`` の点（の配列）での値（形状 ``(...)``）
- ``grad(xy)``: その点での勾配（形状 ``(..., 2)``）

を持ち、等高線を描くための格子でも、1 点でも同じように呼べます。
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_generator, check_int, check_nonnegative, check_positive


def _as_points(xy, name: str = "xy") -> np.ndarray:
    # 発散した軌跡（NaN を含む）も評価できるように、有限性は検査しません（NaN の点の値は NaN）。
    arr = np.asarray(xy)
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"{name} は数値の配列を期待しています（受け取った dtype: {arr.dtype}）")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim == 0 or arr.shape[-1] != 2:
        raise ValueError(
            f"{name} は最後の軸の長さが 2 の配列（点 (x, y)）を期待しています（受け取った形状: {arr.shape}）"
        )
    return arr


class Function2D:
    """2 変数関数の基底クラス。派生クラスは ``_value`` と ``_grad`` を実装します。"""

    name = "f"

    def value(self, xy) -> np.ndarray | float:
        with np.errstate(over="ignore", invalid="ignore"):
            v = self._value(_as_points(xy))
        return float(v) if np.ndim(v) == 0 else v

    def grad(self, xy) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            return self._grad(_as_points(xy))

    def __call__(self, xy) -> np.ndarray | float:
        return self.value(xy)

    def _value(self, xy: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _grad(self, xy: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Quadratic(Function2D):
    """細長い谷（条件の悪いお椀）``f = ½ (a u² + b v²)``。

    ``(u, v)`` は ``(x, y)`` を角度 ``angle``（度）だけ回した座標です。``angle=0`` なら谷は座標軸に沿い、
    ヘッセ行列は ``diag(a, b)`` です。最小点は原点、最小値は 0。
    ヘッセ行列の固有値は ``a`` と ``b`` なので、条件数は ``max(a, b) / min(a, b)`` です。
    """

    name = "細長い谷"

    def __init__(self, a: float = 1.0, b: float = 20.0, angle: float = 0.0) -> None:
        self.a = check_positive(a, "a")
        self.b = check_positive(b, "b")
        angle_f = float(as_float_array(angle, "angle"))
        self.angle = angle_f
        th = np.deg2rad(angle_f)
        # 行ベクトルの点 xy に対して uv = xy @ R
        self._R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])

    @property
    def hessian(self) -> np.ndarray:
        """ヘッセ行列 ``R diag(a, b) Rᵀ``（2×2）。"""
        return self._R @ np.diag([self.a, self.b]) @ self._R.T

    @property
    def condition_number(self) -> float:
        """条件数 ``λ_max / λ_min``。"""
        return max(self.a, self.b) / min(self.a, self.b)

    @property
    def lipschitz(self) -> float:
        """勾配のリプシッツ定数 ``L = λ_max``（勾配降下法は 0 < lr < 2/L で収束）。"""
        return max(self.a, self.b)

    @property
    def minimum(self) -> np.ndarray:
        return np.zeros(2)

    def _value(self, xy):
        uv = xy @ self._R
        return 0.5 * (self.a * uv[..., 0] ** 2 + self.b * uv[..., 1] ** 2)

    def _grad(self, xy):
        uv = xy @ self._R
        g_uv = np.stack([self.a * uv[..., 0], self.b * uv[..., 1]], axis=-1)
        return g_uv @ self._R.T

    def __repr__(self) -> str:
        return f"Quadratic(a={self.a}, b={self.b}, angle={self.angle})"


class Saddle(Function2D):
    """鞍点 ``f = a x² - b y²``。原点で勾配が 0 になり、x 方向は谷、y 方向は山の頂上です。

    ``y = 0`` の直線上から出発すると勾配の y 成分はいつまでも 0 なので、どの勾配法も原点へ向かいます。
    """

    name = "鞍点"

    def __init__(self, a: float = 1.0, b: float = 1.0) -> None:
        self.a = check_positive(a, "a")
        self.b = check_positive(b, "b")

    @property
    def hessian(self) -> np.ndarray:
        return np.diag([2 * self.a, -2 * self.b])

    def _value(self, xy):
        return self.a * xy[..., 0] ** 2 - self.b * xy[..., 1] ** 2

    def _grad(self, xy):
        return np.stack([2 * self.a * xy[..., 0], -2 * self.b * xy[..., 1]], axis=-1)

    def __repr__(self) -> str:
        return f"Saddle(a={self.a}, b={self.b})"


class TwoMinima(Function2D):
    """局所解と大域解を 1 つずつ持つ関数 ``f = (x² - 1)² + tilt·x + c·y²``。

    ``tilt > 0`` なら x < 0 側の谷が深く（大域解）、x > 0 側の谷が浅い（局所解）。
    2 つの谷の間（x ≈ 0）に山があり、y 方向はお椀です。
    """

    name = "2 つの谷"

    def __init__(self, tilt: float = 0.5, c: float = 1.0) -> None:
        self.tilt = check_positive(tilt, "tilt")
        self.c = check_positive(c, "c")
        roots = np.roots([4.0, 0.0, -4.0, self.tilt])  # ∂f/∂x = 4x³ - 4x + tilt = 0
        real = np.sort(roots[np.abs(roots.imag) < 1e-12].real)
        if len(real) != 3:
            raise ValueError(
                f"tilt は谷が 2 つできる大きさ（0 < tilt < {8 / (3 * np.sqrt(3)):.3f}）を期待しています"
                f"（受け取った値: {tilt}）"
            )
        self.critical_x = real  # (大域解, 山の頂上, 局所解) の x 座標

    @property
    def global_minimum(self) -> np.ndarray:
        return np.array([self.critical_x[0], 0.0])

    @property
    def local_minimum(self) -> np.ndarray:
        return np.array([self.critical_x[2], 0.0])

    def _value(self, xy):
        x, y = xy[..., 0], xy[..., 1]
        return (x**2 - 1) ** 2 + self.tilt * x + self.c * y**2

    def _grad(self, xy):
        x, y = xy[..., 0], xy[..., 1]
        return np.stack([4 * x * (x**2 - 1) + self.tilt, 2 * self.c * y], axis=-1)

    def basin(self, xy) -> np.ndarray | str:
        """点がどちらの谷にいるか（x が山の頂上より左なら ``"大域解"``、右なら ``"局所解"``、NaN/inf なら ``"発散"``）。"""
        x = _as_points(xy)[..., 0]
        out = np.where(x < self.critical_x[1], "大域解", "局所解")
        out = np.where(np.isfinite(x), out, "発散")
        return str(out) if out.ndim == 0 else out

    def __repr__(self) -> str:
        return f"TwoMinima(tilt={self.tilt}, c={self.c})"


class NoisyGradient(Function2D):
    """勾配に正規分布の雑音（標準偏差 ``sigma``）を足したもの。ミニバッチ SGD の勾配の揺らぎの模型です。

    値 ``value`` は元の関数のまま。雑音は ``rng`` から引くので、同じ seed なら同じ軌跡になります。
    """

    def __init__(self, f: Function2D, sigma: float, rng: np.random.Generator) -> None:
        if not isinstance(f, Function2D):
            raise ValueError(f"f は Function2D を期待しています（受け取った型: {type(f).__name__}）")
        self.f = f
        self.sigma = check_nonnegative(sigma, "sigma")
        if rng is None:
            raise ValueError(
                "rng には np.random.default_rng(seed) で作った Generator を渡してください（受け取った値: None）"
            )
        self.rng = as_generator(rng)
        self.name = f"{f.name}（勾配に雑音）"

    def _value(self, xy):
        return self.f._value(xy)

    def _grad(self, xy):
        return self.f._grad(xy) + self.sigma * self.rng.standard_normal(xy.shape)

    def __repr__(self) -> str:
        return f"NoisyGradient({self.f!r}, sigma={self.sigma})"


def run_optimizer(optimizer, f: Function2D, start, steps: int) -> np.ndarray:
    """``optimizer`` で ``f`` を ``steps`` 回更新し、出発点を含む軌跡（形状 ``(steps + 1, 2)``）を返します。

    パラメータは ``{"xy": 点}`` という 1 つのキーの辞書として渡します。値が NaN/inf になったら（発散したら）
    そこで止め、残りの行を NaN で埋めます。
    """
    if not isinstance(f, Function2D):
        raise ValueError(f"f は Function2D を期待しています（受け取った型: {type(f).__name__}）")
    start = as_float_array(start, "start")
    if start.shape != (2,):
        raise ValueError(f"start は形状 (2,) の点を期待しています（受け取った形状: {start.shape}）")
    steps = check_int(steps, "steps", minimum=0)
    traj = np.full((steps + 1, 2), np.nan)
    params = {"xy": start.astype(np.float64).copy()}
    traj[0] = params["xy"]
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            g = f._grad(params["xy"])
            if not np.all(np.isfinite(g)):
                break
            optimizer.step(params, {"xy": g})
            if not np.all(np.isfinite(params["xy"])):
                break
            traj[t] = params["xy"]
    return traj


def first_step(mask) -> int | None:
    """真偽値の列 ``mask`` で最初に ``True`` になる位置（なければ None）。

    軌跡と組み合わせて「何ステップで谷を抜けたか」を数えるのに使います。
    例: ``first_step(np.abs(traj[:, 1]) >= 1)``。
    """
    mask = np.asarray(mask)
    if mask.ndim != 1 or mask.dtype != bool:
        raise ValueError(
            f"mask は 1 次元の真偽値の配列を期待しています（受け取った形状: {mask.shape}, dtype: {mask.dtype}）"
        )
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None
