"""第4章（バッチ正規化とレイヤー正規化）の演習の確認。

演習ページ ``book/ch04-exercises.ipynb`` の確認のセルから呼びます。どの確認も、学生がまだ見ていない入力を
その場で自分の乱数から作り、数値微分や ``nnreg`` の実装と比べます。
"""

from __future__ import annotations

import numpy as np

from ..datasets import load_digits
from ..gradcheck import numerical_gradient, relative_error
from ..layers import BatchNorm, Dense
from ..losses import SoftmaxCrossEntropy
from ..model import mlp
from ..optimizers import SGD
from ..training import evaluate, fit
from . import Wrong, answered, call, expect, expect_close, grade, is_close

__all__ = [
    "SCALES",
    "SEEDS",
    "check_bn_forward",
    "check_rms_backward",
    "check_scale_study",
    "rms_norm",
    "run",
]

SCALES = (0.1, 0.3, 1.0, 3.0)  # 演習 3 で比べる、初期の重みの倍率
SEEDS = (1, 2, 3, 4, 5)  # 演習 3 のシード


_close = is_close  # 形・有限・値を一度に比べる（nnreg.exercises.is_close）


def _as_table(v, label):
    answered(v, label)
    try:
        return np.asarray(v, dtype=float)
    except (TypeError, ValueError) as e:
        raise Wrong(f"{label} を数値の表（2 次元の配列）として読めません。") from e


# ---------------------------------------------------------------------------
# 演習 1（導出）: 平均を引かない正規化（RMSNorm）の逆伝播


def rms_norm(x, gamma, eps=1e-5):
    """RMSNorm の順伝播 ``γ ⊙ x / r``、``r = √(mean_j x_j² + ε)``（サンプルごと、特徴量の向き）。"""
    r = np.sqrt(np.mean(x**2, axis=1, keepdims=True) + eps)
    return gamma * x / r


def _rms_variants(dy, x, gamma, eps):
    r = np.sqrt(np.mean(x**2, axis=1, keepdims=True) + eps)
    xh = x / r
    g = dy * gamma
    h = x.shape[1]
    return [
        (g / r, "r も x の関数です。r をとおる経路（x̂ ⊙ mean(g ⊙ x̂) の項）が抜けています"),
        (
            (g - g.mean(axis=1, keepdims=True) - xh * (g * xh).mean(axis=1, keepdims=True)) / r,
            "平均を引かないので、レイヤー正規化の式にある −mean(g) の項は出てきません",
        ),
        (
            (g - xh * (g * xh).mean(axis=0, keepdims=True)) / r,
            "和をとる向きが違います。RMSNorm はサンプルごと（axis=1）です",
        ),
        ((dy - xh * (dy * xh).mean(axis=1, keepdims=True)) / r, "γ を掛け忘れていませんか（g = dy ⊙ γ）"),
        (
            (g - xh * (g * xh).sum(axis=1, keepdims=True)) / r,
            f"和ではなく平均です（1/H = 1/{h} を忘れていませんか）",
        ),
        (
            (g + xh * (g * xh).mean(axis=1, keepdims=True)) / r,
            "r をとおる項の符号が逆です（∂(1/r)/∂r = −1/r²）",
        ),
    ]


def check_rms_backward(rms_norm_backward) -> None:
    """演習 1: ``rms_norm_backward(dy, x, gamma, eps)`` の dx を、数値微分（float64、バッチ 2 以上）と比べます。"""
    name = "rms_norm_backward"

    def test():
        rng = np.random.default_rng(4041)
        errors = []
        for m, h, scale in [(4, 6, 1.0), (2, 3, 5.0), (3, 8, 0.3)]:
            x = rng.standard_normal((m, h)) * scale + rng.standard_normal(h)
            gamma = rng.uniform(0.5, 2.0, h)
            dy = rng.standard_normal((m, h))
            eps = 1e-5
            where = f"（入力の形 {x.shape} のとき）"
            dx = answered(call(rms_norm_backward, dy.copy(), x.copy(), gamma.copy(), eps, name=name), "dx")
            num = numerical_gradient(
                lambda z, g=gamma, e=eps, d=dy: float(np.sum(rms_norm(z, g, e) * d)), x.copy()
            )
            if _close(dx, num, rtol=1e-5, atol=1e-7):
                errors.append(relative_error(dx, num))
                continue
            for value, hint in _rms_variants(dy, x, gamma, eps):
                if _close(dx, value):
                    raise Wrong(f"{where}{hint}。")
            hint = "数値微分と比べています。g = dy ⊙ γ、x̂ = x / r とおき、∂r/∂x_k = x_k / (H r) を使って計算し直してください。"
            expect_close(dx, num, name=f"dx{where}", rtol=1e-5, atol=1e-7, hint=hint)
            raise Wrong(f"{where}{hint}")
        if max(errors) < 1e-7:
            print("  3 つの入力すべてで、数値微分との相対誤差は 1e-7 未満です")

    grade(name, test)


# ---------------------------------------------------------------------------
# 演習 2（実装）: 移動平均つきのバッチ正規化の順伝播


def _simulate(batches, gamma, beta, momentum, eps, *, ddof=0, ddof_run=None, reverse=False,
              eval_batch=False, no_update=False, eps_out=False, update_eval=False):  # fmt: skip
    ddof_run = ddof if ddof_run is None else ddof_run
    rm, rv = np.zeros(gamma.shape), np.ones(gamma.shape)
    traj = []
    for x, train in batches:
        if train or eval_batch:
            mu, var = x.mean(axis=0), x.var(axis=0, ddof=ddof)
        else:
            mu, var = rm, rv
        if train or update_eval:
            bm, bv = x.mean(axis=0), x.var(axis=0, ddof=ddof_run)
            if not no_update:
                a = 1 - momentum if reverse else momentum
                rm, rv = a * rm + (1 - a) * bm, a * rv + (1 - a) * bv
        xh = (x - mu) / (np.sqrt(var) + eps) if eps_out else (x - mu) / np.sqrt(var + eps)
        traj.append((gamma * xh + beta, rm.copy(), rv.copy()))
    return traj


_BN_VARIANTS = [
    (
        dict(ddof=1),
        "分散に n-1 で割る不偏分散を使っていませんか（ddof=1）。nnreg は訓練時も移動分散も 1/m の分散です",
    ),
    (
        dict(ddof_run=1),
        "移動分散の更新に不偏分散（m/(m−1) 倍）を使っていませんか。原論文と PyTorch はそうしますが、"
        "nnreg は正規化に使ったのと同じ 1/m の分散を平均します",
    ),
    (
        dict(reverse=True),
        "momentum の向きが逆です。nnreg の momentum は「古い値の重み」: running ← momentum·running + (1−momentum)·batch",
    ),
    (
        dict(eval_batch=True),
        "推論時（train=False）にミニバッチの統計量を使っていませんか。推論時は移動平均で正規化します",
    ),
    (
        dict(no_update=True),
        "訓練時に移動平均を更新していません（running['mean'] と running['var'] を書き換えてください）",
    ),
    (dict(update_eval=True), "推論時（train=False）にも移動平均を更新しています。更新するのは訓練時だけです"),
    (dict(eps_out=True), "ε は平方根の中に入れます: (x − μ) / √(σ² + ε)"),
]


def check_bn_forward(bn_forward) -> None:
    """演習 2: ``bn_forward(x, gamma, beta, running, train, momentum, eps)`` を nnreg.BatchNorm と比べます。

    訓練モードで 3 つのミニバッチを流してから推論モードで 1 つ流し、各ステップの出力と移動平均を比べます。
    """
    name = "bn_forward"

    def test():
        rng = np.random.default_rng(4051)
        h, momentum, eps = 4, 0.8, 1e-5
        gamma, beta = rng.uniform(0.5, 2.0, h), rng.standard_normal(h)
        loc, sd = rng.uniform(-3, 3, h), rng.uniform(0.5, 3, h)
        batches = [(rng.standard_normal((m, h)) * sd + loc, m != 3) for m in (5, 7, 4, 3)]
        layer = BatchNorm(h, momentum=momentum, eps=eps)
        layer.params["gamma"][:], layer.params["beta"][:] = gamma, beta
        ref = [
            (layer.forward(x, train=t), layer.running_mean.copy(), layer.running_var.copy())
            for x, t in batches
        ]
        running = {"mean": np.zeros(h), "var": np.ones(h)}
        got = []
        for x, t in batches:
            out = call(bn_forward, x.copy(), gamma.copy(), beta.copy(), running, t, momentum, eps, name=name)
            answered(out, "bn_forward の戻り値")
            if isinstance(out, tuple):
                raise Wrong(
                    "bn_forward は出力 out だけを返し、移動平均は引数の running（dict）を書き換えて残してください。"
                )
            rm, rv = running.get("mean"), running.get("var")
            answered(rm, "running['mean']")
            answered(rv, "running['var']")
            got.append((out, np.array(rm, dtype=float, copy=True), np.array(rv, dtype=float, copy=True)))

        def same(traj):
            return all(
                _close(a[0], b[0]) and _close(a[1], b[1]) and _close(a[2], b[2])
                for a, b in zip(traj, got, strict=True)
            )

        if same(ref):
            return
        for flags, hint in _BN_VARIANTS:
            if same(_simulate(batches, gamma, beta, momentum, eps, **flags)):
                raise Wrong(hint + "。")
        for k, ((y, m_, v_), (gy, gm, gv)) in enumerate(zip(ref, got, strict=True)):
            mode = "訓練" if batches[k][1] else "推論"
            where = f"（{k + 1} 回目の呼び出し、{mode}モード）"
            expect_close(gy, y, name=f"出力{where}")
            expect_close(gm, m_, name=f"running['mean']{where}")
            expect_close(gv, v_, name=f"running['var']{where}")

    grade(name, test)


# ---------------------------------------------------------------------------
# 演習 3（調査）: 初期の重みのスケールと BN


def run(norm, scale: float, seed: int):
    """演習 3 の 1 回の学習（演習ページの ``run`` と同じ）。学習済みモデルを返します。

    隠れ層 3 つ（各 32 ユニット）の ReLU の MLP の、出力層以外の ``Dense`` の重みを ``scale`` 倍してから、
    SGD（学習率 0.1）で 10 エポック学習します。データは ``load_digits(n_train=200, seed=0)``。
    """
    data = load_digits(n_train=200, seed=0)
    r = np.random.default_rng(seed)
    model = mlp((64, 32, 32, 32, 10), rng=r, norm=norm)
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    for layer in dense[:-1]:
        layer.params["W"] *= scale
    fit(model, SoftmaxCrossEntropy(), SGD(0.1), data.X_train, data.y_train, epochs=10, batch_size=20, rng=r)
    return model


def _reference_tables(full: bool = True):
    """参照の表 ``{(norm, 指標): (シード, 倍率) の配列}``。``full=False`` なら検証損失だけ（速い）。"""
    data = load_digits(n_train=200, seed=0)
    loss = SoftmaxCrossEntropy()
    keys = ["val", "test", "train", "val_acc"] if full else ["val"]
    tables = {(norm, k): np.zeros((len(SEEDS), len(SCALES))) for norm in [None, "batch"] for k in keys}
    for norm in [None, "batch"]:
        for i, s in enumerate(SEEDS):
            for j, c in enumerate(SCALES):
                model = run(norm, c, s)
                tables[norm, "val"][i, j], acc = evaluate(model, loss, data.X_val, data.y_val)
                if full:
                    tables[norm, "val_acc"][i, j] = acc
                    tables[norm, "test"][i, j] = evaluate(model, loss, data.X_test, data.y_test)[0]
                    tables[norm, "train"][i, j] = evaluate(model, loss, data.X_train, data.y_train)[0]
    return tables


def _check_table(v, t, norm, label):
    ref = t[norm, "val"]
    v = _as_table(v, label)
    if _close(v, ref):
        return
    if (norm, "test") not in t:  # 違っていたときだけ、ヒントのための表も計算する
        t.update(_reference_tables(full=True))
    if v.shape == ref.T.shape and v.shape != ref.shape:
        raise Wrong(
            f"{label} の形が (倍率, シード) = {v.shape} になっています。行をシード、列を倍率にしてください {ref.shape}。"
        )
    other = "batch" if norm is None else None
    if _close(v, t[other, "val"]):
        raise Wrong(f"{label} に、もう一方（BN {'あり' if other else 'なし'}）の結果が入っています。")
    for key, hint in [
        (
            "test",
            "テストデータの損失で表を作っていませんか。倍率を選ぶのは検証データです（テストデータは最後に一度だけ）",
        ),
        ("train", "訓練データの損失になっていませんか。比べるのは検証損失です"),
        ("val_acc", "正解率ではなく検証損失（evaluate の 1 つ目の値）を入れてください"),
    ]:
        if _close(v, t[norm, key]):
            raise Wrong(f"{label}: {hint}。")
    expect_close(
        v,
        ref,
        name=label,
        hint="run(norm, scale, seed) の検証損失を、SEEDS の順・SCALES の順に並べてください。",
    )


def check_scale_study(val_none, val_bn, best_none, best_bn, *, _tables=None) -> None:
    """演習 3: 検証損失の表（シード × 倍率）2 つと、平均で選んだ倍率 2 つを、同じシードで計算し直した参照と比べます。"""
    name = "重みのスケールの調査"

    def test():
        for v, label in [
            (val_none, "val_none"),
            (val_bn, "val_bn"),
            (best_none, "best_none"),
            (best_bn, "best_bn"),
        ]:
            answered(v, label)
        t = dict(_tables) if _tables is not None else _reference_tables(full=False)
        _check_table(val_none, t, None, "val_none")
        _check_table(val_bn, t, "batch", "val_bn")
        for norm, best, label in [(None, best_none, "best_none"), ("batch", best_bn, "best_bn")]:
            means = t[norm, "val"].mean(axis=0)
            right = SCALES[int(np.argmin(means))]
            try:
                best = float(best)
            except (TypeError, ValueError) as e:
                raise Wrong(f"{label} は倍率を 1 つの数で入れてください（例: 0.3）。") from e
            if np.isclose(best, SCALES[int(np.argmax(means))]):
                raise Wrong(
                    f"{label} が検証損失の平均が **最大** の倍率になっています。損失は小さいほど良い値です。"
                )
            expect(
                np.isclose(best, right),
                f"{label} は、5 シードの検証損失の平均が最小になる倍率にしてください。",
            )

    grade(name, test)
