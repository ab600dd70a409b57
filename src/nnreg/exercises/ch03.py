"""第3章（ドロップアウト）の演習の確認。

演習ページ ``book/ch03-exercises.ipynb`` の確認のセルから呼びます。どの確認も、学生がまだ見ていない入力を
その場で自分の乱数から作り、``nnreg`` の実装（または式）と比べます。
"""

from __future__ import annotations

import numpy as np

from ..datasets import load_digits
from ..layers import Dropout
from ..losses import SoftmaxCrossEntropy
from ..model import mlp
from ..optimizers import Adam
from ..training import evaluate, fit
from . import Wrong, answered, call, expect, expect_close, grade, is_close

__all__ = ["RATES", "SEEDS", "check_dropout", "check_logit_moments", "check_rate_study", "run"]

RATES = (0.0, 0.25, 0.5, 0.75)  # 演習 3 で比べるドロップアウト率
SEEDS = (0, 1, 2, 3, 4)  # 演習 3 のシード


_close = is_close  # 形・有限・値を一度に比べる（nnreg.exercises.is_close）


# ---------------------------------------------------------------------------
# 演習 1（導出）: 隠れ層 1 つのネットワークのロジット z = h~ W + b の期待値と分散


def _moment_variants(h, W, b, p, inverted):
    """(正しい期待値, 正しい分散, [(期待値, 分散, ヒント), ...])。"""
    q = 1.0 - p
    lin = h @ W
    s2 = (h**2) @ (W**2)
    c = p / q if inverted else p * q
    mean = lin + b if inverted else q * lin + b
    var = s2 * c
    other_mean = q * lin + b if inverted else lin + b
    other_c = p * q if inverted else p / q
    mean_hint = (
        "inverted dropout では E[h~] = h なので、期待値は推論時のロジット hW + b そのものです"
        if inverted
        else "拡大しない（inverted=False）ときは E[h~] = q·h なので、期待値は q·hW + b です"
    )
    var_hint = (
        "inverted では残したユニットを 1/q 倍するので、分散は拡大しない場合の 1/q² 倍です"
        if inverted
        else "拡大しない（inverted=False）ときは 1/q 倍がないので、分散に 1/q² は掛かりません"
    )
    variants = [
        (other_mean, None, mean_hint),
        (lin, None, "バイアス b を足し忘れていませんか"),
        (None, s2 * other_c, "inverted dropout かどうかで式が違います。" + var_hint),
        (
            None,
            s2 * (q / p if inverted else c),
            "p（落とす確率）と q = 1 - p（残す確率）を取り違えていませんか",
        ),
        (
            None,
            lin**2 * c,
            "マスク r_j は互いに独立なので、和の分散は項ごとの分散の和です（共分散は 0）。"
            "(Σ_j h_j W_jk)² ではなく Σ_j h_j² W_jk² になります",
        ),
        (None, h @ (W**2) * c, "h_j も 2 乗してください（Var[a X] = a² Var[X]）"),
        (None, (h**2) @ W * c, "W_jk も 2 乗してください（Var[a X] = a² Var[X]）"),
        (None, (h**2) @ np.abs(W) * c, "W_jk も 2 乗してください（Var[a X] = a² Var[X]）"),
        (
            None,
            s2 * (p / q**2 if inverted else p),
            "ベルヌーイ分布の分散は Var[r_j] = q(1 - q) = pq です（p ではありません）",
        ),
        (None, s2 * c + b**2, "定数 b を足しても分散は変わりません"),
    ]
    return mean, var, variants


def _monte_carlo_moments(h, W, b, p, inverted, seed, n=200_000):
    layer = Dropout(p, rng=np.random.default_rng(seed), inverted=inverted)
    z = layer.forward(np.repeat(h[None, :], n, axis=0)) @ W + b
    return z.mean(axis=0), z.var(axis=0)


def check_logit_moments(logit_moments) -> None:
    """演習 1: ``logit_moments(h, W, b, rate, inverted)`` が、ロジット z = h~ W + b の
    マスクについての期待値と分散（どちらも形 (K,)）の組を返すか。

    新しい h, W, b, rate で式の値と比べ、nnreg.Dropout で 20 万回引いたモンテカルロ推定も表示します。
    """
    name = "logit_moments"

    def test():
        rng = np.random.default_rng(3031)
        cases = []
        for p, inverted in [(0.3, True), (0.3, False), (0.6, True), (0.6, False)]:
            h = rng.uniform(0.2, 2.0, 5)
            W = rng.standard_normal((5, 3))
            b = rng.standard_normal(3)
            cases.append((h, W, b, p, inverted))
        for h, W, b, p, inverted in cases:
            got = answered(call(logit_moments, h.copy(), W.copy(), b.copy(), p, inverted, name=name), name)
            if not (isinstance(got, tuple) and len(got) == 2):
                raise Wrong(
                    f"{name} は (期待値, 分散) の 2 つの組を返してください（{type(got).__name__} が返りました）。"
                )
            mean_got, var_got = got
            mean, var, variants = _moment_variants(h, W, b, p, inverted)
            where = f"（rate = {p}, inverted = {inverted} のとき）"
            ok_mean, ok_var = _close(mean_got, mean), _close(var_got, var)
            if ok_mean and ok_var:
                continue
            for m_, v_, hint in variants:
                if (m_ is not None and not ok_mean and _close(mean_got, m_)) or (
                    v_ is not None and not ok_var and _close(var_got, v_)
                ):
                    raise Wrong(f"{where}{hint}。")
            mc_mean, mc_var = _monte_carlo_moments(h, W, b, p, inverted, seed=3032)
            label = "期待値" if not ok_mean else "分散"
            for value, ref, what in [(mean_got, mean, "期待値"), (var_got, var, "分散")]:
                answered(value, what)
                shape = np.shape(value)
                expect(shape == ref.shape, f"{what}の形が違います: 期待 {ref.shape}、あなたの答え {shape}。")
            mc = mc_mean if not ok_mean else mc_var
            raise Wrong(
                f"{where}{label}が違います。モンテカルロ推定（20 万回）は "
                + "、".join(f"{v:.3g}" for v in mc)
                + " です。E[z_k] と E[z_k²] − (E[z_k])² から計算し直してください。"
            )
        h, W, b, p, inverted = cases[0]
        mean, var, _ = _moment_variants(h, W, b, p, inverted)
        mc_mean, mc_var = _monte_carlo_moments(h, W, b, p, inverted, seed=3033)
        print(f"  rate = {p}、inverted の例（3 つのロジット）")
        print(
            "    期待値  式:",
            "  ".join(f"{v:6.3f}" for v in mean),
            "  MC:",
            "  ".join(f"{v:6.3f}" for v in mc_mean),
        )
        print(
            "    分散    式:",
            "  ".join(f"{v:6.3f}" for v in var),
            "  MC:",
            "  ".join(f"{v:6.3f}" for v in mc_var),
        )

    grade(name, test)


# ---------------------------------------------------------------------------
# 演習 2（実装）: inverted dropout の順伝播・逆伝播


def _unpack(result, name):
    answered(result, name)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise Wrong(
            f"{name} は (out, cache) の 2 つの組を返してください（{type(result).__name__} が返りました）。"
        )
    return result


def check_dropout(dropout_forward, dropout_backward) -> None:
    """演習 2: ``dropout_forward(x, rate, rng, train)`` と ``dropout_backward(dout, cache)`` を nnreg.Dropout と比べます。"""
    name = "dropout_forward / dropout_backward"

    def test_with_hints():
        rng = np.random.default_rng(3041)
        for p in [0.3, 0.7]:
            x = rng.standard_normal((6, 9))
            dout = rng.standard_normal((6, 9))
            seed = int(rng.integers(1_000_000))
            ref = Dropout(p, rng=np.random.default_rng(seed))
            y_ref = ref.forward(x, train=True)
            dx_ref = ref.backward(dout)
            q = 1 - p
            u = np.random.default_rng(seed).random(x.shape)
            keep, swapped = u >= p, u >= q
            where = f"（rate = {p} のとき）"

            out, cache = _unpack(
                call(dropout_forward, x.copy(), p, np.random.default_rng(seed), True, name="dropout_forward"),
                "dropout_forward",
            )
            answered(out, "out")
            if not _close(out, y_ref):
                variants = [
                    (x * keep, "残したユニットを 1/(1-p) 倍するのを忘れていませんか（inverted dropout）"),
                    (x * keep / p, "拡大の倍率は 1/p ではなく 1/(1-p) = 1/q です（p は落とす確率）"),
                    (
                        x * swapped / q,
                        "rate を「残す確率」として使っていませんか。rate は落とす確率なので、"
                        "残すのは rng.random(x.shape) >= rate のユニットです",
                    ),
                    (
                        x * swapped / p,
                        "rate を「残す確率」として使っていませんか（rate は落とす確率 p です）",
                    ),
                    (
                        x * (u < p) / q,
                        "マスクの向きが逆です。残すのは rng.random(x.shape) >= rate のユニットです",
                    ),
                    (
                        x * (u < p) / p,
                        "マスクの向きが逆です。残すのは rng.random(x.shape) >= rate のユニットです",
                    ),
                    (x * swapped, "rate を「残す確率」として使い、1/(1-p) 倍も忘れていませんか"),
                ]
                for value, hint in variants:
                    if _close(out, value):
                        raise Wrong(f"{where}{hint}。")
                expect_close(out, y_ref, name=f"訓練時の出力{where}")  # 形の違いなどを名指し
                raise Wrong(
                    f"{where}訓練時の出力が nnreg.Dropout と一致しません。マスクは rng.random(x.shape) を 1 回だけ引き、"
                    "その値が rate 以上のユニットを残してください（nnreg.Dropout と同じ乱数の使い方）。"
                )

            dx = answered(
                call(dropout_backward, dout.copy(), cache, name="dropout_backward"), "dropout_backward の dx"
            )
            if not _close(dx, dx_ref):
                variants = [
                    (dout, "逆伝播でマスクを掛けていません。落としたユニットには勾配も流れません"),
                    (dout / q, "逆伝播でマスクを掛けていません（1/q 倍だけになっています）"),
                    (dout * keep, "逆伝播でも 1/(1-p) 倍が要ります（順伝播と同じ倍率）"),
                    (dout * keep * q, "逆伝播は 1/q 倍です（q 倍になっています）"),
                ]
                for value, hint in variants:
                    if _close(dx, value):
                        raise Wrong(f"{where}{hint}。")
                expect_close(dx, dx_ref, name=f"逆伝播の dx{where}")
                raise Wrong(
                    f"{where}dx が一致しません。順伝播で使ったマスクと倍率を cache に入れて使ってください。"
                )

            out_eval, _ = _unpack(
                call(
                    dropout_forward, x.copy(), p, np.random.default_rng(seed), False, name="dropout_forward"
                ),
                "dropout_forward",
            )
            answered(out_eval, "推論時の out")
            if not _close(out_eval, x):
                if _close(out_eval, q * x):
                    raise Wrong(
                        "推論時（train=False）に q 倍していませんか。inverted dropout は訓練時に 1/q 倍してあるので、"
                        "推論時は何もしません。"
                    )
                if _close(out_eval, y_ref):
                    raise Wrong(
                        "推論時（train=False）にもマスクを掛けています。推論時は x をそのまま返します。"
                    )
                expect_close(out_eval, x, name="推論時の出力")
                raise Wrong("推論時（train=False）は x をそのまま返してください。")

    grade(name, test_with_hints)


# ---------------------------------------------------------------------------
# 演習 3（調査）: 検証データでドロップアウト率を選ぶ


def run(rate: float, seed: int):
    """演習 3 の 1 回の学習（演習ページの ``run`` と同じ）。(学習済みモデル, データ) を返します。"""
    data = load_digits(n_train=100, seed=seed)
    r = np.random.default_rng(seed)
    model = mlp((64, 32, 10), rng=r, dropout=rate)
    fit(model, SoftmaxCrossEntropy(), Adam(0.01), data.X_train, data.y_train, epochs=30, batch_size=20, rng=r)
    return model, data


def _reference_tables(full: bool = True):
    """参照の表 ``{指標: (シード, 率) の配列}``。``full=False`` なら検証損失だけ（速い）。"""
    loss = SoftmaxCrossEntropy()
    keys = ["val", "test", "train", "val_acc"] if full else ["val"]
    tables = {k: np.zeros((len(SEEDS), len(RATES))) for k in keys}
    for i, s in enumerate(SEEDS):
        for j, p in enumerate(RATES):
            model, data = run(p, s)
            tables["val"][i, j], acc = evaluate(model, loss, data.X_val, data.y_val)
            if full:
                tables["val_acc"][i, j] = acc
                tables["test"][i, j] = evaluate(model, loss, data.X_test, data.y_test)[0]
                tables["train"][i, j] = evaluate(model, loss, data.X_train, data.y_train)[0]
    return tables


def check_rate_study(val_loss, best_rate, n_agree, *, _tables=None) -> None:
    """演習 3: 検証損失の表 ``val_loss``（シード × 率）、平均で選んだ ``best_rate``、
    その率を自分でも選んだシードの数 ``n_agree`` を、同じシードで計算し直した参照と比べます。"""
    name = "ドロップアウト率の調査"

    def test():
        answered(val_loss, "val_loss")
        answered(best_rate, "best_rate")
        answered(n_agree, "n_agree")
        t = dict(_tables) if _tables is not None else _reference_tables(full=False)
        ref = t["val"]
        try:
            v = np.asarray(val_loss, dtype=float)
        except (TypeError, ValueError) as e:
            raise Wrong("val_loss を数値の表（2 次元の配列）として読めません。") from e
        if not _close(v, ref) and "test" not in t:  # 違っていたときだけ、ヒントのための表も計算する
            t = _reference_tables(full=True)
        if v.shape == ref.T.shape and v.shape != ref.shape:
            raise Wrong(
                f"val_loss の形が (率, シード) = {v.shape} になっています。行をシード、列を率にしてください {ref.shape}。"
            )
        for key, hint in [
            (
                "test",
                "テストデータの損失で表を作っていませんか。率を選ぶのは検証データです（テストデータは最後に一度だけ）",
            ),
            ("train", "訓練データの損失になっていませんか。汎化の良さは検証データで測ります"),
            ("val_acc", "正解率ではなく検証損失（evaluate の 1 つ目の値）を入れてください"),
        ]:
            if key in t and _close(v, t[key]):
                raise Wrong(hint + "。")
        expect_close(
            v,
            ref,
            name="val_loss",
            hint="run(rate, seed) で学習したモデルの検証損失を、シードの順・RATES の順に並べてください。",
        )
        means = ref.mean(axis=0)
        right = RATES[int(np.argmin(means))]
        try:
            best = float(best_rate)
        except (TypeError, ValueError) as e:
            raise Wrong("best_rate は率を 1 つの数で入れてください（例: 0.25）。") from e
        if not np.isclose(best, right):
            if np.isclose(best, RATES[int(np.argmax(means))]):
                raise Wrong(
                    "best_rate が検証損失の平均が **最大** の率になっています。損失は小さいほど良い値です。"
                )
            raise Wrong("best_rate は、5 シードの検証損失の平均が最小になる率にしてください。")
        agree = int(np.sum(np.argmin(ref, axis=1) == RATES.index(right)))
        expect(
            int(n_agree) == agree,
            f"n_agree が違います。シードごとに検証損失が最小の率を選び、それが best_rate = {right} と一致するシードを数えてください。",
        )

    grade(name, test)
