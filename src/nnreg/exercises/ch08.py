"""第8章（まとめ: 手法の使い分け）の演習の確認（``book/ch08-exercises.ipynb`` から呼びます）。

- :func:`check_paired_ci`: 対応のある差の t 区間（実装。``nnreg.experiments.paired_difference`` と比べます）
- :func:`check_z_coverage`: t の代わりに z を使った区間の、本当の被覆率（導出。モンテカルロでも確かめます）
- :func:`check_one_se_choice`: 1 標準誤差ルール（実装）
- :func:`check_combine`: 2 つの手法を組み合わせるか、検証データだけで決める小さな調査（調査）
"""

from __future__ import annotations

import numpy as np

from . import Wrong, answered, call, expect, expect_close, grade

__all__ = [
    "COMBINE_CONFIGS",
    "COMBINE_SEEDS",
    "check_combine",
    "check_one_se_choice",
    "check_paired_ci",
    "check_z_coverage",
    "tiny_run",
]


def _as_triple(out, name):
    answered(out, name)
    try:
        a = np.asarray([float(v) for v in out])
    except (TypeError, ValueError) as e:
        raise Wrong(f"{name} は (平均, 下端, 上端) の 3 つ組にしてください（あなたの答え: {out!r}）") from e
    expect(a.shape == (3,), f"{name} は (平均, 下端, 上端) の 3 つ組にしてください（長さ {a.size}）")
    return a


# ---------------------------------------------------------------- 演習 1: 対応のある差の区間
def _ci_variants(a, b, level):
    from scipy import stats

    n = len(a)
    d = a - b
    m = d.mean()
    q = stats.t.ppf(0.5 + level / 2, df=n - 1)
    z = stats.norm.ppf(0.5 + level / 2)
    se = d.std(ddof=1) / np.sqrt(n)

    def tri(mean, half):
        return np.array([mean, mean - half, mean + half])

    unpaired = np.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
    return [
        (
            tri(m, q * d.std(ddof=0) / np.sqrt(n)),
            "標準偏差を ddof=0 で計算していませんか。不偏（ddof=1）を使います",
        ),
        (
            tri(m, z * se),
            "t 分布ではなく正規分布の z（1.96）を使っていませんか。n が小さいので t_{n−1} を使います",
        ),
        (
            tri(m, q * unpaired),
            "差をとらずに、2 つの平均の差の（対応のない）標準誤差を使っていませんか。まず d = a − b をとります",
        ),
        (tri(-m, q * se), "差の向きが逆です（b − a ではなく a − b）"),
        (tri(m, q * d.std(ddof=1)), "標準偏差のまま使っていませんか。平均の標準誤差は s/√n です"),
        (
            tri(m, stats.t.ppf(level, df=n - 1) * se),
            "片側の分位点 t.ppf(level) を使っていませんか。両側なら t.ppf(0.5 + level/2) です",
        ),
        (tri(m, stats.t.ppf(0.5 + level / 2, df=n) * se), "自由度は n ではなく n − 1 です"),
    ]


def check_paired_ci(paired_ci) -> None:
    """演習 1: ``paired_ci(a, b, level)`` → ``(平均, 下端, 上端)`` を ``paired_difference`` と比べます。"""
    from ..experiments import paired_difference

    def test():
        rng = np.random.default_rng(8001)
        for n, level in [(5, 0.95), (8, 0.9), (3, 0.99), (12, 0.95)]:
            common = rng.normal(0.9, 0.03, n)  # 分け方による難しさ（両方に効く）
            a = common + rng.normal(0.01, 0.01, n)
            b = common + rng.normal(0.0, 0.01, n)
            out = call(paired_ci, a.copy(), b.copy(), level, name="paired_ci")
            got = _as_triple(out, "paired_ci の戻り値")
            ref = paired_difference(a, b, level=level)
            want = np.array([ref.mean, ref.low, ref.high])
            if not np.allclose(got, want, rtol=1e-9, atol=1e-12):
                for v, hint in _ci_variants(a, b, level):
                    if np.allclose(got, v, rtol=1e-9, atol=1e-12):
                        raise Wrong(hint)
            expect_close(got, want, name=f"paired_ci（n={n}, level={level}）", rtol=1e-9, atol=1e-12)

    grade("paired_ci", test)


# ---------------------------------------------------------------- 演習 2: z 区間の被覆率
def _coverage_exact(n, level):
    from scipy import stats

    z = stats.norm.ppf(0.5 + level / 2)
    return 2 * stats.t.cdf(z, df=n - 1) - 1


def z_coverage_monte_carlo(n, level=0.95, *, trials=200_000, seed=0):
    """正規分布から n 個とって ``平均 ± z·s/√n`` を作り、真の平均を含んだ割合（モンテカルロ）。"""
    from scipy import stats

    rng = np.random.default_rng(seed)
    z = stats.norm.ppf(0.5 + level / 2)
    x = rng.standard_normal((trials, n))
    half = z * x.std(axis=1, ddof=1) / np.sqrt(n)
    return float(np.mean(np.abs(x.mean(axis=1)) <= half))


def check_z_coverage(z_coverage) -> None:
    """演習 2: ``z_coverage(n, level)`` を、式とモンテカルロ（この確認の中で引きます）の両方と比べます。"""
    from scipy import stats

    def test():
        for n, level in [(4, 0.95), (6, 0.9), (10, 0.95), (30, 0.99)]:
            got = call(z_coverage, n, level, name="z_coverage")
            answered(got, "z_coverage の戻り値")
            try:
                g = float(got)
            except (TypeError, ValueError) as e:
                raise Wrong(f"z_coverage は 1 つの数を返してください（あなたの答え: {got!r}）") from e
            want = _coverage_exact(n, level)
            z = stats.norm.ppf(0.5 + level / 2)
            hints = [
                (
                    level,
                    "z 区間の被覆率は level ちょうどにはなりません。s も揺れるので、(x̄ − μ)/(s/√n) は t_{n−1} に従います",
                ),
                (2 * stats.t.cdf(z, df=n) - 1, "自由度は n ではなく n − 1 です"),
                (stats.t.cdf(z, df=n - 1), "片側の確率になっています。|T| ≤ z の確率は 2·F(z) − 1 です"),
                (1 - 2 * stats.t.sf(z, df=n - 1) / 2, "|T| > z は両側で起きます。2·P(T > z) を引きます"),
            ]
            if not np.isclose(g, want, rtol=0, atol=1e-9):
                for v, hint in hints:
                    if np.isclose(g, v, rtol=0, atol=1e-9):
                        raise Wrong(hint)
                raise Wrong(f"n={n}, level={level} での被覆率が違います（あなたの答え {g:.4f}）")
        mc = z_coverage_monte_carlo(5, 0.95, trials=100_000, seed=8002)
        g5 = float(call(z_coverage, 5, 0.95, name="z_coverage"))
        expect(
            abs(g5 - mc) < 0.005,
            f"n=5 でモンテカルロ（10 万回）の {mc:.3f} と合いません（あなたの答え {g5:.3f}）",
        )

    grade("z_coverage", test)


# ---------------------------------------------------------------- 演習 3: 1 標準誤差ルール
def reference_one_se_choice(scores):
    s = np.asarray(scores, dtype=float)
    mean = s.mean(axis=1)
    top = int(np.argmax(mean))
    se = s[top].std(ddof=1) / np.sqrt(s.shape[1])
    return int(np.flatnonzero(mean >= mean[top] - se)[0])


def _one_se_variants(s):
    mean = s.mean(axis=1)
    top = int(np.argmax(mean))
    n = s.shape[1]
    se = s[top].std(ddof=1) / np.sqrt(n)
    ok = mean >= mean[top] - se
    return [
        (
            top,
            "平均が最大の候補をそのまま選んでいます。「最大の平均 − SE」以上の中で、いちばん単純な（添字の小さい）候補を選びます",
        ),
        (
            int(np.flatnonzero(ok)[-1]),
            "いちばん複雑な（添字の大きい）候補を選んでいます。候補は単純な順に並んでいます",
        ),
        (
            int(np.flatnonzero(mean >= mean[top] - s[top].std(ddof=0) / np.sqrt(n))[0]),
            "標準偏差を ddof=0 で計算していませんか。ddof=1 を使います",
        ),
        (
            int(np.flatnonzero(mean >= mean[top] - s[top].std(ddof=1))[0]),
            "標準誤差ではなく標準偏差を引いていませんか。SE = s/√n です",
        ),
        (
            int(np.flatnonzero(mean >= mean[top] - s.std(axis=1, ddof=1) / np.sqrt(n))[0]),
            "SE は各候補のものではなく、平均が最大の候補の SE を使います",
        ),
    ]


def check_one_se_choice(one_se_choice) -> None:
    """演習 3: ``one_se_choice(scores)``（行 = 単純な順の候補、列 = シード）を、見ていない表で確かめます。"""

    def test():
        rng = np.random.default_rng(8003)
        tables = []
        for _ in range(120):
            k, n = int(rng.integers(3, 7)), int(rng.integers(3, 9))
            sd = rng.uniform(0.005, 0.04)
            mean = rng.uniform(0.8, 0.95, k)
            if rng.random() < 0.5:  # 平均の差が SE と同じくらいの、境目に近い表
                mean = mean[0] + np.cumsum(rng.uniform(-1.5, 1.0, k)) * sd / np.sqrt(n)
            tables.append(mean[:, None] + rng.normal(0, sd, (k, n)))
        got = []
        for s in tables:
            out = call(one_se_choice, s.copy(), name="one_se_choice")
            answered(out, "one_se_choice の戻り値")
            try:
                got.append(int(out))
            except (TypeError, ValueError) as e:
                raise Wrong(f"候補の添字（整数）を返してください（あなたの答え: {out!r}）") from e
        want = [reference_one_se_choice(s) for s in tables]
        if got == want:
            return
        for j in range(5):
            if all(g == _one_se_variants(s)[j][0] for g, s in zip(got, tables, strict=True)):
                raise Wrong(_one_se_variants(tables[0])[j][1])
        bad = sum(g != w for g, w in zip(got, want, strict=True))
        raise Wrong(f"{len(tables)} 個の表のうち {bad} 個で、選んだ候補が違います")

    grade("one_se_choice", test)


# ---------------------------------------------------------------- 演習 4: 組み合わせるか
COMBINE_SEEDS = (0, 1, 2, 3, 4)
COMBINE_CONFIGS = {
    "なし": {},
    "L2": {"l2": 1e-2},
    "ドロップアウト": {"dropout": 0.5},
    "両方": {"l2": 1e-2, "dropout": 0.5},
}
_RUN_CACHE: dict = {}
_DATA_CACHE: dict = {}


def tiny_run(seed, *, l2=0.0, dropout=0.0):
    """演習 4 の小さな学習: 訓練 100 枚（ラベルの 30 % をすり替え）、64-32-10 の MLP を Adam で 20 エポック。

    分け方 ``seed`` の手書き数字を、シード ``seed`` の初期値・すり替え・ミニバッチの順番で学習し、
    ``{"検証": 検証正解率, "テスト": テスト正解率}`` を返します（同じ引数の 2 回目は記録を返します）。
    """
    from .. import L2, Adam, SoftmaxCrossEntropy, accuracy, fit, mlp
    from ..datasets import corrupt_labels, load_digits

    key = (int(seed), float(l2), float(dropout))
    if key not in _RUN_CACHE:
        if seed not in _DATA_CACHE:
            _DATA_CACHE[seed] = load_digits(n_train=100, seed=int(seed))
        d = _DATA_CACHE[seed]
        rng = np.random.default_rng(seed)
        y = corrupt_labels(d.y_train, 0.3, n_classes=10, rng=rng)
        model = mlp((64, 32, 10), rng=rng, dropout=dropout)
        fit(
            model,
            SoftmaxCrossEntropy(),
            Adam(lr=0.01),
            d.X_train,
            y,
            epochs=20,
            batch_size=20,
            regularizer=L2(l2) if l2 else None,
            rng=rng,
        )
        _RUN_CACHE[key] = {
            "検証": accuracy(model.predict(d.X_val), d.y_val),
            "テスト": accuracy(model.predict(d.X_test), d.y_test),
        }
    return dict(_RUN_CACHE[key])


def _combine_reference():
    from ..experiments import paired_difference

    table = {
        key: np.array([[tiny_run(s, **kw)[key] for s in COMBINE_SEEDS] for kw in COMBINE_CONFIGS.values()])
        for key in ("検証", "テスト")
    }
    names = list(COMBINE_CONFIGS)
    val = table["検証"]
    single = max(["L2", "ドロップアウト"], key=lambda nm: val[names.index(nm)].mean())
    ci = paired_difference(val[names.index("両方")], val[names.index(single)])
    return table, single, ci


def check_combine(val_acc, best_single, gain, combine_helps) -> None:
    """演習 4: 検証正解率の表・選んだ単独の手法・組み合わせの上乗せの区間・結論を、同じシードの参照と比べます。"""

    def test():
        table, single, ci = _combine_reference()
        names = list(COMBINE_CONFIGS)
        answered(val_acc, "val_acc")
        v = np.asarray(val_acc, dtype=float)
        want = table["検証"]
        if v.shape == want.shape and not np.allclose(v, want):
            if np.allclose(v, table["テスト"]):
                raise Wrong("val_acc にテスト正解率が入っています。選ぶのは検証正解率だけです")
            if np.allclose(v, want.T.reshape(v.shape)) or np.allclose(v.T, want):
                raise Wrong("並び方が違います。行が COMBINE_CONFIGS の順、列がシードの順です")
        if v.shape == want.T.shape:
            raise Wrong(
                f"val_acc の形は (条件の数, シードの数) = {want.shape} です（あなたの答え {v.shape}）"
            )
        expect_close(v, want, name="val_acc", rtol=0, atol=1e-12)
        answered(best_single, "best_single")
        test_single = max(["L2", "ドロップアウト"], key=lambda nm: table["テスト"][names.index(nm)].mean())
        if best_single != single and best_single == test_single:
            raise Wrong("テスト正解率で選んでいませんか。単独の手法も検証正解率の平均で選びます")
        expect(
            best_single == single,
            f"best_single は、検証正解率の平均が高い方の単独の手法（'L2' か 'ドロップアウト'）です（あなたの答え {best_single!r}）",
        )
        got = _as_triple(gain, "gain")
        want_ci = np.array([ci.mean, ci.low, ci.high])
        if not np.allclose(got, want_ci):
            if np.allclose(got, [-ci.mean, -ci.high, -ci.low]):
                raise Wrong("差の向きが逆です。gain は「両方 − 単独」です")
            if np.allclose(got[0], np.mean(want[names.index("両方")] - want[names.index("なし")])):
                raise Wrong(
                    "「なし」と比べていませんか。組み合わせる意味があるかは、選んだ単独の手法と比べます"
                )
        expect_close(
            got,
            want_ci,
            name="gain",
            rtol=1e-9,
            atol=1e-12,
            hint="演習 1 の paired_ci を検証正解率に使います。",
        )
        answered(combine_helps, "combine_helps")
        expect(isinstance(combine_helps, bool | np.bool_), "combine_helps は True か False で答えてください")
        expect(
            bool(combine_helps) == bool(ci.low > 0),
            "combine_helps の向きが gain の区間と合いません。区間の下端が 0 より上のときだけ、"
            "組み合わせがはっきり良いと言えます",
        )

    grade("組み合わせるかを検証データで決める", test)
