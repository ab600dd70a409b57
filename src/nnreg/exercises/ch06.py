"""第6章 最適化手法 の演習の確認（``book/ch06-exercises.ipynb`` から呼びます）。

- :func:`check_constant_gradient`: 演習 1（導出）一定の勾配でのモメンタムの移動距離と、RMSprop の t 回目の更新量。
- :func:`check_momentum_step`: 演習 2（実装）モメンタムの更新（辞書・その場で）。
- :func:`check_adam_update`: 演習 3（実装）Adam の 1 ステップ（状態の辞書つき）。
- :func:`check_scale_study`: 演習 4（調査）損失を定数倍したとき、検証で選ぶ学習率は SGD と Adam でどう変わるか。

演習 4 の学習の設定は、解答と確認で同じものを使うように :func:`scale_val_acc` としてここに置きます。
"""

from __future__ import annotations

import numpy as np

from ..losses import SoftmaxCrossEntropy
from ..optimizers import SGD, Adam, Momentum, RMSprop
from . import Unanswered, Wrong, answered, call, expect, expect_close, grade

__all__ = [
    "SCALE_LRS",
    "SCALE_SEEDS",
    "ScaledCrossEntropy",
    "check_adam_update",
    "check_constant_gradient",
    "check_momentum_step",
    "check_scale_study",
    "scale_val_acc",
]


# ---- 演習 1（導出）----


def _momentum_distance(T, g, lr, mu):
    return lr * abs(g) / (1 - mu) * (T - mu * (1 - mu**T) / (1 - mu))


def _rmsprop_step(t, g, lr, rho, eps):
    return lr * abs(g) / (np.sqrt(1 - rho**t) * abs(g) + eps)


def check_constant_gradient(momentum_distance, rmsprop_step) -> None:
    """``momentum_distance(T, g, lr, mu)`` と ``rmsprop_step(t, g, lr, rho, eps)`` を nnreg の実測と比べます。"""
    rng = np.random.default_rng(6061)
    cases_m = [
        (int(rng.integers(1, 40)), float(rng.uniform(-3, 3)), float(rng.uniform(0.001, 0.2)), mu)
        for mu in (0.5, 0.8, 0.9, 0.95)
    ]
    cases_m.append((1, 2.0, 0.1, 0.9))

    def measured_momentum(T, g, lr, mu):
        p = {"w": np.array([0.0])}
        opt = Momentum(lr=lr, momentum=mu)
        for _ in range(T):
            opt.step(p, {"w": np.array([g])})
        return abs(float(p["w"][0]))

    def test_m():
        for T, g, lr, mu in cases_m:
            got = call(momentum_distance, T, g, lr, mu, name="momentum_distance")
            answered(got, "momentum_distance の戻り値")
            want = measured_momentum(T, g, lr, mu)
            if T > 1 and np.isclose(got, T * lr * abs(g) / (1 - mu)):
                raise Wrong(
                    "最初から終端速度 η|g|/(1-μ) で進むとしていませんか。v は 0 から始まるので、"
                    "t 回目の速さは η|g|(1-μ^t)/(1-μ) です。これを t = 1〜T で足します。"
                )
            if T > 1 and np.isclose(got, T * lr * abs(g)):
                raise Wrong("SGD と同じ T·η|g| になっています。速度が積み重なる分が入っていません。")
            if np.isclose(got, lr * abs(g) / (1 - mu) * (T - (1 - mu**T) / (1 - mu))):
                raise Wrong(
                    "足す範囲が 1 つずれています（t = 0〜T-1）。1 回目の更新で、もう v_1 = -η g だけ動きます。"
                )
            if np.isclose(got, -want) and want != 0:
                raise Wrong("符号が負です。移動距離（絶対値）を返してください。")
            expect_close(got, want, name=f"T={T}, μ={mu} の移動距離", rtol=1e-9, atol=1e-12)

    cases_r = [
        (1, 0.5, 0.1, 0.9, 1e-8),
        (3, -2.0, 0.01, 0.9, 1e-8),
        (7, 1e-9, 0.1, 0.99, 1e-8),
        (20, 3e-8, 0.05, 0.9, 1e-8),
        (2, 0.3, 0.2, 0.5, 1e-3),
    ]

    def measured_rmsprop(t, g, lr, rho, eps):
        p = {"w": np.array([0.0])}
        opt = RMSprop(lr=lr, rho=rho, eps=eps)
        for _ in range(t):
            before = float(p["w"][0])
            opt.step(p, {"w": np.array([g])})
        return abs(float(p["w"][0]) - before)

    def test_r():
        for t, g, lr, rho, eps in cases_r:
            got = call(rmsprop_step, t, g, lr, rho, eps, name="rmsprop_step")
            answered(got, "rmsprop_step の戻り値")
            want = measured_rmsprop(t, g, lr, rho, eps)
            if not np.isclose(got, want, rtol=1e-7):
                if np.isclose(got, lr * abs(g) / (abs(g) + eps), rtol=1e-7):
                    raise Wrong(
                        f"t={t} で η|g|/(|g|+ε) になっています。s は 0 から始まるので "
                        "s_t = (1-ρ^t) g² で、まだ g² まで育っていません。"
                    )
                if np.isclose(got, lr * abs(g) / np.sqrt((1 - rho**t) * g * g + eps), rtol=1e-7):
                    raise Wrong("ε が平方根の中に入っています。RMSprop（nnreg）は √s + ε で割ります。")
                if np.isclose(got, lr / np.sqrt(1 - rho**t), rtol=1e-7):
                    raise Wrong(
                        f"|g| = {abs(g):.0e} のように勾配が ε に近いと、ε は無視できません。"
                        "ε を落とさずに式を書いてください。"
                    )
            expect_close(got, want, name=f"t={t}, |g|={abs(g):.0e} の更新量", rtol=1e-7, atol=0)

    grade("momentum_distance", test_m)
    grade("rmsprop_step", test_r)


# ---- 演習 2（実装）モメンタム ----


def check_momentum_step(momentum_step) -> None:
    """``momentum_step(params, grads, velocity, lr, mu)`` を ``nnreg.Momentum`` と 6 ステップ比べます。"""

    def test():
        rng = np.random.default_rng(6062)
        shapes = {"0.W": (4, 3), "0.b": (3,), "1.W": (3, 2)}
        mine = {k: rng.standard_normal(s) for k, s in shapes.items()}
        ids = {k: id(v) for k, v in mine.items()}
        start = {k: v.copy() for k, v in mine.items()}
        ref = {k: v.copy() for k, v in mine.items()}
        lr, mu = 0.07, 0.85
        grads_seq = [{k: rng.standard_normal(s) for k, s in shapes.items()} for _ in range(6)]
        velocity = {}
        opt = Momentum(lr=lr, momentum=mu)
        for step, g in enumerate(grads_seq, start=1):
            ret = call(momentum_step, mine, g, velocity, lr, mu, name="momentum_step")
            if step == 1 and all(np.array_equal(mine[k], start[k]) for k in shapes):
                if isinstance(ret, dict):
                    raise Wrong(
                        "params をその場で書き換えていません（新しい辞書を返しています）。p += v のように書きます。"
                    )
                if not velocity and ret is None:
                    raise Unanswered(
                        "momentum_step がまだ params も velocity も変えていません。"
                        "解答のセルを書いて実行してから、もう一度確かめてください。"
                    )
            opt.step(ref, g)
            expect(
                all(id(mine[k]) == ids[k] for k in shapes),
                "params の配列を新しい配列で置き換えています。p += v のように、同じ配列をその場で書き換えてください。",
            )
            if step == 1:
                d = {k: mine[k] - start[k] for k in shapes}
                if all(np.allclose(d[k], lr * g[k]) for k in shapes):
                    raise Wrong(
                        "勾配を上る向きに動いています。v ← μv − ηg、θ ← θ + v（または θ ← θ − ηb）の符号を確かめてください。"
                    )
                if all(np.allclose(d[k], 0) for k in shapes):
                    raise Wrong(
                        "1 回目に動いていません。速度を更新してから θ ← θ + v で動かします（順番が逆ではありませんか）。"
                    )
            if step == 2:
                sgd2 = {k: start[k] - lr * grads_seq[0][k] - lr * g[k] for k in shapes}
                if all(np.allclose(mine[k], sgd2[k]) for k in shapes):
                    raise Wrong(
                        "2 回目が SGD と同じです。速度を velocity の辞書に保存して、次の呼び出しで使っていますか。"
                    )
            for k in shapes:
                expect_close(mine[k], ref[k], name=f"{step} ステップ後の {k}", rtol=1e-9, atol=1e-12)
        expect(set(velocity) == set(shapes), f"velocity のキーが params と違います（{sorted(velocity)}）。")

    grade("momentum_step", test)


# ---- 演習 3（実装）Adam ----


def _adam_variant(theta, grads, lr, b1, b2, eps, kind):
    theta = np.array(theta, dtype=float)
    m = np.zeros_like(theta)
    s = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g * g
        tt = 1 if kind == "t1" else t
        if kind == "nobias":
            mh, sh = m, s
        else:
            mh, sh = m / (1 - b1**tt), s / (1 - b2**tt)
        if kind == "eps_in":
            theta = theta - lr * mh / np.sqrt(sh + eps)
        elif kind == "sign":
            theta = theta + lr * mh / (np.sqrt(sh) + eps)
        else:
            theta = theta - lr * mh / (np.sqrt(sh) + eps)
    return theta


def check_adam_update(adam_update) -> None:
    """``adam_update(theta, g, state, lr, beta1, beta2, eps)`` を ``nnreg.Adam`` と数ステップ比べます。"""

    def test():
        rng = np.random.default_rng(6063)
        # 3 つ目は勾配が小さい成分（ε が効く）を含む
        cases = [
            ((5,), 6, 0.01, 0.9, 0.999, 1e-8, 1.0),
            ((2, 3), 4, 0.1, 0.5, 0.9, 1e-8, 1.0),
            ((4,), 5, 0.05, 0.9, 0.999, 1e-3, 1e-3),
        ]
        for shape, steps, lr, b1, b2, eps, scale in cases:
            theta0 = rng.standard_normal(shape)
            grads = [scale * rng.standard_normal(shape) for _ in range(steps)]
            theta0_copy = theta0.copy()
            theta, state = theta0, {}
            for g in grads:
                theta = call(adam_update, theta, g, state, lr, b1, b2, eps, name="adam_update")
                answered(theta, "adam_update の戻り値")
            expect(
                np.array_equal(theta0, theta0_copy),
                "渡された theta を書き換えています。新しい配列を返してください。",
            )
            p = {"w": theta0.copy()}
            opt = Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)
            for g in grads:
                opt.step(p, {"w": g})
            theta = np.asarray(theta, dtype=float)
            if theta.shape == p["w"].shape and not np.allclose(theta, p["w"], rtol=1e-9, atol=1e-12):
                hints = {
                    "nobias": "バイアス補正（m/(1-β1^t)、s/(1-β2^t)）を忘れていませんか。",
                    "t1": "補正の t がずっと 1 のままです。state に t を保存して、毎回 1 増やしてください。",
                    "eps_in": "ε が平方根の中に入っています。Adam は √ŝ + ε で割ります。",
                    "sign": "勾配を上る向きに動いています（θ ← θ − η m̂/(√ŝ + ε)）。",
                }
                for kind, hint in hints.items():
                    if np.allclose(
                        theta, _adam_variant(theta0, grads, lr, b1, b2, eps, kind), rtol=1e-9, atol=1e-12
                    ):
                        raise Wrong(hint)
            expect_close(theta, p["w"], name=f"{steps} ステップ後の θ（形 {shape}）", rtol=1e-9, atol=1e-12)

    grade("adam_update", test)


# ---- 演習 4（調査）損失のスケールと学習率 ----

SCALE_LRS = [0.001, 0.01, 0.1, 1.0]
SCALE_SEEDS = range(5)
_SPLITS: dict[int, object] = {}


class ScaledCrossEntropy(SoftmaxCrossEntropy):
    """交差エントロピーを ``scale`` 倍した損失（勾配も ``scale`` 倍になります）。"""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = float(scale)

    def forward(self, y_pred, t):
        return self.scale * super().forward(y_pred, t)

    def backward(self):
        return self.scale * super().backward()


def scale_val_acc(method: str, lr: float, scale: float, seed: int, *, use_test: bool = False) -> float:
    """``method``（"SGD" か "Adam"）と学習率 ``lr`` で、損失を ``scale`` 倍して学習したときの検証正解率。

    手書き数字（訓練 200 枚、分け方 = 初期値 = ミニバッチの乱数 = ``seed``）、全結合層 1 枚、5 エポック、バッチ 20。
    """
    from .. import accuracy, fit, mlp
    from ..datasets import load_digits

    if seed not in _SPLITS:
        _SPLITS[seed] = load_digits(n_train=200, seed=seed)
    d = _SPLITS[seed]
    r = np.random.default_rng(seed)
    model = mlp((64, 10), rng=r)
    opt = {"SGD": SGD, "Adam": Adam}[method](lr)
    fit(model, ScaledCrossEntropy(scale), opt, d.X_train, d.y_train, epochs=5, batch_size=20, rng=r)
    X, y = (d.X_test, d.y_test) if use_test else (d.X_val, d.y_val)
    return float(accuracy(model.predict(X), y))


SCALE_KEYS = [(m, c) for m in ("SGD", "Adam") for c in (1.0, 100.0)]


def check_scale_study(scale_val, best_lr) -> None:
    """演習 4: ``scale_val[(手法, scale)]``（学習率 × シードの表）と ``best_lr[(手法, scale)]`` を確かめます。"""

    def test():
        answered(scale_val, "scale_val")
        answered(best_lr, "best_lr")
        expect(isinstance(scale_val, dict), "scale_val は辞書 {(手法, scale): 配列} にしてください。")
        missing = [k for k in SCALE_KEYS if k not in scale_val]
        expect(not missing, f"scale_val にキー {missing} がありません。")
        means, gots = {}, {}
        for key in SCALE_KEYS:
            got = np.asarray(scale_val[key], dtype=float)
            shape = (len(SCALE_LRS), len(SCALE_SEEDS))
            if got.shape == shape[::-1]:
                raise Wrong(
                    f"scale_val[{key}] の形が {got.shape} です。行を学習率、列をシードにしてください。"
                )
            expect(
                got.shape == shape,
                f"scale_val[{key}] は形 {shape}（学習率 × シード）にしてください（{got.shape}）。",
            )
            m, c = key
            ref = np.array([[scale_val_acc(m, lr, c, s) for s in SCALE_SEEDS] for lr in SCALE_LRS])
            if not np.allclose(got, ref, atol=1e-9):
                test_ref = np.array(
                    [[scale_val_acc(m, lr, c, s, use_test=True) for s in SCALE_SEEDS] for lr in SCALE_LRS]
                )
                if np.allclose(got, test_ref, atol=1e-9):
                    raise Wrong("テストデータで測っていませんか。学習率は検証データで選びます。")
                raise Wrong(
                    f"scale_val[{key}] が参照の実行と違います。scale_val_acc(手法, lr, scale, s) を "
                    "lr は SCALE_LRS の順、s は 0〜4 で呼んでいますか。"
                )
            means[key], gots[key] = ref.mean(axis=1), got
        expect(isinstance(best_lr, dict), "best_lr は辞書 {(手法, scale): 学習率} にしてください。")
        for key in SCALE_KEYS:
            want = SCALE_LRS[int(np.argmax(means[key]))]
            got = best_lr.get(key)
            answered(got, f"best_lr[{key}]")
            if np.isclose(got, SCALE_LRS[int(np.argmax(gots[key][:, 0]))]) and not np.isclose(got, want):
                raise Wrong(f"best_lr[{key}] がシード 0 だけで選ばれています。5 シードの平均で選びます。")
            expect(
                np.isclose(got, want),
                f"best_lr[{key}] が {got} です。5 シードの平均の検証正解率が最大の学習率を選びます。",
            )
        print("  参照の実行で選ばれた学習率（5 シードの平均の検証正解率が最大）:")
        for m in ("SGD", "Adam"):
            a, b = (SCALE_LRS[int(np.argmax(means[m, c]))] for c in (1.0, 100.0))
            print(f"  {m}: 損失 ×1 で {a:g}、損失 ×100 で {b:g}")

    grade("損失のスケールと学習率の選択", test)
