"""第1章 演習の確認（``book/ch01-exercises.ipynb`` から呼びます）。

- :func:`check_random_label_study`: 演習 1（調査）でたらめなラベルを覚える
- :func:`check_noisy_nn_accuracy`: 演習 2（導出）すり替えたラベルを丸暗記した最近傍法の正解率
- :func:`check_turning_point`: 演習 3（実装）検証損失の曲がり角

どの確認も、学生の答えを、確認の中で作った新しい入力（または同じシードでやり直した参照の実験）と比べます。
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from . import Wrong, answered, call, expect, grade

__all__ = [
    "RANDOM_LABEL_KEYS",
    "RANDOM_LABEL_SEEDS",
    "check_noisy_nn_accuracy",
    "check_random_label_study",
    "check_turning_point",
    "epochs_to_fit",
    "noisy_nn_accuracy_reference",
    "random_label_run",
    "train_memorizer",
]

# ---------------------------------------------------------------------------
# 演習 1（調査）: でたらめなラベルを覚える
# ---------------------------------------------------------------------------

RANDOM_LABEL_SEEDS = tuple(range(5))
RANDOM_LABEL_KEYS = ("train_true", "val_true", "fit_true", "train_random", "val_random", "fit_random")
N_TRAIN, HIDDEN, EPOCHS, BATCH, LR = 50, 64, 60, 25, 0.01


def train_memorizer(X, y, rng):
    """演習 1 の学習: 64 → 64 → 10 の MLP を Adam（学習率 0.01）で 60 エポック（バッチ 25）。

    ``(model, history)`` を返します。乱数はすべて ``rng`` から引きます（初期値 → ミニバッチの順番）。
    """
    import nnreg

    model = nnreg.mlp((64, HIDDEN, 10), rng=rng)
    history = nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.Adam(lr=LR),
        X,
        y,
        epochs=EPOCHS,
        batch_size=BATCH,
        rng=rng,
    )
    return model, history


def epochs_to_fit(history) -> int:
    """訓練正解率（ミニバッチでの予測）が初めて 1.0 になったエポック（1 始まり）。届かなければ エポック数 + 1。"""
    acc = np.asarray(history.train_acc, dtype=float)
    hit = np.flatnonzero(acc >= 1.0)
    return int(hit[0]) + 1 if hit.size else len(acc) + 1


def random_label_run(seed: int, *, eval_on: str = "val") -> dict[str, float]:
    """演習 1 の参照の実験（1 シード分）。確認の中で同じシードでやり直すのに使います。"""
    import nnreg
    from nnreg.datasets import load_digits

    data = load_digits(n_train=N_TRAIN, seed=seed)
    X_eval, y_eval = (data.X_val, data.y_val) if eval_on == "val" else (data.X_test, data.y_test)
    out: dict[str, float] = {}
    for kind in ("true", "random"):
        rng = np.random.default_rng(seed)
        y = data.y_train if kind == "true" else rng.permutation(data.y_train)
        model, history = train_memorizer(data.X_train, y, rng)
        out[f"train_{kind}"] = nnreg.accuracy(model.predict(data.X_train), y)
        out[f"val_{kind}"] = nnreg.accuracy(model.predict(X_eval), y_eval)
        out[f"fit_{kind}"] = epochs_to_fit(history)
    return out


def _as_table(study, name: str) -> dict[str, np.ndarray]:
    answered(study, name)
    values = (
        study if isinstance(study, Mapping) else getattr(study, "values", None)
    )  # SeedRuns でも dict でもよい
    if not isinstance(values, Mapping):
        raise Wrong(
            f"{name} は nnreg.experiments.over_seeds の結果（または 名前 → シードごとの値 の dict）を期待しています"
            f"（受け取った型: {type(study).__name__}）。"
        )
    missing = [k for k in RANDOM_LABEL_KEYS if k not in values]
    expect(
        not missing,
        f"{name} に {', '.join(missing)} がありません。キーは {', '.join(RANDOM_LABEL_KEYS)} です。",
    )
    table = {}
    for k in RANDOM_LABEL_KEYS:
        v = np.asarray(values[k], dtype=float)
        expect(
            v.shape == (len(RANDOM_LABEL_SEEDS),),
            f"{name}[{k!r}] の形が {v.shape} です。シード 0〜4 の 5 個の値を並べてください。",
        )
        table[k] = v
    return table


_REFERENCE: dict[str, dict[str, np.ndarray]] = {}


def _reference_study(eval_on: str = "val") -> dict[str, np.ndarray]:
    """参照の実験（同じシード）。一度作ったら覚えておきます。"""
    if eval_on not in _REFERENCE:
        runs = [random_label_run(s, eval_on=eval_on) for s in RANDOM_LABEL_SEEDS]
        _REFERENCE[eval_on] = {k: np.array([r[k] for r in runs], dtype=float) for k in RANDOM_LABEL_KEYS}
    return _REFERENCE[eval_on]


def check_random_label_study(study, train_tells_apart, random_slower) -> None:
    """演習 1: 5 シードの表を同じシードの参照の実験と比べ、2 つの結論を確かめます。"""

    def test():
        table = _as_table(study, "study")
        ref = _reference_study()
        if np.allclose(table["train_random"], 0.1, atol=0.1) and not np.allclose(
            ref["train_random"], 0.1, atol=0.1
        ):
            raise Wrong(
                "でたらめなラベルで学習したモデルの訓練正解率は、でたらめなラベル（y_random）で採点します"
                "（本当のラベルで採点していませんか）。"
            )
        for k in RANDOM_LABEL_KEYS:
            if np.allclose(table[k], ref[k], rtol=0, atol=1e-12):
                continue
            hint = ""
            if k.startswith("val"):
                if np.allclose(table[k], _reference_study(eval_on="test")[k], rtol=0, atol=1e-12):
                    raise Wrong(
                        f"study[{k!r}] がテストデータでの正解率になっています。"
                        "学習に使っていないデータでの成績は、検証データ（data.X_val, data.y_val）で測ります。"
                    )
            if k.startswith("fit"):
                hint = "fit_* は epochs_to_fit(history) の値です。"
            raise Wrong(
                f"study[{k!r}] が、同じシードでやり直した参照の実験と一致しません"
                f"（参照 {', '.join(f'{v:.3g}' for v in ref[k])}）。{hint}"
                "乱数の使い方（シードごとに rng = np.random.default_rng(seed) を作り直し、"
                "でたらめなラベルでは rng.permutation → train_memorizer の順）と、"
                "load_digits(n_train=50, seed=seed) を問題文どおりにしたか確かめてください。"
            )
        ref_apart = bool(np.any(np.abs(ref["train_true"] - ref["train_random"]) > 0.05))
        ref_slower = bool(np.all(ref["fit_random"] > ref["fit_true"]))
        for value, name, correct, why in [
            (
                train_tells_apart,
                "train_tells_apart",
                ref_apart,
                "訓練正解率の列 train_true と train_random を見比べてください。",
            ),
            (
                random_slower,
                "random_slower",
                ref_slower,
                "fit_true と fit_random を、同じシードどうしで比べてください。",
            ),
        ]:
            answered(value, name)
            expect(isinstance(value, bool | np.bool_), f"{name} は True か False で答えてください。")
            expect(bool(value) == correct, f"{name} の結論が、表の数値と合いません。{why}")

    grade("演習 1 でたらめなラベルを覚える", test)


# ---------------------------------------------------------------------------
# 演習 2（導出）: すり替えたラベルを丸暗記した最近傍法の正解率
# ---------------------------------------------------------------------------


def noisy_nn_accuracy_reference(a, p, k):
    """正解 ``a(1-p) + (1-a)p/(K-1)``。"""
    return a * (1 - p) + (1 - a) * p / (k - 1)


def _monte_carlo_nn(a: float, p: float, k: int, n: int, rng: np.random.Generator) -> float:
    """最近傍法 + ラベルのすり替えを、そのまま n 回まねたときの正解率。"""
    y = rng.integers(0, k, size=n)  # テスト画像の本当のクラス
    same = rng.random(n) < a  # 最近傍の訓練画像が同じクラスか
    other = (y + rng.integers(1, k, size=n)) % k  # 違うなら、どのクラスか（一様）
    neighbour = np.where(same, y, other)
    flip = rng.random(n) < p  # 訓練ラベルのすり替え（corrupt_labels と同じ作り方）
    noisy = np.where(flip, (neighbour + rng.integers(1, k, size=n)) % k, neighbour)
    return float(np.mean(noisy == y))


_NN_WRONG: list[tuple[Callable, str]] = [
    (
        lambda a, p, k: a * (1 - p),
        "最近傍が本当は違うクラスでも、そのラベルがすり替えでたまたま正解のクラスになる場合"
        "（確率 (1-a)·p/(K-1)）を足し忘れていませんか。",
    ),
    (
        lambda a, p, k: a * (1 - p) + (1 - a) * p,
        "すり替え先は、元のクラス以外の K-1 個から一様に選ばれます。"
        "正解のクラスが選ばれる確率は p ではなく p/(K-1) です。",
    ),
    (
        lambda a, p, k: a * (1 - p) + (1 - a) * p / k,
        "すり替え先は元のクラス以外の K-1 個です（K で割っていませんか）。",
    ),
    (
        lambda a, p, k: 1 - p,
        "最近傍の訓練画像がそもそも違うクラスである場合（確率 1-a）を考えましたか。",
    ),
    (
        lambda a, p, k: a,
        "すり替えたラベルを丸暗記した影響（確率 p）が入っていません。",
    ),
]


def check_noisy_nn_accuracy(noisy_nn_accuracy) -> None:
    """演習 2: 式を、確認の中で作った新しい (a, p, K) で正解の式と比べ、モンテカルロ法でも確かめます。"""

    def test():
        rng = np.random.default_rng(20240101)
        cases = [
            (float(rng.uniform(0.5, 1.0)), float(rng.uniform(0.05, 0.6)), int(rng.integers(2, 21)))
            for _ in range(6)
        ]
        cases.append((0.9, 0.3, 10))
        for a, p, k in cases:
            got = call(noisy_nn_accuracy, a, p, k, name="noisy_nn_accuracy")
            answered(got, "noisy_nn_accuracy の戻り値")
            try:
                got = float(got)
            except (TypeError, ValueError) as e:
                raise Wrong(
                    f"noisy_nn_accuracy は 1 つの数を返してください（受け取った型: {type(got).__name__}）。"
                ) from e
            want = noisy_nn_accuracy_reference(a, p, k)
            if np.isclose(got, want, rtol=1e-9, atol=1e-12):
                continue
            for wrong, hint in _NN_WRONG:
                if np.isclose(got, wrong(a, p, k), rtol=1e-9, atol=1e-12):
                    raise Wrong(f"a={a:.3g}, p={p:.3g}, K={k} で {got:.6g}（正しくは {want:.6g}）。{hint}")
            raise Wrong(
                f"a={a:.3g}, p={p:.3g}, K={k} で {got:.6g} ですが、正しくは {want:.6g} です。"
                "「最近傍が同じクラスか」と「そのラベルがすり替えられたか」の 4 通りに分けて確率を足してください。"
            )
        # 式とは別に、そのまま n 回まねて確かめる（標準誤差の 4 倍以内）
        n = 200_000
        mc = _monte_carlo_nn(0.9, 0.3, 10, n, np.random.default_rng(7))
        se = np.sqrt(mc * (1 - mc) / n)
        got = float(call(noisy_nn_accuracy, 0.9, 0.3, 10, name="noisy_nn_accuracy"))
        expect(abs(got - mc) < 4 * se, f"モンテカルロ法（{n} 回）の {mc:.3f} と合いません。")
        print(f"  a=0.9, p=0.3, K=10: あなたの式 {got:.3f} / モンテカルロ法（{n} 回）{mc:.3f}")

    grade("演習 2 すり替えたラベルを丸暗記した最近傍法", test)


# ---------------------------------------------------------------------------
# 演習 3（実装）: 曲がり角
# ---------------------------------------------------------------------------


def _centered_mean(v: np.ndarray, window: int) -> np.ndarray:
    h = window // 2
    return np.array([v[max(0, i - h) : i + h + 1].mean() for i in range(len(v))])


_TP_WRONG: list[tuple[Callable, str]] = [
    (
        lambda v, w: int(np.argmin(np.convolve(v, np.ones(w), mode="same") / w)) + 1,
        "端では、窓に入る点の個数で割ります。いつも window で割ると、端の平均が小さくなりすぎて"
        "端が最小に選ばれやすくなります。",
    ),
    (
        lambda v, w: int(np.argmin(_centered_mean(v, w))),
        "エポックは 1 始まりです（np.argmin の添字に 1 を足し忘れていませんか）。",
    ),
    (
        lambda v, w: int(np.argmin([v[max(0, i - w + 1) : i + 1].mean() for i in range(len(v))])) + 1,
        "過去の window 点だけの平均（後ろ向きの移動平均）になっていませんか。"
        "中心移動平均は、前後 window//2 点ずつを使います。",
    ),
    (
        lambda v, w: int(np.argmin(np.convolve(v, np.ones(w), mode="valid"))) + 1,
        "np.convolve(mode='valid') では長さが window - 1 だけ縮み、エポックが window//2 ずれます。",
    ),
    (
        lambda v, w: int(np.argmin(v)) + 1,
        "移動平均でならさずに、生の値の最小を探していませんか。",
    ),
    (
        lambda v, w: len(v) - int(np.argmin(_centered_mean(v, w)[::-1])),
        "同じ最小値が複数あるときは、最初（いちばん早い）のエポックを返します。",
    ),
]


def _tp_cases(rng: np.random.Generator) -> list[tuple[np.ndarray, int]]:
    cases = []
    for window in (5, 3, 7, 1, 5, 9):
        n = int(rng.integers(20, 61))
        epochs = np.arange(1, n + 1)
        center = rng.uniform(0.25, 0.75) * n
        curve = 0.8 + 0.6 * ((epochs - center) / n) ** 2 + 0.05 * rng.standard_normal(n)
        cases.append((curve, window))
    cases.append((np.array([3.0, 1.0, 2.0, 1.0, 3.0, 2.0]), 1))  # 同じ最小値が 2 つ
    cases.append((np.array([2.0, 0.0, 2.0, 2.0, 0.0, 2.0, 2.0]), 3))  # ならした後に同点
    return cases


def check_turning_point(my_turning_point) -> None:
    """演習 3: 確認の中で作った新しい曲線で、``nnreg.curves.turning_point`` と比べます。"""
    from nnreg.curves import turning_point

    def test():
        cases = _tp_cases(np.random.default_rng(31))
        got_all = []
        for curve, window in cases:
            got = call(my_turning_point, curve.copy(), window, name="my_turning_point")
            answered(got, "my_turning_point の戻り値")
            ok_type = isinstance(got, int | np.integer) or (
                isinstance(got, float) and float(got).is_integer()
            )
            expect(
                ok_type,
                f"my_turning_point はエポックを整数で返してください（受け取った型: {type(got).__name__}）。",
            )
            got_all.append(int(got))
        want_all = [turning_point(curve, window=window) for curve, window in cases]
        if got_all == want_all:
            return
        i = next(i for i, (g, w) in enumerate(zip(got_all, want_all, strict=True)) if g != w)
        curve, window = cases[i]
        where = f"長さ {len(curve)}、window={window} の曲線で {got_all[i]}（正しくは {want_all[i]}）。"
        for wrong, hint in _TP_WRONG:
            if [wrong(c, w) for c, w in cases] == got_all:
                raise Wrong(where + hint)
        raise Wrong(
            where + "中心移動平均（端では窓に入る点だけの平均）が最小になる、最初のエポックを返してください。"
        )

    grade("演習 3 曲がり角", test)
