"""第4章の演習の確認（nnreg.exercises.ch04）のテスト。"""

import numpy as np
import pytest

from nnreg.exercises import ExerciseFailed, ch04

# ---- 演習 1（導出） ----


def rms_backward(dy, x, gamma, eps=1e-5):
    r = np.sqrt(np.mean(x**2, axis=1, keepdims=True) + eps)
    xh, g = x / r, dy * gamma
    return (g - xh * np.mean(g * xh, axis=1, keepdims=True)) / r


def _r(x, eps):
    return np.sqrt(np.mean(x**2, axis=1, keepdims=True) + eps)


def test_rms_backward_correct(capsys):
    ch04.check_rms_backward(rms_backward)
    out = capsys.readouterr().out
    assert "✔ rms_norm_backward: 正解です" in out and "1e-7 未満" in out


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda dy, x, g, eps: dy * g / _r(x, eps), "経路"),
        (
            lambda dy, x, g, eps: (
                rms_backward(dy, x, g, eps) - (dy * g).mean(axis=1, keepdims=True) / _r(x, eps)
            ),
            "−mean(g) の項は出てきません",
        ),
        (lambda dy, x, g, eps: rms_backward(dy, x, np.ones_like(g), eps), "γ を掛け忘れて"),
        (lambda dy, x, g, eps: -rms_backward(dy, x, g, eps), "数値微分と比べています"),
        (lambda dy, x, g, eps: rms_backward(dy, x, g, eps).T, "形が違います"),
    ],
)
def test_rms_backward_wrong(capsys, wrong, hint):
    with pytest.raises(ExerciseFailed):
        ch04.check_rms_backward(wrong)
    assert hint in capsys.readouterr().out


def test_rms_backward_unanswered_and_error(capsys):
    with pytest.raises(ExerciseFailed):
        ch04.check_rms_backward(lambda dy, x, g, eps: None)
    assert "まだ None" in capsys.readouterr().out

    def stub(dy, x, g, eps):
        raise NotImplementedError

    with pytest.raises(ExerciseFailed):
        ch04.check_rms_backward(stub)
    assert "まだ実装されていません" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch04.check_rms_backward(lambda dy, x, g, eps: x @ x)
    assert "エラーが起きました" in capsys.readouterr().out


# ---- 演習 2（実装） ----


def make_bn(ddof=0, ddof_run=None, reverse=False, eval_batch=False, no_update=False, update_eval=False):
    ddof_run = ddof if ddof_run is None else ddof_run

    def bn_forward(x, gamma, beta, running, train, momentum=0.9, eps=1e-5):
        a = 1 - momentum if reverse else momentum
        if train or eval_batch:
            mu, var = x.mean(axis=0), x.var(axis=0, ddof=ddof)
        else:
            mu, var = running["mean"], running["var"]
        if (train or update_eval) and not no_update:
            running["mean"] = a * running["mean"] + (1 - a) * x.mean(axis=0)
            running["var"] = a * running["var"] + (1 - a) * x.var(axis=0, ddof=ddof_run)
        return gamma * (x - mu) / np.sqrt(var + eps) + beta

    return bn_forward


def test_bn_forward_correct(capsys):
    ch04.check_bn_forward(make_bn())
    assert "✔ bn_forward: 正解です" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        (dict(ddof=1), "不偏分散"),
        (dict(ddof_run=1), "移動分散の更新に不偏分散"),
        (dict(reverse=True), "momentum の向きが逆"),
        (dict(eval_batch=True), "ミニバッチの統計量を使っていませんか"),
        (dict(no_update=True), "移動平均を更新していません"),
        (dict(update_eval=True), "推論時（train=False）にも移動平均を更新"),
    ],
)
def test_bn_forward_wrong(capsys, kwargs, hint):
    with pytest.raises(ExerciseFailed):
        ch04.check_bn_forward(make_bn(**kwargs))
    assert hint in capsys.readouterr().out


def test_bn_forward_tuple_and_unanswered(capsys):
    right = make_bn()
    with pytest.raises(ExerciseFailed):
        ch04.check_bn_forward(lambda *a: (right(*a), None))
    assert "out だけを返し" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch04.check_bn_forward(lambda *a: None)
    assert "まだ None" in capsys.readouterr().out


# ---- 演習 3（調査） ----


@pytest.fixture(scope="module")
def tables():
    return ch04._reference_tables()


def _best(tables, norm):
    return ch04.SCALES[int(np.argmin(tables[norm, "val"].mean(axis=0)))]


def test_scale_study_correct(capsys, tables):
    args = (tables[None, "val"], tables["batch", "val"], _best(tables, None), _best(tables, "batch"))
    ch04.check_scale_study(*args, _tables=tables)
    assert "正解です" in capsys.readouterr().out


def test_scale_study_reference_is_computed_from_run(tables):
    from nnreg import SoftmaxCrossEntropy, evaluate
    from nnreg.datasets import load_digits

    data = load_digits(n_train=200, seed=0)
    model = ch04.run("batch", 0.3, 2)
    assert evaluate(model, SoftmaxCrossEntropy(), data.X_val, data.y_val)[0] == tables["batch", "val"][1, 1]


@pytest.mark.parametrize(
    ("which", "key", "hint"),
    [
        ("none", "test", "テストデータの損失で"),
        ("bn", "train", "訓練データの損失"),
        ("bn", "val_acc", "正解率ではなく"),
        ("swap", "val", "もう一方"),
        ("transpose", "val", "行をシード"),
    ],
)
def test_scale_study_wrong_table(capsys, tables, which, key, hint):
    vn, vb = tables[None, "val"], tables["batch", "val"]
    if which == "none":
        vn = tables[None, key]
    elif which == "bn":
        vb = tables["batch", key]
    elif which == "swap":
        vn, vb = vb, vn
    else:
        vn = vn.T
    with pytest.raises(ExerciseFailed):
        ch04.check_scale_study(vn, vb, 1.0, 0.3, _tables=tables)
    assert hint in capsys.readouterr().out


def test_scale_study_wrong_choice(capsys, tables):
    vn, vb = tables[None, "val"], tables["batch", "val"]
    worst = ch04.SCALES[int(np.argmax(vn.mean(axis=0)))]
    with pytest.raises(ExerciseFailed):
        ch04.check_scale_study(vn, vb, worst, _best(tables, "batch"), _tables=tables)
    assert "最大" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch04.check_scale_study(vn, vb, _best(tables, None), _best(tables, None), _tables=tables)
    assert "best_bn は" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch04.check_scale_study(None, vb, 1.0, 0.3, _tables=tables)
    assert "まだ None" in capsys.readouterr().out
