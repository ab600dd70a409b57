"""データ拡張（第1章・第5章 データ拡張）: 画像の変換と、分かち書きした日本語の文の変換。

画像は行ごとに平らにした (N, H·W) の配列で受け取り、同じ形で返します（元の配列は書き換えません）。

- ``shift_images(X, dx, dy)``: すべての画像（または画像ごとに指定した量）を決まった画素数だけずらす。
- ``affine_images(X, angle, scale)``: 画像の中心のまわりに回転・拡大縮小する（双線形補間）。
- ``flip_horizontal(X)``: 左右反転（数字では意味が変わる「悪い拡張」の例として使う）。
- ``random_shift`` / ``random_affine`` / ``random_noise`` / ``cutout``（旧名 ``random_erasing``） / ``random_flip``:
  ``fit(..., augment=...)`` に渡せる ``(X, rng) -> X`` の変換を作る。
- ``compose(*augs)``: いくつかの変換を順に施す 1 つの変換を作る。

ずらして空いた画素は ``fill``（既定 0 = 背景）で埋め、はみ出した画素は捨てます。
乱数はすべて引数の ``rng`` から引くので、同じ ``rng`` なら結果は同じです。

文の変換（``synonym_replacement``, ``random_deletion``, ``random_swap``）は、単語に区切った
トークンの列（``list[str]``）を受け取ります。日本語は単語の間に空白がないので、単語への分割
（形態素解析など）は別の段階で行い、このモジュールは分割済みの列だけを扱います。
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ._validation import as_float_array, check_in_unit_interval, check_int, check_nonnegative

Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def _check_images(X, shape: tuple[int, int]) -> np.ndarray:
    X = as_float_array(X, "X", ndim=2)
    h, w = shape
    if X.shape[1] != h * w:
        raise ValueError(
            f"X は形状 (N, {h * w})（{h}×{w} の画像を平らにしたもの）を期待しています（受け取った形状: {X.shape}）"
        )
    return X


def _shift(X: np.ndarray, dx: np.ndarray, dy: np.ndarray, shape: tuple[int, int], fill: float) -> np.ndarray:
    h, w = shape
    n = len(X)
    m = int(max(np.max(np.abs(dx), initial=0), np.max(np.abs(dy), initial=0)))
    padded = np.pad(X.reshape(n, h, w), ((0, 0), (m, m), (m, m)), constant_values=fill)
    rows = np.arange(h)[None, :] - dy[:, None] + m  # out[r] = in[r - dy]
    cols = np.arange(w)[None, :] - dx[:, None] + m
    out = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return out.reshape(n, h * w)


def _as_shift_array(value, name: str, n: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu" and not (
        arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))
    ):
        raise ValueError(f"{name} は整数（画素数）を期待しています（受け取った値: {value!r}）")
    arr = np.broadcast_to(arr.astype(np.int64), (n,)) if arr.ndim == 0 else arr.astype(np.int64)
    if arr.shape != (n,):
        raise ValueError(
            f"{name} は整数 1 個か長さ {n} の整数配列を期待しています（受け取った形状: {arr.shape}）"
        )
    return arr


def shift_images(
    X: np.ndarray, dx=0, dy=0, *, shape: tuple[int, int] = (8, 8), fill: float = 0.0
) -> np.ndarray:
    """画像を右に ``dx``、下に ``dy`` 画素ずらします（負なら左・上）。

    ``dx``, ``dy`` は整数 1 個（全画像に同じ量）か、画像ごとの整数配列（長さ N）です。
    """
    X = _check_images(X, shape)
    n = len(X)
    return _shift(X, _as_shift_array(dx, "dx", n), _as_shift_array(dy, "dy", n), shape, fill)


def random_shift(
    max_shift: int = 1, *, shape: tuple[int, int] = (8, 8), fill: float = 0.0
) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
    """画像ごとに縦横それぞれ ``-max_shift``〜``max_shift`` 画素（一様な整数）ずらす変換を返します。

    戻り値は ``augment(X, rng)`` で、``nnreg.fit(..., augment=...)`` にそのまま渡せます。
    """
    max_shift = check_int(max_shift, "max_shift", minimum=0)

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = _check_images(X, shape)
        _check_rng(rng)
        n = len(X)
        dx = rng.integers(-max_shift, max_shift + 1, size=n)
        dy = rng.integers(-max_shift, max_shift + 1, size=n)
        return _shift(X, dx, dy, shape, fill)

    augment.__name__ = f"random_shift({max_shift})"
    return augment


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng には np.random.Generator を渡してください（受け取った型: {type(rng).__name__}）"
        )


def _as_real_array(value, name: str, n: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} は有限の実数を期待しています（受け取った値: {value!r}）")
    arr = arr.astype(np.float64)
    arr = np.broadcast_to(arr, (n,)) if arr.ndim == 0 else arr
    if arr.shape != (n,):
        raise ValueError(
            f"{name} は実数 1 個か長さ {n} の実数配列を期待しています（受け取った形状: {arr.shape}）"
        )
    return arr


def _affine(
    X: np.ndarray, angle: np.ndarray, scale: np.ndarray, shape: tuple[int, int], fill: float
) -> np.ndarray:
    """出力の各画素について元画像のどこを見るか（逆変換）を計算し、双線形補間で値を読みます。"""
    h, w = shape
    n = len(X)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    theta = np.deg2rad(angle)[:, None, None]
    cos, sin = np.cos(theta), np.sin(theta)
    s = scale[:, None, None]
    yy, xx = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")
    # 順変換 p' = c + s·A(p − c)、A = [[cos, sin], [−sin, cos]]（x = 列, y = 行, 画面で反時計回り）
    # の逆変換 p = c + Aᵀ(p' − c)/s で、出力の画素 p' が読む元の位置 p を求める
    src_x = cx + (cos * xx - sin * yy) / s
    src_y = cy + (sin * xx + cos * yy) / s
    x0, y0 = np.floor(src_x), np.floor(src_y)
    fx, fy = src_x - x0, src_y - y0
    padded = np.pad(X.reshape(n, h, w), ((0, 0), (1, 1), (1, 1)), constant_values=fill)
    idx = np.arange(n)[:, None, None]

    def at(r, c):  # 画像の外は 1 画素幅の fill の枠に読み替える
        r = np.clip(r, -1, h).astype(np.int64) + 1
        c = np.clip(c, -1, w).astype(np.int64) + 1
        return padded[idx, r, c]

    out = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * (
        (1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1)
    )
    return out.reshape(n, h * w)


def affine_images(
    X: np.ndarray, angle=0.0, scale=1.0, *, shape: tuple[int, int] = (8, 8), fill: float = 0.0
) -> np.ndarray:
    """画像の中心のまわりに ``angle`` 度（画面で反時計回り）回転し、``scale`` 倍に拡大縮小します。

    ``angle``, ``scale`` は実数 1 個か画像ごとの配列（長さ N）。出力の画素が元画像の格子の間を指すときは
    近くの 4 画素の双線形補間で値を決め、画像の外は ``fill`` とみなします。補間は凸結合なので、
    値は元の画像と ``fill`` の最小値〜最大値の範囲に収まります。
    """
    X = _check_images(X, shape)
    n = len(X)
    angle = _as_real_array(angle, "angle", n)
    scale = _as_real_array(scale, "scale", n)
    if np.any(scale <= 0):
        raise ValueError(f"scale は正の値を期待しています（受け取った最小値: {float(scale.min())}）")
    return _affine(X, angle, scale, shape, float(fill))


def random_affine(
    max_angle: float = 15.0,
    max_scale: float = 0.0,
    *,
    shape: tuple[int, int] = (8, 8),
    fill: float = 0.0,
) -> Augment:
    """画像ごとに角度 U(−max_angle, max_angle) 度で回転し、U(1 − max_scale, 1 + max_scale) 倍する変換を返します。"""
    max_angle = check_nonnegative(max_angle, "max_angle")
    if max_angle > 180:
        raise ValueError(f"max_angle は 0〜180（度）を期待しています（受け取った値: {max_angle}）")
    max_scale = check_in_unit_interval(max_scale, "max_scale")

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = _check_images(X, shape)
        _check_rng(rng)
        n = len(X)
        angle = rng.uniform(-max_angle, max_angle, size=n)
        scale = rng.uniform(1 - max_scale, 1 + max_scale, size=n)
        return _affine(X, angle, scale, shape, float(fill))

    augment.__name__ = f"random_affine({max_angle:g}, {max_scale:g})"
    return augment


def random_noise(std: float, *, clip: tuple[float, float] | None = (0.0, 1.0)) -> Augment:
    """各画素に平均 0・標準偏差 ``std`` のガウス雑音を足す変換を返します（``clip`` の範囲に切り詰める）。"""
    std = check_nonnegative(std, "std")
    if clip is not None:
        lo, hi = clip
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"clip は (下限, 上限) で下限 < 上限を期待しています（受け取った値: {clip!r}）")

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = as_float_array(X, "X", ndim=2)
        _check_rng(rng)
        out = X + std * rng.standard_normal(X.shape)
        return out if clip is None else np.clip(out, clip[0], clip[1])

    augment.__name__ = f"random_noise({std:g})"
    return augment


def cutout(size: int, *, p: float = 1.0, shape: tuple[int, int] = (8, 8), fill: float = 0.0) -> Augment:
    """画像ごとに確率 ``p`` で、``size``×``size`` の正方形を ``fill`` で塗りつぶす変換を返します（Cutout）。

    正方形の中心（``size`` が偶数なら中心の右下の画素）は画像のすべての画素から一様に選び、
    画像からはみ出した部分は切り捨てます（DeVries & Taylor, 2017 の Cutout と同じ置き方）。
    Zhong ら (2020) の Random Erasing は、大きさと縦横比も乱数で選んだ長方形を画像の内側に置き、
    乱数の値で塗る別の手法です。
    """
    size = check_int(size, "size", minimum=1)
    p = check_in_unit_interval(p, "p", closed_right=True)
    h, w = shape
    if size > max(h, w):
        raise ValueError(f"size は画像の一辺 {max(h, w)} 以下を期待しています（受け取った値: {size}）")

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = _check_images(X, shape)
        _check_rng(rng)
        n = len(X)
        top = rng.integers(0, h, size=n) - size // 2
        left = rng.integers(0, w, size=n) - size // 2
        chosen = rng.random(n) < p
        rows = np.arange(h)[None, :] - top[:, None]
        cols = np.arange(w)[None, :] - left[:, None]
        in_rows = (rows >= 0) & (rows < size)
        in_cols = (cols >= 0) & (cols < size)
        mask = in_rows[:, :, None] & in_cols[:, None, :] & chosen[:, None, None]
        return np.where(mask.reshape(n, h * w), fill, X)

    augment.__name__ = f"cutout({size}, p={p:g})"
    return augment


def random_erasing(
    size: int, *, p: float = 1.0, shape: tuple[int, int] = (8, 8), fill: float = 0.0
) -> Augment:
    """``cutout`` の古い名前です（互換のために残しています）。

    中身は DeVries & Taylor (2017) の Cutout で、Zhong ら (2020) の Random Erasing ではありません。
    新しいコードでは ``cutout`` を使ってください。
    """
    return cutout(size, p=p, shape=shape, fill=fill)


def flip_horizontal(X: np.ndarray, *, shape: tuple[int, int] = (8, 8)) -> np.ndarray:
    """画像を左右反転します（鏡に映した像）。"""
    X = _check_images(X, shape)
    h, w = shape
    return X.reshape(len(X), h, w)[:, :, ::-1].reshape(len(X), h * w)


def random_flip(p: float = 0.5, *, shape: tuple[int, int] = (8, 8)) -> Augment:
    """画像ごとに確率 ``p`` で左右反転する変換を返します。"""
    p = check_in_unit_interval(p, "p", closed_right=True)

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        X = _check_images(X, shape)
        _check_rng(rng)
        chosen = rng.random(len(X)) < p
        return np.where(chosen[:, None], flip_horizontal(X, shape=shape), X)

    augment.__name__ = f"random_flip({p:g})"
    return augment


def compose(*augs: Augment) -> Augment:
    """変換を左から順に施す 1 つの変換を返します（乱数は同じ ``rng`` から順に引きます）。"""
    for i, aug in enumerate(augs):
        if not callable(aug):
            raise ValueError(
                f"compose には (X, rng) -> X の関数を渡してください（{i + 1} 番目の型: {type(aug).__name__}）"
            )

    def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        _check_rng(rng)
        out = as_float_array(X, "X", ndim=2).copy()
        for aug in augs:
            out = aug(out, rng)
        return out

    augment.__name__ = "compose(" + ", ".join(getattr(a, "__name__", "?") for a in augs) + ")"
    return augment


# ---- 分かち書きした日本語の文の変換（EDA: Wei & Zou, 2019 の一部）----


def _check_tokens(tokens) -> list[str]:
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise ValueError(
            "tokens は単語に分けた文字列のリスト（例: ['猫', 'が', '鳴く']）を期待しています"
            f"（受け取った型: {type(tokens).__name__}）。日本語の文は先に単語へ分割してください"
        )
    bad = [t for t in tokens if not isinstance(t, str) or t == ""]
    if bad:
        raise ValueError(f"tokens の要素は空でない文字列を期待しています（受け取った要素: {bad[0]!r}）")
    return list(tokens)


def synonym_replacement(
    tokens: Sequence[str], synonyms: Mapping[str, Sequence[str]], n: int = 1, *, rng: np.random.Generator
) -> list[str]:
    """``synonyms``（単語 → 言い換えの候補）に載っている単語から ``n`` 個を選び、候補の一つに置き換えます。

    辞書は呼び出し側が用意します（ダウンロードはしません）。置き換えられる単語が ``n`` 個より少なければ、
    ある分だけ置き換えます。
    """
    tokens = _check_tokens(tokens)
    n = check_int(n, "n", minimum=0)
    _check_rng(rng)
    if not isinstance(synonyms, Mapping):
        raise ValueError(
            f"synonyms は辞書（単語 → 候補のリスト）を期待しています（受け取った型: {type(synonyms).__name__}）"
        )
    for word, cands in synonyms.items():
        if isinstance(cands, str) or not isinstance(cands, Sequence) or len(cands) == 0:
            raise ValueError(
                f"synonyms[{word!r}] は空でない候補のリストを期待しています（受け取った値: {cands!r}）"
            )
    out = list(tokens)
    where = np.flatnonzero([t in synonyms for t in out])
    for i in rng.permutation(where)[:n]:
        cands = synonyms[out[i]]
        out[i] = cands[int(rng.integers(len(cands)))]
    return out


def random_deletion(tokens: Sequence[str], p: float, *, rng: np.random.Generator) -> list[str]:
    """各単語を確率 ``p`` で削除します。すべて消えたときは、もとの単語を 1 つだけ残します。"""
    tokens = _check_tokens(tokens)
    p = check_in_unit_interval(p, "p", closed_right=True)
    _check_rng(rng)
    if not tokens:
        return []
    keep = rng.random(len(tokens)) >= p
    if not keep.any():
        keep[int(rng.integers(len(tokens)))] = True
    return [t for t, k in zip(tokens, keep, strict=True) if k]


def random_swap(tokens: Sequence[str], n: int = 1, *, rng: np.random.Generator) -> list[str]:
    """異なる位置の 2 単語を入れ替える操作を ``n`` 回行います（単語が 1 個以下なら何もしません）。"""
    tokens = _check_tokens(tokens)
    n = check_int(n, "n", minimum=0)
    _check_rng(rng)
    out = list(tokens)
    if len(out) < 2:
        return out
    for _ in range(n):
        i, j = rng.choice(len(out), size=2, replace=False)
        out[i], out[j] = out[j], out[i]
    return out
