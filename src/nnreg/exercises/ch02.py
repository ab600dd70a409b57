"""第2章 演習の確認（``book/ch02-exercises.ipynb`` から呼びます）。

- :func:`check_softmax_half_l2`: 演習 1（導出）½λ の慣習での、ソフトマックス分類器の損失と勾配
- :func:`check_adamw_step`: 演習 2（実装）AdamW の 1 ステップ（バイアスは減衰させない）
- :func:`check_lambda_seeds`: 演習 3（調査）1 つのシードだけで λ を選んでいたら

どの確認も、学生の答えを、確認の中で作った新しい入力（または同じシードでやり直した参照の実験）と比べます。
"""

from __future__ import annotations

import numpy as np

from . import Wrong, answered, call, expect, grade

__all__ = [
    "LAMS",
    "SEEDS",
    "adamw_reference",
    "check_adamw_step",
    "check_lambda_seeds",
    "check_softmax_half_l2",
    "lambda_seed_table",
    "softmax_half_l2_reference",
    "train_l2",
]

# ---------------------------------------------------------------------------
# 演習 1（導出）: ½λ の慣習での損失と勾配
# ---------------------------------------------------------------------------


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def softmax_half_l2_reference(W, b, X, t, lam):
    """正解: ``L = mean CE(XW + b, t) + ½λΣW²``、``dW = Xᵀ(P - Y)/N + λW``、``db = Σ_n (P - Y)/N``。"""
    n = X.shape[0]
    P = _softmax(X @ W + b)
    Y = np.zeros_like(P)
    Y[np.arange(n), t] = 1.0
    loss = float(-np.log(P[np.arange(n), t]).mean() + 0.5 * lam * np.sum(W * W))
    return loss, X.T @ (P - Y) / n + lam * W, (P - Y).sum(axis=0) / n


def _as_triple(out, name):
    answered(out, f"{name} の戻り値")
    if not isinstance(out, tuple | list) or len(out) != 3:
        raise Wrong(
            f"{name} は (loss, dW, db) の 3 つを返してください（受け取った型: {type(out).__name__}）。"
        )
    return out


def check_softmax_half_l2(softmax_half_l2) -> None:
    """演習 1: 確認の中で作った新しい入力で、損失は nnreg の損失 + ½λΣW² と、勾配は数値微分と比べます。"""
    import nnreg
    from nnreg.gradcheck import numerical_gradient, relative_error

    def test():
        rng = np.random.default_rng(1202)
        n, d, c = 6, 5, 4
        W = rng.standard_normal((d, c))
        b = rng.standard_normal(c)
        X = rng.standard_normal((n, d))
        t = rng.integers(0, c, size=n)
        lam = 0.7

        def objective(W_, b_):
            return nnreg.SoftmaxCrossEntropy().forward(X @ W_ + b_, t) + 0.5 * lam * float(np.sum(W_ * W_))

        out = call(softmax_half_l2, W.copy(), b.copy(), X.copy(), t.copy(), lam, name="softmax_half_l2")
        loss, dW, db = _as_triple(out, "softmax_half_l2")
        answered(loss, "loss")
        try:
            loss = float(loss)
        except (TypeError, ValueError) as e:
            raise Wrong(f"loss は 1 つの数にしてください（受け取った型: {type(loss).__name__}）。") from e
        want = objective(W, b)
        ce = want - 0.5 * lam * float(np.sum(W * W))
        if not np.isclose(loss, want, rtol=1e-9, atol=1e-12):
            for wrong, hint in [
                (ce, "損失に罰則項 ½λΣW² を足し忘れていませんか。"),
                (ce + lam * np.sum(W * W), "½λ の慣習では罰則項は ½λΣW² です（λΣW² になっています）。"),
                (want + 0.5 * lam * np.sum(b * b), "バイアスまで罰則項に入れていませんか。"),
                (
                    ce * n + 0.5 * lam * np.sum(W * W),
                    "交差エントロピー誤差がバッチの平均ではなく和になっていませんか。",
                ),
            ]:
                if np.isclose(loss, wrong, rtol=1e-9):
                    raise Wrong(hint)
            raise Wrong(f"loss が {loss:.6g} ですが、正しくは {want:.6g} です。")

        g_W = numerical_gradient(lambda W_: objective(W_, b), W.copy())
        g_b = numerical_gradient(lambda b_: objective(W, b_), b.copy())
        _, ref_W, ref_b = softmax_half_l2_reference(W, b, X, t, lam)
        base_W, base_b = ref_W - lam * W, ref_b
        for got, num, name, variants in [
            (
                dW,
                g_W,
                "dW",
                [
                    (base_W + 2 * lam * W, "½λ の慣習では罰則項の勾配は λW です（2λW になっています）。"),
                    (base_W, "罰則項の勾配 λW を足し忘れていませんか。"),
                    (
                        base_W * n + lam * W,
                        "バッチの平均ではなく和になっていませんか（N 倍になっています）。",
                    ),
                    (-base_W + lam * W, "ソフトマックスの勾配の符号が逆です（P - Y の順に引きます）。"),
                ],
            ),
            (
                db,
                g_b,
                "db",
                [
                    (base_b + lam * b, "バイアスまで減衰させていませんか（罰則項は重み W だけです）。"),
                    (base_b * n, "バッチの平均ではなく和になっていませんか（N 倍になっています）。"),
                ],
            ),
        ]:
            answered(got, name)
            try:
                a = np.asarray(got, dtype=float)
            except (TypeError, ValueError) as e:
                raise Wrong(f"{name} を数値の配列として読めません（{type(got).__name__}）。") from e
            expect(a.shape == num.shape, f"{name} の形が違います: 期待 {num.shape}、あなたの答え {a.shape}。")
            expect(bool(np.all(np.isfinite(a))), f"{name} に NaN か inf が含まれています。")
            err = relative_error(a, num)
            if err < 1e-6:
                continue
            for wrong, hint in variants:
                if np.allclose(a, wrong, rtol=1e-9, atol=1e-12):
                    raise Wrong(f"{name} が数値微分と合いません（相対誤差 {err:.2g}）。{hint}")
            raise Wrong(
                f"{name} が数値微分と合いません（相対誤差 {err:.2g}）。"
                "交差エントロピーの部分は Xᵀ(P - Y)/N（db は P - Y の行の平均）です。"
            )

    grade("演習 1 ½λ の慣習での損失と勾配", test)


# ---------------------------------------------------------------------------
# 演習 2（実装）: AdamW の 1 ステップ
# ---------------------------------------------------------------------------


def adamw_reference(
    params,
    grads_seq,
    lr,
    weight_decay,
    *,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    decay_bias=False,
    coupled=False,
    bias_correction=True,
    decay_after=False,
    keep_state=True,
):
    """AdamW を ``grads_seq`` の順に施した後のパラメータ。キーワードの切り替えは「よくある間違い」用です。"""
    p = {k: np.array(v, dtype=float) for k, v in params.items()}
    state: dict[str, dict] = {}
    for grads in grads_seq:
        if not keep_state:
            state = {}
        for key, g in grads.items():
            w = p[key]
            decay = weight_decay if (decay_bias or key.split(".")[-1] == "W") else 0.0
            if coupled:
                g = g + decay * w
            elif not decay_after:
                w = w - lr * decay * w
            s = state.setdefault(key, {"m": np.zeros_like(w), "v": np.zeros_like(w), "t": 0})
            s["t"] += 1
            s["m"] = beta1 * s["m"] + (1 - beta1) * g
            s["v"] = beta2 * s["v"] + (1 - beta2) * g * g
            m_hat, v_hat = s["m"], s["v"]
            if bias_correction:
                m_hat = m_hat / (1 - beta1 ** s["t"])
                v_hat = v_hat / (1 - beta2 ** s["t"])
            w_new = w - lr * m_hat / (np.sqrt(v_hat) + eps)
            if decay_after and not coupled:
                w_new = w_new - lr * decay * w_new
            p[key] = w_new
    return p


_ADAMW_WRONG: list[tuple[dict, str]] = [
    ({"decay_bias": True}, "バイアスまで減衰させていませんか（減衰させるのは重み行列 W だけです）。"),
    (
        {"coupled": True},
        "減衰を勾配に足して √v̂ で割っていませんか。それは AdamW ではなく「Adam + L2正則化」です。",
    ),
    (
        {"coupled": True, "decay_bias": True},
        "減衰を勾配に足していて（Adam + L2正則化）、しかもバイアスまで減衰させています。",
    ),
    ({"bias_correction": False}, "バイアス補正 m̂ = m/(1-β1^t)、v̂ = v/(1-β2^t) を忘れていませんか。"),
    ({"decay_after": True}, "減衰は Adam の更新の **前の** W に掛けます（更新の後に掛けていませんか）。"),
    (
        {"keep_state": False},
        "1 ステップ目は合っています。m, v, t を state に残して、次のステップで使っていますか。",
    ),
]


def check_adamw_step(adamw_step) -> None:
    """演習 2: 確認の中で作った新しい形のパラメータで 3 ステップ進め、``nnreg.AdamW`` と比べます。"""
    import nnreg

    def test():
        rng = np.random.default_rng(4242)
        shapes = {"0.W": (4, 3), "0.b": (3,), "2.W": (3, 2), "2.b": (2,)}
        params = {k: rng.standard_normal(s) for k, s in shapes.items()}
        grads_seq = [{k: rng.standard_normal(s) for k, s in shapes.items()} for _ in range(3)]
        lr, wd = 0.05, 0.4

        ref = {k: v.copy() for k, v in params.items()}
        opt = nnreg.AdamW(lr=lr, weight_decay=wd)
        for grads in grads_seq:
            opt.step(ref, {k: g.copy() for k, g in grads.items()})

        state: dict = {}
        cur = {k: v.copy() for k, v in params.items()}
        for grads in grads_seq:
            out = call(
                adamw_step,
                {k: v.copy() for k, v in cur.items()},
                {k: g.copy() for k, g in grads.items()},
                state,
                lr=lr,
                weight_decay=wd,
                name="adamw_step",
            )
            answered(out, "adamw_step の戻り値")
            if not isinstance(out, dict) or set(out) != set(params):
                raise Wrong(
                    "adamw_step は、params と同じキー（"
                    + ", ".join(params)
                    + "）を持つ dict を返してください。"
                )
            for k in params:
                a = np.asarray(out[k], dtype=float)
                expect(
                    a.shape == params[k].shape,
                    f"{k} の形が {a.shape} になっています（期待 {params[k].shape}）。",
                )
            cur = {k: np.asarray(out[k], dtype=float) for k in params}

        if all(np.allclose(cur[k], ref[k], rtol=1e-10, atol=1e-12) for k in params):
            return
        for flags, hint in _ADAMW_WRONG:
            wrong = adamw_reference(params, grads_seq, lr, wd, **flags)
            if all(np.allclose(cur[k], wrong[k], rtol=1e-10, atol=1e-12) for k in params):
                raise Wrong(hint)
        bad = [k for k in params if not np.allclose(cur[k], ref[k], rtol=1e-10, atol=1e-12)]
        err = max(float(np.max(np.abs(cur[k] - ref[k]))) for k in bad)
        raise Wrong(
            f"3 ステップ後の {', '.join(bad)} が nnreg.AdamW と一致しません（最大の差 {err:.3g}）。"
            "問題文の式を順に確かめてください。"
        )

    grade("演習 2 AdamW の 1 ステップ", test)


# ---------------------------------------------------------------------------
# 演習 3（調査）: 1 つのシードだけで λ を選んでいたら
# ---------------------------------------------------------------------------

LAMS = (0.0, 1e-3, 3e-3, 1e-2, 3e-2)
SEEDS = tuple(range(5))


def train_l2(data, lam: float, seed: int):
    """演習 3 の学習: 64 → 50 → 10 の MLP を、モメンタムつき SGD（0.05, 0.9）と L2(lam) で 30 エポック（バッチ 20）。"""
    import nnreg
    from nnreg.regularizers import L2

    rng = np.random.default_rng(seed)
    model = nnreg.mlp((64, 50, 10), rng=rng)
    nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.Momentum(0.05, 0.9),
        data.X_train,
        data.y_train,
        epochs=30,
        batch_size=20,
        regularizer=L2(lam),
        rng=rng,
    )
    return model


_TABLES: dict[str, np.ndarray] = {}


def lambda_seed_table(part: str = "val") -> np.ndarray:
    """参照の表（行がシード 0〜4、列が LAMS）。``part`` は "val"、"test"、"train" のどれか。一度作ったら覚えておきます。"""
    if not _TABLES:
        import nnreg
        from nnreg.datasets import load_digits

        tabs: dict[str, list] = {"val": [], "test": [], "train": []}
        for s in SEEDS:
            data = load_digits(n_train=100, seed=s)
            rows = {k: [] for k in tabs}
            for lam in LAMS:
                model = train_l2(data, lam, s)
                rows["val"].append(nnreg.accuracy(model.predict(data.X_val), data.y_val))
                rows["test"].append(nnreg.accuracy(model.predict(data.X_test), data.y_test))
                rows["train"].append(nnreg.accuracy(model.predict(data.X_train), data.y_train))
            for k in tabs:
                tabs[k].append(rows[k])
        _TABLES.update({k: np.array(v) for k, v in tabs.items()})
    return _TABLES[part]


def _best(row: np.ndarray) -> set[float]:
    """最大（の同点）すべての λ。平均の計算順による 1e-12 程度の差は同点とみなします。"""
    return {lam for lam, v in zip(LAMS, row, strict=True) if v >= row.max() - 1e-12}


def check_lambda_seeds(val_table, best_per_seed, best_by_mean, same_for_all_seeds) -> None:
    """演習 3: 表を同じシードの参照の実験と比べ、選んだ λ と結論を確かめます。"""

    def test():
        answered(val_table, "val_table")
        try:
            table = np.asarray(val_table, dtype=float)
        except (TypeError, ValueError) as e:
            raise Wrong(f"val_table を数値の配列として読めません（{type(val_table).__name__}）。") from e
        ref = lambda_seed_table("val")
        if table.shape == ref.T.shape and table.shape != ref.shape:
            raise Wrong(
                f"val_table の形が {table.shape} です。行がシード、列が λ の {ref.shape} にしてください（転置になっていませんか）。"
            )
        expect(
            table.shape == ref.shape,
            f"val_table の形が違います: 期待 {ref.shape}（シード 5 × λ {len(LAMS)}）、あなたの答え {table.shape}。",
        )
        if not np.allclose(table, ref, rtol=0, atol=1e-12):
            if np.allclose(table, ref.T, rtol=0, atol=1e-12):
                raise Wrong("val_table が転置になっています。行がシード、列が λ です。")
            if np.allclose(table, lambda_seed_table("test"), rtol=0, atol=1e-12):
                raise Wrong(
                    "val_table がテストデータでの正解率になっています。λ は検証データ（data.X_val）で選びます。テストデータは選び終わった後に一度だけ使います。"
                )
            if np.allclose(table, lambda_seed_table("train"), rtol=0, atol=1e-12):
                raise Wrong(
                    "val_table が訓練データでの正解率になっています。検証データ（data.X_val）で測ってください。"
                )
            raise Wrong(
                "val_table が、同じシードでやり直した参照の実験と一致しません。"
                "シードごとに data = load_digits(n_train=100, seed=seed) を作り、"
                "train_l2(data, lam, seed) で学習したか確かめてください。"
            )

        answered(best_per_seed, "best_per_seed")
        got = list(np.asarray(best_per_seed, dtype=float).ravel())
        expect(
            len(got) == len(SEEDS),
            f"best_per_seed には、シード 0〜4 の {len(SEEDS)} 個の λ を並べてください（{len(got)} 個あります）。",
        )
        for s, (lam, row) in enumerate(zip(got, ref, strict=True)):
            if any(np.isclose(lam, x, rtol=1e-12, atol=0) for x in _best(row)):
                continue
            col_best = _best(ref.mean(axis=0))
            if any(np.isclose(lam, x, rtol=1e-12, atol=0) for x in col_best) and len(set(got)) == 1:
                raise Wrong(
                    "best_per_seed が、どのシードでも平均で選んだ λ になっています。シードごと（表の行ごと）に最大の λ を選んでください。"
                )
            raise Wrong(
                f"シード {s} の検証正解率が最大の λ は {min(_best(row)):g} です（あなたの答え {lam:g}）。表の行ごとに np.argmax で列を選び、LAMS の値にしてください。"
            )

        answered(best_by_mean, "best_by_mean")
        means = ref.mean(axis=0)
        if not any(np.isclose(float(best_by_mean), x, rtol=1e-12, atol=0) for x in _best(means)):
            raise Wrong(
                f"5 シードの平均が最大の λ は {min(_best(means)):g} です（あなたの答え {float(best_by_mean):g}）。"
                "表の列ごと（axis=0）に平均してから最大を選びます。"
            )

        answered(same_for_all_seeds, "same_for_all_seeds")
        expect(
            isinstance(same_for_all_seeds, bool | np.bool_),
            "same_for_all_seeds は True か False で答えてください。",
        )
        truth = len({min(_best(row)) for row in ref}) == 1
        expect(bool(same_for_all_seeds) == truth, "same_for_all_seeds の結論が、best_per_seed と合いません。")

    grade("演習 3 1 つのシードだけで λ を選んでいたら", test)
