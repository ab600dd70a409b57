"""データセット（全章）: scikit-learn 同梱の手書き数字と、合成データ。

ダウンロードは一切しません。分割はすべて ``np.random.default_rng(seed)`` で決まります。
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import check_in_unit_interval, check_int


@dataclass(frozen=True)
class Split:
    """訓練・検証・テストに分けたデータ。X は (N, 64) で [0, 1]、y は int64 のラベル。"""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int] = (8, 8)

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_val.max(), self.y_test.max()) + 1)

    def __repr__(self) -> str:
        return (
            f"Split(訓練 {len(self.y_train)}, 検証 {len(self.y_val)}, テスト {len(self.y_test)}, "
            f"特徴量 {self.X_train.shape[1]}, クラス {self.n_classes})"
        )


def stratified_indices(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """クラスの比率を保って ``y`` から ``n`` 個の添字を非復元抽出します（最大剰余法で丸め）。"""
    y = np.asarray(y)
    classes, counts = np.unique(y, return_counts=True)
    n = check_int(n, "n")
    if n > len(y):
        raise ValueError(f"n は {len(y)} 以下を期待しています（受け取った値: {n}）")
    exact = counts * n / len(y)
    take = np.floor(exact).astype(int)
    remainder = n - take.sum()
    if remainder:
        order = np.lexsort((classes, -(exact - take)))
        take[order[:remainder]] += 1
    chosen = [rng.permutation(np.flatnonzero(y == c))[:k] for c, k in zip(classes, take, strict=True)]
    return rng.permutation(np.concatenate(chosen))


def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn に同梱の手書き数字（digits.csv.gz）の画素とラベル。

    ``sklearn.datasets.load_digits`` と同じファイルを同じ方法（``np.loadtxt``、区切りはカンマ）で読みます。
    sklearn を import すると 1 回あたり 1 秒ほどかかり、ノートブックを開くたびに効いてくるので、
    インストールされた sklearn のフォルダからファイルだけを読みます（見つからなければ sklearn を使います）。
    """
    import gzip
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")  # 場所を探すだけで、sklearn は import しません
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"
        if path.exists():
            with gzip.open(path, "rt") as f:
                data = np.loadtxt(f, delimiter=",")
            return data[:, :-1], data[:, -1].astype(int)
    from sklearn.datasets import load_digits as _sk_load_digits

    bunch = _sk_load_digits()
    return bunch.data, bunch.target


def _sklearn_file(*parts: str):
    """インストールされた sklearn のフォルダの中のファイルの場所（sklearn は import しません。無ければ None）。"""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")  # 場所を探すだけで、sklearn は import しません
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
    return path if path.exists() else None


def load_flower() -> np.ndarray:
    """scikit-learn に同梱のカラー写真（花、形状 (427, 640, 3) の uint8）。第5章の色の変換で使います。

    ``sklearn.datasets.load_sample_images().images[1]`` と同じファイルを同じ方法（Pillow で開いて
    ``np.asarray``）で読むので、画素の値も同じです。sklearn の import（1 秒ほど）を省くため、ファイルを直接読みます
    （見つからなければ sklearn を使います）。
    """
    path = _sklearn_file("datasets", "images", "flower.jpg")
    if path is None:
        from sklearn.datasets import load_sample_images

        return load_sample_images().images[1]
    from PIL import Image

    with path.open("rb") as f:
        return np.asarray(Image.open(f))


def load_digits(
    *,
    n_train: int | None = None,
    seed: int = 0,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    dtype=np.float64,
) -> Split:
    """手書き数字（8×8、1797 枚、10 クラス）を読み込み、層化して 3 分割します。

    まず全体から ``test_fraction`` をテスト、``val_fraction`` を検証に取り、残りを訓練の候補にします。
    ``n_train`` を与えると、候補からクラス比を保って ``n_train`` 枚だけを訓練に使います
    （過学習を見せるための小さな訓練集合）。検証・テストは ``n_train`` によらず同じです。
    """
    val_fraction = check_in_unit_interval(val_fraction, "val_fraction")
    test_fraction = check_in_unit_interval(test_fraction, "test_fraction")
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            "val_fraction + test_fraction は 1 未満を期待しています"
            f"（受け取った値: {val_fraction} + {test_fraction}）"
        )
    pixels, target = _digits_arrays()
    X = (pixels / 16.0).astype(dtype)
    y = target.astype(np.int64)
    rng = np.random.default_rng(seed)
    n = len(y)
    test_idx = stratified_indices(y, round(n * test_fraction), rng)
    rest = np.setdiff1d(np.arange(n), test_idx)
    val_idx = rest[stratified_indices(y[rest], round(n * val_fraction), rng)]
    pool = np.setdiff1d(rest, val_idx)
    if n_train is not None:
        n_train = check_int(n_train, "n_train")
        if n_train > len(pool):
            raise ValueError(f"n_train は {len(pool)} 以下を期待しています（受け取った値: {n_train}）")
        train_idx = pool[stratified_indices(y[pool], n_train, rng)]
    else:
        train_idx = rng.permutation(pool)
    return Split(X[train_idx], y[train_idx], X[val_idx], y[val_idx], X[test_idx], y[test_idx])


def make_sine_regression(
    n: int, *, noise: float = 0.2, seed: int = 0, x_range: tuple[float, float] = (-1.0, 1.0)
) -> tuple[np.ndarray, np.ndarray]:
    """1 次元の回帰データ ``y = sin(π x) + ノイズ`` を作ります（第1・2章の多項式回帰用）。

    戻り値は ``x``（形状 (n,)、昇順ではなく一様乱数）と ``y``（形状 (n,)）。
    """
    n = check_int(n, "n")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise は 0 以上の有限の値を期待しています（受け取った値: {noise}）")
    rng = np.random.default_rng(seed)
    x = rng.uniform(x_range[0], x_range[1], size=n)
    y = np.sin(np.pi * x) + noise * rng.standard_normal(n)
    return x, y


def polynomial_features(x: np.ndarray, degree: int) -> np.ndarray:
    """``[x, x², …, x^degree]`` を列に並べた (n, degree) の行列（定数項はバイアスが担います）。"""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x は形状 (n,) を期待しています（受け取った形状: {x.shape}）")
    degree = check_int(degree, "degree")
    return x[:, None] ** np.arange(1, degree + 1)


def add_spurious_pixels(
    X: np.ndarray,
    y: np.ndarray,
    pixels: Mapping[int, int | Sequence[int]] | Sequence[int | Sequence[int]],
    *,
    value: float = 1.0,
    fraction: float = 1.0,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """ラベルと相関する「シミ」（見せかけの特徴）を画像に書き込んだコピーを返します（第1章）。

    ``pixels`` は「ラベル → シミにする画素の添字（平らにした画像での添字。1 個または複数）」の対応です。
    辞書 ``{1: [16, 24]}`` ならラベル 1 の画像だけに、列 ``[p0, p1, …]`` ならラベル c の画像に ``p_c`` を
    付けます。シミの画素の値は ``value`` にします。辞書に無いラベルの画像はそのままです。
    ``fraction < 1`` なら、各画像を ``rng`` で確率 ``fraction`` で選び、選んだ画像にだけシミを付けます
    （シミとラベルの相関の強さを変える実験用）。元の ``X`` は書き換えません。
    """
    X = np.array(X, dtype=np.float64)  # コピー
    if X.ndim != 2:
        raise ValueError(f"X は 2 次元配列 (N, 画素数) を期待しています（受け取った形状: {X.shape}）")
    y = np.asarray(y)
    if y.shape != (len(X),) or y.dtype.kind not in "iu":
        raise ValueError(
            f"y は長さ {len(X)} の整数ラベルを期待しています（受け取った形状: {y.shape}, dtype: {y.dtype}）"
        )
    items = pixels.items() if isinstance(pixels, Mapping) else enumerate(pixels)
    stains: dict[int, np.ndarray] = {}
    for label, pix in items:
        arr = np.atleast_1d(np.asarray(pix))
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise ValueError(
                f"ラベル {label} のシミは画素の添字（整数またはその列）を期待しています（受け取った値: {pix!r}）"
            )
        if arr.size and (arr.min() < 0 or arr.max() >= X.shape[1]):
            raise ValueError(
                f"ラベル {label} のシミの画素の添字は 0 以上 {X.shape[1]} 未満を期待しています"
                f"（受け取った範囲: {int(arr.min())}〜{int(arr.max())}）"
            )
        stains[int(label)] = arr
    fraction = check_in_unit_interval(fraction, "fraction", closed_right=True)
    if fraction < 1.0:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                "fraction < 1 のときは、シミを付ける画像を選ぶ rng（np.random.Generator）を渡してください"
                f"（受け取った型: {type(rng).__name__}）"
            )
        chosen = rng.random(len(X)) < fraction
    else:
        chosen = np.ones(len(X), dtype=bool)
    for label, arr in stains.items():
        X[np.ix_(chosen & (y == label), arr)] = value
    return X


def corrupt_labels(y: np.ndarray, fraction: float, *, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """各ラベルを確率 ``fraction`` で「別のクラス」にすり替えたコピーを返します（ラベルノイズ、第1章）。

    すり替え先は元のクラス以外の ``n_classes - 1`` 個から一様に選ぶので、選ばれたラベルは必ず間違いになります。
    """
    y = np.asarray(y)
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise ValueError(
            f"y は整数ラベルの 1 次元配列を期待しています（受け取った形状: {y.shape}, dtype: {y.dtype}）"
        )
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"y のラベルは 0 以上 {n_classes} 未満を期待しています（受け取った範囲: {int(y.min())}〜{int(y.max())}）"
        )
    fraction = check_in_unit_interval(fraction, "fraction", closed_right=True)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng には np.random.Generator を渡してください（受け取った型: {type(rng).__name__}）"
        )
    flip = rng.random(len(y)) < fraction
    offset = rng.integers(1, n_classes, size=len(y))  # 1〜C-1 だけずらす = 必ず別のクラス
    return np.where(flip, (y + offset) % n_classes, y).astype(np.int64)


def one_vs_rest(
    X: np.ndarray, y: np.ndarray, positive: int, *, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """「``positive`` のクラスか、それ以外か」の 2 クラス問題を、同じ枚数ずつの釣り合った形で作ります（第1・5章）。

    ``positive`` の画像すべてと、それ以外から同じ枚数を無作為に選んだ画像を混ぜてシャッフルし、
    ラベルを「``positive`` なら 1、それ以外なら 0」にして返します。
    """
    y = np.asarray(y)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            "rng には np.random.default_rng(seed) で作った Generator を渡してください"
            f"（受け取った型: {type(rng).__name__}）"
        )
    pos = np.flatnonzero(y == positive)
    if len(pos) == 0:
        raise ValueError(
            f"positive のクラスが y にありません（受け取った値: {positive!r}、y のクラス: {np.unique(y)}）"
        )
    neg = rng.permutation(np.flatnonzero(y != positive))
    if len(neg) < len(pos):
        raise ValueError(f"positive 以外の例が足りません（positive: {len(pos)} 枚、それ以外: {len(neg)} 枚）")
    idx = rng.permutation(np.concatenate([pos, neg[: len(pos)]]))
    return np.asarray(X)[idx], (y[idx] == positive).astype(np.int64)
