"""比較の基準にする簡単なモデル（第1章）: 丸暗記する生徒と、最小二乗法。

- ``NearestNeighbor``: 訓練データをそのまま覚え、いちばん近い訓練例のラベルを答える（1 最近傍法）。
  ``max_distance`` を 0 にすると、まったく同じ問題にしか答えられない「丸暗記の表」になります。
- ``least_squares``: 線形回帰 ``y ≈ X w + b`` の損失 ``mean((Xw + b - y)²) + λ Σ w²`` を閉じた形で最小化します
  （多項式回帰の実験用。``nnreg.MeanSquaredError`` と ``nnreg.L2(lam)`` の約束と同じ式です）。
- ``least_squares_gd``: 同じ損失（罰則なし）を、重み 0 から勾配降下法で最小化したときの途中の解（第7章、
  早期終了と L2 正則化の対応を調べる実験用）。
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, check_int, check_nonnegative, check_positive


def _check_labels_1d(y, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,) or y.dtype.kind not in "iu":
        raise ValueError(
            f"y は長さ {n} の整数ラベル (形状 ({n},)) を期待しています"
            f"（受け取った形状: {y.shape}, dtype: {y.dtype}）"
        )
    return y.astype(np.int64, copy=False)


def squared_distances(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """行ごとの二乗ユークリッド距離の行列 ``D[i, j] = ‖A_i - B_j‖²``（形状 (len(A), len(B))）。"""
    A = as_float_array(A, "A", ndim=2)
    B = as_float_array(B, "B", ndim=2)
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"A と B は同じ特徴量の数を期待しています（受け取った形状: {A.shape} と {B.shape}）")
    d = (A * A).sum(axis=1)[:, None] - 2.0 * A @ B.T + (B * B).sum(axis=1)[None, :]
    return np.maximum(d, 0.0)


class NearestNeighbor:
    """1 最近傍法の分類器: 訓練例を丸ごと覚え、いちばん近い訓練例のラベルを答えます。

    Parameters
    ----------
    max_distance : いちばん近い訓練例までのユークリッド距離がこれより大きいと「わからない」とみなし、
        ``fallback`` のラベルを答えます。``None``（既定）なら常に最近傍のラベルを答えます。
        ``0.0`` にすると、訓練例と（浮動小数点の誤差を除いて）完全に同じ入力にしか答えない「丸暗記の表」です。
    fallback : 「わからない」ときに答えるラベル。``None`` なら訓練データで最も多いラベル
        （同数なら小さいラベル）を使います。
    """

    def __init__(self, *, max_distance: float | None = None, fallback: int | None = None) -> None:
        if max_distance is not None:
            max_distance = check_nonnegative(max_distance, "max_distance")
        self.max_distance = max_distance
        self.fallback = fallback
        self.X_: np.ndarray | None = None
        self.y_: np.ndarray | None = None

    def fit(self, X: np.ndarray, y: np.ndarray) -> NearestNeighbor:
        X = as_float_array(X, "X", ndim=2)
        self.y_ = _check_labels_1d(y, X.shape[0])
        self.X_ = X.copy()
        if self.fallback is None:
            self.fallback_ = int(np.argmax(np.bincount(self.y_)))
        else:
            self.fallback_ = int(self.fallback)
        return self

    def _check_fitted(self) -> None:
        if self.X_ is None:
            raise RuntimeError("NearestNeighbor.predict の前に fit(X, y) を呼んでください")

    def kneighbors(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """各入力について、いちばん近い訓練例までの距離と、その訓練例の添字を返します。"""
        self._check_fitted()
        X = as_float_array(X, "X", ndim=2)
        if X.shape[1] != self.X_.shape[1]:
            raise ValueError(f"X は特徴量 {self.X_.shape[1]} 個を期待しています（受け取った形状: {X.shape}）")
        d2 = squared_distances(X, self.X_)
        idx = np.argmin(d2, axis=1)
        return np.sqrt(d2[np.arange(len(X)), idx]), idx

    def predict(self, X: np.ndarray) -> np.ndarray:
        """予測ラベル（形状 (N,)、int64）。"""
        dist, idx = self.kneighbors(X)
        pred = self.y_[idx]
        if self.max_distance is not None:
            # 距離の計算には丸め誤差があるので、0 を指定しても 1e-9 までは「同じ問題」とみなします
            pred = np.where(dist <= max(self.max_distance, 1e-9), pred, self.fallback_)
        return pred

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """正解率。"""
        X = as_float_array(X, "X", ndim=2)
        y = _check_labels_1d(y, X.shape[0])
        return float(np.mean(self.predict(X) == y))

    def __repr__(self) -> str:
        n = 0 if self.X_ is None else len(self.X_)
        return f"NearestNeighbor(max_distance={self.max_distance}, 覚えた例 {n} 個)"


def least_squares(X: np.ndarray, y: np.ndarray, *, lam: float = 0.0) -> tuple[np.ndarray, float]:
    """``mean((X w + b - y)²) + lam · Σ w²`` を最小にする ``(w, b)`` を返します（b には罰則なし）。

    ``lam = 0`` で解が一つに決まらないとき（特徴量の数 ≥ サンプル数など）は、ノルム最小の解を返します。
    """
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    if len(y) != len(X):
        raise ValueError(f"y の長さは X の行数 {len(X)} を期待しています（受け取った長さ: {len(y)}）")
    lam = check_nonnegative(lam, "lam（正則化の強さ λ）")
    n, d = X.shape
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    # ‖Xc w - yc‖² + n·lam·‖w‖² を最小化 = 行を足した最小二乗問題
    A = np.vstack([Xc, np.sqrt(n * lam) * np.eye(d)])
    rhs = np.concatenate([yc, np.zeros(d)])
    w = np.linalg.lstsq(A, rhs, rcond=None)[0]
    b = float(y_mean - x_mean @ w)
    return w, b


def least_squares_gd(X: np.ndarray, y: np.ndarray, *, lr: float, steps) -> tuple[np.ndarray, np.ndarray]:
    """``mean((X w + b - y)²)`` を ``w = 0`` から勾配降下法で最小化し、指定したステップ数での ``(w, b)`` を返します。

    ``least_squares`` と同じく X と y を中心化してから ``w`` だけを
    ``w ← w - lr · (2/N) Xcᵀ(Xc w - yc)`` で更新します（``b`` はその時点の ``w`` に対する最適値
    ``mean(y) - mean(X) · w``）。``steps`` は 0 以上の整数の列（ステップ 0 は ``w = 0``）。
    戻り値は ``W``（形状 (len(steps), 特徴量の数)）と ``b``（形状 (len(steps),)）。
    学習率が ``2 / (ヘッセ行列 (2/N) Xcᵀ Xc の最大固有値)`` 以上だと発散するので拒否します。
    """
    X = as_float_array(X, "X", ndim=2)
    y = as_float_array(y, "y", ndim=1)
    if len(y) != len(X):
        raise ValueError(f"y の長さは X の行数 {len(X)} を期待しています（受け取った長さ: {len(y)}）")
    lr = check_positive(lr, "lr（学習率）")
    steps = [check_int(s, "steps の要素", minimum=0) for s in np.atleast_1d(steps).tolist()]
    if not steps:
        raise ValueError("steps は 1 個以上のステップ数を期待しています（受け取った長さ: 0）")
    n, d = X.shape
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    H = 2.0 / n * Xc.T @ Xc
    g = 2.0 / n * Xc.T @ yc
    h_max = float(np.linalg.eigvalsh(H)[-1])
    if lr * h_max >= 2.0:
        raise ValueError(
            f"lr は 2 / (ヘッセ行列の最大固有値) = {2.0 / h_max:.4g} 未満を期待しています"
            f"（受け取った値: {lr}）。これ以上だと勾配降下法が発散します"
        )
    wanted = {s: [] for s in steps}
    w = np.zeros(d)
    for t in range(max(steps) + 1):
        if t in wanted:
            wanted[t] = w.copy()
        w = w - lr * (H @ w - g)
    W = np.array([wanted[s] for s in steps])
    return W, y_mean - W @ x_mean
