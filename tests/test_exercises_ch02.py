"""第2章 演習の確認（nnreg.exercises.ch02）のテスト。正しい答えは通り、よくある間違いはヒントつきで落ちる。"""

import numpy as np
import pytest

import nnreg
from nnreg.exercises import ExerciseFailed, ch02
from nnreg.regularizers import is_weight

# --- 演習 1（導出） ---------------------------------------------------------


def _variant(change):
    def f(W, b, X, t, lam):
        loss, dW, db = ch02.softmax_half_l2_reference(W, b, X, t, lam)
        return change(loss, dW, db, W, b, lam, X.shape[0])

    return f


def test_softmax_half_l2_correct(capsys):
    ch02.check_softmax_half_l2(ch02.softmax_half_l2_reference)
    assert "正解です" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        (lambda L, dW, db, W, b, lam, n: (L, dW + lam * W, db), "勾配は λW です（2λW になっています）"),
        (lambda L, dW, db, W, b, lam, n: (L, dW - lam * W, db), "λW を足し忘れて"),
        (lambda L, dW, db, W, b, lam, n: (L, dW, db + lam * b), "バイアスまで減衰させていませんか"),
        (lambda L, dW, db, W, b, lam, n: (L, (dW - lam * W) * n + lam * W, db), "和になっていませんか"),
        (lambda L, dW, db, W, b, lam, n: (L, dW, db * n), "和になっていませんか"),
        (lambda L, dW, db, W, b, lam, n: (L + 0.5 * lam * np.sum(W * W), dW, db), "λΣW² になっています"),
        (lambda L, dW, db, W, b, lam, n: (L - 0.5 * lam * np.sum(W * W), dW, db), "足し忘れていませんか"),
        (lambda L, dW, db, W, b, lam, n: (L, dW.T, db), "形が違います"),
        (lambda L, dW, db, W, b, lam, n: (L, dW), "3 つを返して"),
        (lambda L, dW, db, W, b, lam, n: (L, dW * 1.1, db), "Xᵀ(P - Y)/N"),
    ],
)
def test_softmax_half_l2_wrong(change, hint, capsys):
    with pytest.raises(ExerciseFailed):
        ch02.check_softmax_half_l2(_variant(change))
    assert hint in capsys.readouterr().out


def test_softmax_half_l2_unanswered_and_error(capsys):
    with pytest.raises(ExerciseFailed):
        ch02.check_softmax_half_l2(lambda W, b, X, t, lam: None)
    assert "まだ None" in capsys.readouterr().out

    def broken(W, b, X, t, lam):
        return X @ X

    with pytest.raises(ExerciseFailed):
        ch02.check_softmax_half_l2(broken)
    assert "ValueError" in capsys.readouterr().out


# --- 演習 2（実装） ---------------------------------------------------------


def good_adamw(params, grads, state, lr, weight_decay, beta1=0.9, beta2=0.999, eps=1e-8):
    new = {}
    for k, w in params.items():
        g = grads[k]
        if is_weight(k):
            w = w - lr * weight_decay * w
        s = state.setdefault(k, {"m": np.zeros_like(w), "v": np.zeros_like(w), "t": 0})
        s["t"] += 1
        s["m"] = beta1 * s["m"] + (1 - beta1) * g
        s["v"] = beta2 * s["v"] + (1 - beta2) * g * g
        m_hat = s["m"] / (1 - beta1 ** s["t"])
        v_hat = s["v"] / (1 - beta2 ** s["t"])
        new[k] = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return new


def test_adamw_reference_matches_nnreg():
    rng = np.random.default_rng(0)
    params = {"0.W": rng.standard_normal((3, 2)), "0.b": rng.standard_normal(2)}
    seq = [{k: rng.standard_normal(v.shape) for k, v in params.items()} for _ in range(4)]
    ref = {k: v.copy() for k, v in params.items()}
    opt = nnreg.AdamW(lr=0.1, weight_decay=0.3)
    for g in seq:
        opt.step(ref, {k: v.copy() for k, v in g.items()})
    mine = ch02.adamw_reference(params, seq, 0.1, 0.3)
    for k in params:
        np.testing.assert_allclose(mine[k], ref[k], rtol=1e-13, atol=1e-15)


def test_adamw_correct(capsys):
    ch02.check_adamw_step(good_adamw)
    assert "正解です" in capsys.readouterr().out


def _from_reference(**flags):
    def f(params, grads, state, lr, weight_decay):
        state.setdefault("seq", []).append(grads)
        state.setdefault("p0", params)
        return ch02.adamw_reference(state["p0"], state["seq"], lr, weight_decay, **flags)

    return f


@pytest.mark.parametrize(
    ("flags", "hint"),
    [
        ({"decay_bias": True}, "バイアスまで減衰させていませんか"),
        ({"coupled": True}, "Adam + L2正則化"),
        ({"bias_correction": False}, "バイアス補正"),
        ({"decay_after": True}, "更新の **前の** W"),
        ({"keep_state": False}, "state に残して"),
        ({"beta1": 0.8}, "nnreg.AdamW と一致しません"),
    ],
)
def test_adamw_wrong(flags, hint, capsys):
    with pytest.raises(ExerciseFailed):
        ch02.check_adamw_step(_from_reference(**flags))
    assert hint in capsys.readouterr().out


def test_adamw_unanswered_and_bad_return(capsys):
    with pytest.raises(ExerciseFailed):
        ch02.check_adamw_step(lambda params, grads, state, lr, weight_decay: None)
    assert "まだ None" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch02.check_adamw_step(lambda params, grads, state, lr, weight_decay: {"0.W": params["0.W"]})
    assert "同じキー" in capsys.readouterr().out


# --- 演習 3（調査） ---------------------------------------------------------


@pytest.fixture(scope="module")
def answer():
    from nnreg.datasets import load_digits

    table = []
    for s in ch02.SEEDS:
        data = load_digits(n_train=100, seed=s)
        row = []
        for lam in ch02.LAMS:
            model = ch02.train_l2(data, lam, s)
            row.append(nnreg.accuracy(model.predict(data.X_val), data.y_val))
        table.append(row)
    table = np.array(table)
    per_seed = [ch02.LAMS[i] for i in np.argmax(table, axis=1)]
    by_mean = ch02.LAMS[int(np.argmax(table.mean(axis=0)))]
    return table, per_seed, by_mean, len(set(per_seed)) == 1


def test_lambda_seeds_correct(answer, capsys):
    ch02.check_lambda_seeds(*answer)
    assert "正解です" in capsys.readouterr().out


def test_lambda_seeds_choice_depends_on_seed(answer):
    assert answer[3] is False  # 本文（演習の解説）の結論: シードで選ぶ λ が変わる


@pytest.mark.parametrize(
    ("mutate", "hint"),
    [
        (lambda a: (ch02.lambda_seed_table("test"), *a[1:]), "テストデータ"),
        (lambda a: (ch02.lambda_seed_table("train"), *a[1:]), "訓練データ"),
        (lambda a: (a[0].T, *a[1:]), "転置"),
        (lambda a: (a[0][:3], *a[1:]), "形が違います"),
        (lambda a: (a[0] + 0.01, *a[1:]), "参照の実験と一致しません"),
        (lambda a: (a[0], [a[2]] * 5, a[2], a[3]), "シードごと（表の行ごと）"),
        (lambda a: (a[0], a[1][:4], a[2], a[3]), "5 個の λ"),
        (lambda a: (a[0], a[1], 0.03, a[3]), "列ごと（axis=0）"),
        (lambda a: (a[0], a[1], a[2], not a[3]), "same_for_all_seeds の結論"),
        (lambda a: (a[0], a[1], a[2], None), "まだ None"),
    ],
)
def test_lambda_seeds_wrong(answer, mutate, hint, capsys):
    with pytest.raises(ExerciseFailed):
        ch02.check_lambda_seeds(*mutate(answer))
    assert hint in capsys.readouterr().out
