"""第3章の演習の確認（nnreg.exercises.ch03）のテスト。"""

import numpy as np
import pytest

from nnreg.exercises import ExerciseFailed, ch03

# ---- 演習 1（導出） ----


def logit_moments(h, W, b, rate, inverted):
    q = 1 - rate
    s2 = (h**2) @ (W**2)
    if inverted:
        return h @ W + b, s2 * rate / q
    return q * (h @ W) + b, s2 * rate * q


def test_logit_moments_correct(capsys):
    ch03.check_logit_moments(logit_moments)
    out = capsys.readouterr().out
    assert "✔ logit_moments: 正解です" in out and "MC:" in out


def _with(mean=None, var=None):
    def f(h, W, b, p, inv):
        m, v = logit_moments(h, W, b, p, inv)
        return (m if mean is None else mean(h, W, b, p, inv), v if var is None else var(h, W, b, p, inv))

    return f


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (_with(mean=lambda h, W, b, p, inv: h @ W + b), "期待値は q·hW + b"),
        (_with(mean=lambda h, W, b, p, inv: (h @ W) * (1 if inv else 1 - p)), "バイアス b を足し忘れて"),
        (
            _with(var=lambda h, W, b, p, inv: (h**2) @ (W**2) * p / (1 - p)),
            "inverted dropout かどうかで式が違います",
        ),
        (
            _with(var=lambda h, W, b, p, inv: (h @ W) ** 2 * (p / (1 - p) if inv else p * (1 - p))),
            "共分散は 0",
        ),
        (
            _with(var=lambda h, W, b, p, inv: h @ (W**2) * (p / (1 - p) if inv else p * (1 - p))),
            "h_j も 2 乗",
        ),
        (
            _with(var=lambda h, W, b, p, inv: (h**2) @ (W**2) * ((1 - p) / p if inv else p * (1 - p))),
            "取り違えて",
        ),
        (_with(var=lambda h, W, b, p, inv: np.ones(3)), "モンテカルロ推定"),
        (_with(var=lambda h, W, b, p, inv: np.ones(4)), "形が違います"),
    ],
)
def test_logit_moments_wrong(capsys, wrong, hint):
    with pytest.raises(ExerciseFailed):
        ch03.check_logit_moments(wrong)
    assert hint in capsys.readouterr().out


def test_logit_moments_unanswered_and_error(capsys):
    with pytest.raises(ExerciseFailed):
        ch03.check_logit_moments(lambda h, W, b, p, inv: None)
    assert "まだ None" in capsys.readouterr().out

    def stub(h, W, b, p, inv):
        raise NotImplementedError

    with pytest.raises(ExerciseFailed):
        ch03.check_logit_moments(stub)
    assert "まだ実装されていません" in capsys.readouterr().out

    with pytest.raises(ExerciseFailed):
        ch03.check_logit_moments(lambda h, W, b, p, inv: h @ np.ones((7, 7)))
    assert "エラーが起きました: ValueError" in capsys.readouterr().out

    with pytest.raises(ExerciseFailed):
        ch03.check_logit_moments(lambda h, W, b, p, inv: h @ W + b)
    assert "(期待値, 分散)" in capsys.readouterr().out


# ---- 演習 2（実装） ----


def make_forward(mask_rule="right", scale="q", eval_mode="identity"):
    def dropout_forward(x, rate, rng, train=True):
        if not train:
            if eval_mode == "q":
                return x * (1 - rate), None
            return x, None
        u = rng.random(x.shape)
        mask = u >= rate if mask_rule == "right" else u >= 1 - rate
        s = {"q": 1 / (1 - rate), "none": 1.0, "p": 1 / rate}[scale]
        scale_arr = mask * s
        return x * scale_arr, scale_arr

    return dropout_forward


def dropout_backward(dout, cache):
    return dout * cache


def test_dropout_correct(capsys):
    ch03.check_dropout(make_forward(), dropout_backward)
    assert "✔" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("forward", "backward", "hint"),
    [
        (make_forward(scale="none"), dropout_backward, "1/(1-p) 倍するのを忘れて"),
        (make_forward(mask_rule="swapped"), dropout_backward, "「残す確率」として使って"),
        (make_forward(scale="p"), dropout_backward, "1/p ではなく"),
        (make_forward(), lambda dout, cache: dout, "逆伝播でマスクを掛けていません"),
        (make_forward(), lambda dout, cache: dout * (cache > 0), "逆伝播でも 1/(1-p) 倍が要ります"),
        (make_forward(eval_mode="q"), dropout_backward, "q 倍していませんか"),
    ],
)
def test_dropout_wrong(capsys, forward, backward, hint):
    with pytest.raises(ExerciseFailed):
        ch03.check_dropout(forward, backward)
    assert hint in capsys.readouterr().out


def test_dropout_not_a_tuple_and_unanswered(capsys):
    with pytest.raises(ExerciseFailed):
        ch03.check_dropout(lambda x, rate, rng, train=True: x, dropout_backward)
    assert "(out, cache)" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch03.check_dropout(lambda x, rate, rng, train=True: None, dropout_backward)
    assert "まだ None" in capsys.readouterr().out


# ---- 演習 3（調査） ----


@pytest.fixture(scope="module")
def tables():
    return ch03._reference_tables()


def test_rate_study_correct(capsys, tables):
    v = tables["val"]
    best = ch03.RATES[int(np.argmin(v.mean(axis=0)))]
    agree = int(np.sum(np.argmin(v, axis=1) == ch03.RATES.index(best)))
    ch03.check_rate_study(v.copy(), best, agree, _tables=tables)
    assert "正解です" in capsys.readouterr().out


def test_rate_study_reference_is_computed_from_run(tables):
    model, data = ch03.run(0.25, 3)
    from nnreg import SoftmaxCrossEntropy, evaluate

    assert evaluate(model, SoftmaxCrossEntropy(), data.X_val, data.y_val)[0] == tables["val"][3, 1]


@pytest.mark.parametrize(
    ("key", "transpose", "hint"),
    [
        ("test", False, "テストデータの損失で"),
        ("train", False, "訓練データの損失"),
        ("val_acc", False, "正解率ではなく"),
        ("val", True, "行をシード"),
    ],
)
def test_rate_study_wrong_table(capsys, tables, key, transpose, hint):
    v = tables[key].T if transpose else tables[key]
    with pytest.raises(ExerciseFailed):
        ch03.check_rate_study(v, 0.0, 3, _tables=tables)
    assert hint in capsys.readouterr().out


def test_rate_study_wrong_choice(capsys, tables):
    v = tables["val"]
    worst = ch03.RATES[int(np.argmax(v.mean(axis=0)))]
    with pytest.raises(ExerciseFailed):
        ch03.check_rate_study(v, worst, 0, _tables=tables)
    assert "最大" in capsys.readouterr().out
    best = ch03.RATES[int(np.argmin(v.mean(axis=0)))]
    with pytest.raises(ExerciseFailed):
        ch03.check_rate_study(v, best, 99, _tables=tables)
    assert "n_agree が違います" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch03.check_rate_study(None, None, None, _tables=tables)
    assert "まだ None" in capsys.readouterr().out
