"""第1章 演習の確認（nnreg.exercises.ch01）のテスト。正しい答えは通り、よくある間違いはヒントつきで落ちる。"""

import numpy as np
import pytest

from nnreg.curves import turning_point
from nnreg.exercises import ExerciseFailed, ch01


@pytest.fixture(scope="module")
def study():
    runs = [ch01.random_label_run(s) for s in ch01.RANDOM_LABEL_SEEDS]
    return {k: np.array([r[k] for r in runs]) for k in ch01.RANDOM_LABEL_KEYS}


# --- 演習 1（調査） ---------------------------------------------------------


def test_random_label_study_correct(study, capsys):
    ch01.check_random_label_study(study, False, True)
    assert "正解です" in capsys.readouterr().out


def test_random_label_study_conclusions_follow_the_numbers(study):
    assert np.all(study["train_random"] == 1.0) and np.all(study["train_true"] == 1.0)
    assert np.all(study["fit_random"] > study["fit_true"])
    assert np.all(study["val_random"] < 0.2) and np.all(study["val_true"] > 0.7)


def test_random_label_study_wrong_conclusion(study, capsys):
    with pytest.raises(ExerciseFailed):
        ch01.check_random_label_study(study, True, True)
    assert "train_tells_apart の結論が、表の数値と合いません" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch01.check_random_label_study(study, False, False)
    assert "random_slower" in capsys.readouterr().out


def test_random_label_study_test_data_is_named(study, capsys):
    cheat = dict(study)
    runs = [ch01.random_label_run(s, eval_on="test") for s in ch01.RANDOM_LABEL_SEEDS]
    cheat["val_true"] = np.array([r["val_true"] for r in runs])
    with pytest.raises(ExerciseFailed):
        ch01.check_random_label_study(cheat, False, True)
    assert "テストデータ" in capsys.readouterr().out


def test_random_label_study_scored_against_true_labels(study, capsys):
    wrong = dict(study, train_random=np.full(5, 0.1))
    with pytest.raises(ExerciseFailed):
        ch01.check_random_label_study(wrong, False, True)
    assert "でたらめなラベル（y_random）で採点" in capsys.readouterr().out


def test_random_label_study_other_seeds_and_missing(study, capsys):
    with pytest.raises(ExerciseFailed):
        ch01.check_random_label_study(dict(study, fit_true=study["fit_true"] + 1), False, True)
    assert "参照の実験と一致しません" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch01.check_random_label_study({"train_true": [1.0] * 5}, False, True)
    assert "がありません" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch01.check_random_label_study(None, None, None)
    assert "まだ None" in capsys.readouterr().out


# --- 演習 2（導出） ---------------------------------------------------------


def test_noisy_nn_correct(capsys):
    ch01.check_noisy_nn_accuracy(lambda a, p, k: a * (1 - p) + (1 - a) * p / (k - 1))
    out = capsys.readouterr().out
    assert "モンテカルロ法" in out and "正解です" in out


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda a, p, k: a * (1 - p), "たまたま正解のクラス"),
        (lambda a, p, k: a * (1 - p) + (1 - a) * p, "p ではなく p/(K-1)"),
        (lambda a, p, k: a * (1 - p) + (1 - a) * p / k, "K で割っていませんか"),
        (lambda a, p, k: 1 - p, "確率 1-a"),
        (lambda a, p, k: 0.5, "4 通りに分けて"),
    ],
)
def test_noisy_nn_wrong(wrong, hint, capsys):
    with pytest.raises(ExerciseFailed):
        ch01.check_noisy_nn_accuracy(wrong)
    assert hint in capsys.readouterr().out


def test_noisy_nn_unanswered_and_errors(capsys):
    def stub(a, p, k):
        raise NotImplementedError

    with pytest.raises(ExerciseFailed):
        ch01.check_noisy_nn_accuracy(stub)
    assert "まだ実装されていません" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch01.check_noisy_nn_accuracy(lambda a, p, k: None)
    assert "まだ None" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch01.check_noisy_nn_accuracy(lambda a, p, k: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_monte_carlo_agrees_with_formula():
    mc = ch01._monte_carlo_nn(0.8, 0.4, 5, 200_000, np.random.default_rng(0))
    assert abs(mc - ch01.noisy_nn_accuracy_reference(0.8, 0.4, 5)) < 0.005


# --- 演習 3（実装） ---------------------------------------------------------


def _good_tp(values, window):
    v = np.asarray(values, dtype=float)
    k = np.ones(window)
    s = np.convolve(v, k, mode="same") / np.convolve(np.ones_like(v), k, mode="same")
    return int(np.argmin(s)) + 1


def test_turning_point_correct(capsys):
    ch01.check_turning_point(_good_tp)
    ch01.check_turning_point(lambda v, w: turning_point(v, window=w))
    assert "正解です" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (
            lambda v, w: int(np.argmin(np.convolve(v, np.ones(w), mode="same") / w)) + 1,
            "窓に入る点の個数で割り",
        ),
        (lambda v, w: _good_tp(v, w) - 1, "1 始まり"),
        (lambda v, w: int(np.argmin(v)) + 1, "生の値の最小"),
        (lambda v, w: int(np.argmin(np.convolve(v, np.ones(w), mode="valid"))) + 1, "mode='valid'"),
        (lambda v, w: len(v) - int(np.argmin(ch01._centered_mean(np.asarray(v), w)[::-1])), "最初"),
        (lambda v, w: 3, "中心移動平均"),
        (lambda v, w: 2.5, "整数で返して"),
    ],
)
def test_turning_point_wrong(wrong, hint, capsys):
    with pytest.raises(ExerciseFailed):
        ch01.check_turning_point(wrong)
    assert hint in capsys.readouterr().out


def test_turning_point_none(capsys):
    with pytest.raises(ExerciseFailed):
        ch01.check_turning_point(None)
    assert "まだ定義されていません" in capsys.readouterr().out
