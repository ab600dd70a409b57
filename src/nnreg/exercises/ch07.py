"""第7章（早期終了）の演習の確認（``book/ch07-exercises.ipynb`` から呼びます）。

- :func:`check_early_stop`: patience・min_delta・書き戻しの判断を関数にしたもの（実装）
- :func:`check_lam_equivalent`: 勾配降下法と L2正則化を固有方向ごとにぴったり合わせる λ（導出）
- :func:`check_choose_on_val` / :func:`check_small_val`: 検証データの枚数と、選んだ時点の揺れ・楽観・テスト MSE（調査）
"""

from __future__ import annotations

import numpy as np

from . import Wrong, answered, call, expect, expect_close, grade

__all__ = [
    "SMALL_VAL_SIZES",
    "check_choose_on_val",
    "check_early_stop",
    "check_lam_equivalent",
    "check_small_val",
    "reference_choose_on_val",
    "reference_early_stop",
]


# ---------------------------------------------------------------- 演習 1: 早期終了の判断
def reference_early_stop(values, patience, min_delta=0.0, mode="min", restore_best=True):
    """``nnreg.callbacks.EarlyStopping`` に値の列をなぞらせた結果 ``(stop_epoch, weights_epoch)``。"""
    from ..callbacks import EarlyStopping
    from ..training import History

    monitor = "val_loss" if mode == "min" else "val_acc"
    es = EarlyStopping(monitor, patience=patience, min_delta=min_delta, restore_best=False)
    hist = History()
    for epoch, v in enumerate(values, start=1):
        getattr(hist, monitor).append(float(v))
        if es.on_epoch_end(epoch, hist, None):
            break
    last = es.stopped_epoch or len(values)
    return es.stopped_epoch, es.best_epoch if restore_best else last


def _variant(values, patience, min_delta, mode, restore_best, kind):
    """よくある間違いを再現した早期終了（ヒントを選ぶために、学生の答えと比べます）。"""
    sign = 1.0 if mode == "min" else -1.0
    if kind == "flip_mode":
        sign = -sign
    delta = 0.0 if kind == "ignore_delta" else min_delta
    limit = max(patience, 1)
    if kind == "late":
        limit += 1
    if kind == "early":
        limit = max(limit - 1, 1) if patience > 1 else 1
    best, best_epoch, wait, stop = None, None, 0, None
    for epoch, v in enumerate(values, start=1):
        u = sign * float(v)
        if kind == "tie_improves":
            better = best is None or u <= best - delta
        else:
            better = best is None or u < best - delta
        if better:
            best, best_epoch, wait = u, epoch, 0
        else:
            wait += 1
            if wait >= limit:
                stop = epoch
                break
    last = stop or len(values)
    if kind == "keep_last":
        kept = last
    elif kind == "always_best":
        kept = best_epoch
    else:
        kept = best_epoch if restore_best else last
    if kind == "not_none":
        stop = last
    if kind == "zero_based":
        stop = None if stop is None else stop - 1
        kept = kept - 1
    return stop, kept


_HINTS = {
    "late": "止めるのが 1 エポック遅れています。改善しないエポックが patience 回"
    "（patience = 0 なら 1 回）続いた、そのエポックで止めます（wait > patience ではなく wait >= patience）",
    "early": "止めるのが 1 エポック早すぎます。改善しないエポックを patience 回数え終えたエポックで止めます",
    "tie_improves": "同じ値（差がちょうど min_delta の値）を改善と数えていませんか。"
    "損失なら v < best − min_delta と、真に小さいときだけが改善です（<= ではなく <）",
    "ignore_delta": "min_delta を無視していませんか。min_delta 以下の改善は改善と数えません",
    "flip_mode": "mode='max'（正解率）では大きいほど良い値です。v > best + min_delta が改善の条件です",
    "keep_last": "restore_best=True なのに、止めた（最後の）エポックを返していませんか。"
    "書き戻すのは最良のエポックの重みです",
    "always_best": "restore_best=False では書き戻さないので、手元に残るのは止めた（最後に学習した）エポックの重みです",
    "not_none": "最後まで止まらなかったときは、stop_epoch を None にします（EarlyStopping.stopped_epoch と同じ）",
    "zero_based": "エポックは 1 から数えます（0 からではありません）",
}


def _early_stop_cases(rng):
    """確認に使う入力（学生が見ていない列）。値は 1/16 の倍数なので、比較は丸め誤差なしで決まります。"""
    cases = [
        ([0.5], 2, 0.0, "min", True),
        ([0.5, 0.5, 0.5, 0.5], 0, 0.0, "min", True),
        ([1.0, 0.75, 0.5, 0.25], 1, 0.0, "min", False),
    ]
    for i in range(60):
        n = int(rng.integers(6, 25))
        trend = np.round(np.linspace(20, 8, n) + rng.normal(0, 2.0, n))
        mode = "min" if i % 3 else "max"
        values = trend / 16 if mode == "min" else 2 - trend / 16
        patience = int(rng.choice([0, 1, 2, 3, 5]))
        min_delta = float(rng.choice([0.0, 0.0, 1 / 16, 2 / 16]))
        cases.append((values.tolist(), patience, min_delta, mode, bool(i % 4)))
    return cases


def _normalize(result):
    if not isinstance(result, tuple | list) or len(result) != 2:
        raise Wrong(f"(stop_epoch, weights_epoch) の 2 つ組を返してください（あなたの答え: {result!r}）")
    stop, kept = result
    stop = None if stop is None else int(stop)
    return stop, None if kept is None else int(kept)


def check_early_stop(early_stop) -> None:
    """演習 1: ``early_stop(values, patience, min_delta, mode, restore_best)`` を EarlyStopping と比べます。"""

    def test():
        cases = _early_stop_cases(np.random.default_rng(7001))
        got = []
        for values, patience, min_delta, mode, restore in cases:
            out = call(early_stop, list(values), patience, min_delta, mode, restore, name="early_stop")
            answered(out, "early_stop の戻り値")
            got.append(_normalize(out))
        want = [reference_early_stop(*c) for c in cases]
        if got == want:
            return
        for kind, hint in _HINTS.items():
            if got == [_variant(*c, kind) for c in cases]:
                raise Wrong(hint)
        bad = [i for i in range(len(cases)) if got[i] != want[i]]
        i = min(bad, key=lambda j: len(cases[j][0]))
        values, patience, min_delta, mode, restore = cases[i]
        shown = "[" + ", ".join(f"{v:g}" for v in values) + "]"
        raise Wrong(
            f"{len(cases)} 個の入力のうち {len(bad)} 個で違います。たとえば values={shown}, "
            f"patience={patience}, min_delta={min_delta:g}, mode={mode!r}, restore_best={restore} で、"
            f"期待 {want[i]}、あなたの答え {got[i]}。"
        )

    grade("early_stop", test)


# ---------------------------------------------------------------- 演習 2: ぴったり合う λ
def _lam_exact(h, lr, t):
    r = (1 - lr * h) ** t
    return h / 2 * r / (1 - r)


def check_lam_equivalent(lam_equivalent) -> None:
    """演習 2: 固有値 h の方向で、勾配降下法 t ステップと同じだけ縮める λ を確かめます。

    式を比べたあと、特徴量が 1 つの回帰（この確認の中で作るデータ）で、``least_squares_gd`` の t ステップの
    重みと、学生の λ での ``least_squares`` の重みが一致することを数値で確かめます。
    """
    from ..baselines import least_squares, least_squares_gd

    def test():
        rng = np.random.default_rng(7002)
        lr, t = 0.05, 40
        h = rng.uniform(0.2, 16.0, size=6)  # η h は 0.01〜0.8
        got = call(lam_equivalent, h.copy(), lr, t, name="lam_equivalent")
        answered(got, "lam_equivalent の戻り値")
        a = np.asarray(got, dtype=float) if np.ndim(got) else np.full(h.shape, np.nan)
        r = (1 - lr * h) ** t
        e = np.exp(-lr * t * h)
        exact = _lam_exact(h, lr, t)
        variants = [
            (
                np.full(h.shape, 1 / (2 * lr * t)),
                "1/(2ηt) は η h が小さいときの近似です。(1 − η h)^t をそのまま使って、"
                "h/(h + 2λ) = 1 − (1 − η h)^t を λ について解いてください",
            ),
            (
                2 * exact,
                "2 倍の値になっています。本書の約束 L0 + λΣw² では、L2 の係数は h/(h + 2λ) です",
            ),
            (
                exact / 2,
                "値が 1/2 になっています。L2 の係数は h/(h + 2λ) です（½λ‖w‖² の約束ではありません）",
            ),
            (
                h / 2 * e / (1 - e),
                "(1 − η h)^t を e^(−η t h) で近似していませんか。ぴったり合わせるには近似せずに解きます",
            ),
            (h / 2 * (1 - r) / r, "r = (1 − η h)^t として λ = (h/2)·r/(1 − r) です（r と 1 − r が逆です）"),
        ]
        want = exact
        if a.shape == h.shape and not np.allclose(a, want, rtol=1e-8, atol=0):
            for v, hint in variants:
                if np.allclose(a, v, rtol=1e-8, atol=0):
                    raise Wrong(hint)
        expect_close(
            got,
            want,
            name="lam_equivalent(h, lr, t)",
            rtol=1e-8,
            atol=0,
            hint="h は配列で渡されます。要素ごとに計算してください。",
        )
        # 数値での確かめ: 特徴量 1 つの回帰では、固有方向は 1 つだけ
        for n, t_run in [(9, 3), (20, 25), (14, 200)]:
            x = rng.normal(size=(n, 1))
            y = 1.5 * x[:, 0] + rng.normal(0, 0.5, n)
            xc = x[:, 0] - x[:, 0].mean()
            h1 = 2 / n * float(xc @ xc)
            eta = rng.uniform(0.1, 0.9) / h1
            lam = call(lam_equivalent, np.array([h1]), eta, t_run, name="lam_equivalent")
            lam = float(np.asarray(lam, dtype=float).ravel()[0])
            w_gd = least_squares_gd(x, y, lr=eta, steps=[t_run])[0][0]
            expect(
                np.isfinite(lam) and lam >= 0, f"λ は 0 以上の有限の値のはずです（あなたの答え {lam:.3g}）"
            )
            w_l2 = least_squares(x, y, lam=lam)[0]
            expect(
                np.allclose(w_gd, w_l2, rtol=1e-8, atol=1e-12),
                f"特徴量 1 つの回帰で、勾配降下法 {t_run} ステップの重み {w_gd[0]:.6g} と、"
                f"あなたの λ での L2正則化の重み {w_l2[0]:.6g} が一致しません",
            )

    grade("lam_equivalent", test)


# ---------------------------------------------------------------- 演習 3: 検証データの枚数
SMALL_VAL_SIZES = (5, 50)
_DEGREE = 9


def _small_val_path():
    from ..baselines import least_squares_gd
    from ..datasets import make_sine_regression, polynomial_features

    x_tr, y_tr = make_sine_regression(12, noise=0.2, seed=1)
    X_tr = polynomial_features(x_tr, _DEGREE)
    Xc = X_tr - X_tr.mean(axis=0)
    lr = 0.5 / np.linalg.eigvalsh(2 / len(X_tr) * Xc.T @ Xc)[-1]
    steps = np.unique(np.round(np.logspace(0, 4.5, 37)).astype(int))
    W, b = least_squares_gd(X_tr, y_tr, lr=lr, steps=steps)
    x_te, y_te = make_sine_regression(2000, noise=0.2, seed=2)
    return steps, W, b, polynomial_features(x_te, _DEGREE), y_te


_PATH_CACHE: list = []


def _path():
    if not _PATH_CACHE:
        _PATH_CACHE.append(_small_val_path())
    return _PATH_CACHE[0]


def reference_choose_on_val(n_val, seed, *, _use_test=False):
    """演習 3 の参照: 検証 MSE が最小のステップを選び、その時点の検証 MSE とテスト MSE を返します。"""
    from ..datasets import make_sine_regression, polynomial_features

    steps, W, b, X_te, y_te = _path()
    x_v, y_v = make_sine_regression(n_val, noise=0.2, seed=seed)
    X_v = polynomial_features(x_v, _DEGREE)
    val = np.mean((X_v @ W.T + b - y_v[:, None]) ** 2, axis=0)
    test = np.mean((X_te @ W.T + b - y_te[:, None]) ** 2, axis=0)
    i = int(np.argmin(test if _use_test else val))
    return {"log10_t": float(np.log10(steps[i])), "val_mse": float(val[i]), "test_mse": float(test[i])}


_KEYS = ("log10_t", "val_mse", "test_mse")


def _test_choose_on_val(choose_on_val) -> None:
    """演習 3 の関数を、見ていない枚数とシードで参照と比べます（違えば Wrong）。"""
    for n_val, seed in [(7, 901), (30, 902), (3, 903)]:
        got = call(choose_on_val, n_val, seed, name="choose_on_val")
        answered(got, "choose_on_val の戻り値")
        expect(
            isinstance(got, dict) and set(got) == set(_KEYS),
            f"キーが {list(_KEYS)} の dict を返してください（あなたの答え: {got!r}）"[:200],
        )
        want = reference_choose_on_val(n_val, seed)
        cheat = reference_choose_on_val(n_val, seed, _use_test=True)
        t_got = float(got["log10_t"])
        if not np.isclose(t_got, want["log10_t"]):
            if np.isclose(t_got, cheat["log10_t"]):
                raise Wrong(
                    "テスト MSE が最小のステップを選んでいませんか。止める時点は検証 MSE だけで選びます"
                )
            if np.isclose(t_got, 10 ** want["log10_t"]):
                raise Wrong("log10_t にはステップ数そのものではなく、その log10 を入れてください")
        expect(
            np.isclose(got["log10_t"], want["log10_t"], rtol=1e-9, atol=1e-12),
            f"n_val={n_val}, seed={seed} で選んだステップの log10 が違います（期待 {want['log10_t']:.3f}、"
            f"あなたの答え {t_got:.3f}）。添字ではなく STEPS の値の log10 を使っていますか",
        )
        for key in ("val_mse", "test_mse"):
            expect_close(got[key], want[key], name=f"{key}（n_val={n_val}, seed={seed}）", rtol=1e-8)


def check_choose_on_val(choose_on_val) -> None:
    """演習 3 の関数だけ: ``choose_on_val(n_val, seed)`` を、見ていない枚数とシードで参照と比べます。"""
    grade("choose_on_val", lambda: _test_choose_on_val(choose_on_val))


def _as_interval(value, name: str) -> tuple[float, float, float]:
    """``paired_difference`` の結果（または ``(平均, 下端, 上端)`` の 3 つ組）を 3 つの数にします。"""
    answered(value, name)
    if all(hasattr(value, k) for k in ("mean", "low", "high")):
        return float(value.mean), float(value.low), float(value.high)
    try:
        mean, low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise Wrong(
            f"{name} には nnreg.experiments.paired_difference(…) の結果を入れてください"
            f"（あなたの答え: {type(value).__name__}）"
        ) from None
    return mean, low, high


def check_small_val(choose_on_val, study, optimism_diff, test_diff, seeds=tuple(range(8))) -> None:
    """演習 3: 関数 ``choose_on_val`` を見ていない入力で確かめ、枚数ごとの結果 ``study``
    （``{n_val: SeedRuns}``）と、同じシードどうしの差（少ない枚数 − 多い枚数）``optimism_diff``
    （楽観 = テスト MSE − 検証 MSE）・``test_diff``（テスト MSE）を、同じシードの参照と比べます。"""
    from ..experiments import paired_difference

    def test():
        _test_choose_on_val(choose_on_val)
        answered(study, "study")
        expect(
            isinstance(study, dict) and set(study) == set(SMALL_VAL_SIZES),
            f"study は、キーが検証データの枚数 {list(SMALL_VAL_SIZES)} の dict にしてください",
        )
        ref = {}
        for n_val in SMALL_VAL_SIZES:
            runs = study[n_val]
            expect(
                hasattr(runs, "values") and tuple(getattr(runs, "seeds", ())) == tuple(seeds),
                f"study[{n_val}] は over_seeds(…, SEEDS) の結果（SeedRuns）にしてください",
            )
            rows = [reference_choose_on_val(n_val, s) for s in seeds]
            ref[n_val] = {k: np.array([r[k] for r in rows]) for k in _KEYS}
            for k in _KEYS:
                expect(k in runs.values, f"study[{n_val}] に {k!r} がありません")
                expect_close(runs.values[k], ref[n_val][k], name=f"study[{n_val}].values[{k!r}]", rtol=1e-8)
        small, large = SMALL_VAL_SIZES

        def gap(n):
            return ref[n]["test_mse"] - ref[n]["val_mse"]

        def triple(d):
            return np.array([d.mean, d.low, d.high])

        want = {
            "optimism_diff": paired_difference(gap(small), gap(large)),
            "test_diff": paired_difference(ref[small]["test_mse"], ref[large]["test_mse"]),
        }
        for name, value in [("optimism_diff", optimism_diff), ("test_diff", test_diff)]:
            got = np.array(_as_interval(value, name))
            right = triple(want[name])
            if np.allclose(got, right, rtol=1e-6, atol=1e-12):
                continue
            if np.allclose(got, -right[[0, 2, 1]], rtol=1e-6, atol=1e-12):
                how = "楽観はシードごとの test_mse − val_mse で、" if name == "optimism_diff" else ""
                raise Wrong(
                    f"{name} の符号が逆です。{how}差は {small} 枚 − {large} 枚の順（少ないほうから多いほう）で求めます"
                )
            other = "test_diff" if name == "optimism_diff" else "optimism_diff"
            if np.allclose(got, triple(want[other]), rtol=1e-6, atol=1e-12):
                raise Wrong(f"{name} と {other} が入れ替わっています")
            if name == "optimism_diff":
                val_only = paired_difference(ref[small]["val_mse"], ref[large]["val_mse"])
                if np.allclose(np.abs(got), np.abs(triple(val_only)), rtol=1e-6, atol=1e-12):
                    raise Wrong(
                        "楽観は、シードごとの test_mse − val_mse です（val_mse だけの差ではありません）"
                    )
            raise Wrong(
                f"{name} が参照と違います。"
                "同じシードの並びのまま、paired_difference(5 枚の値, 50 枚の値) を求めていますか"
            )

    grade("検証データの枚数と、選んだ時点", test)
