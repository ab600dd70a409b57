"""第9章 総合演習: 課題（nnreg.capstone）と、その確認（nnreg.exercises.ch09）のテスト。"""

import numpy as np
import pytest

import nnreg
from nnreg import capstone
from nnreg.exercises import ExerciseFailed, ch09

# 速く済ませるため、エポック数だけが違う 2 つの設定（短いほうは明らかに検証の成績が悪い）
SHORT = {"epochs": 2}
LONG = {"epochs": 40}


@pytest.fixture
def task():
    return capstone.load_task()


def _submit(task, *, seeds=range(5), choose=None, test_first=False, test_twice=False, train=None):
    """手順どおりの提出を作り、引数でよくある間違いを 1 つだけ混ぜます。"""
    train = train or capstone.reference_pipeline(task)
    task.compare(train, {"短い": SHORT, "長い": LONG}, seeds=seeds)
    if test_first:
        task.evaluate_test(train(SHORT, 0))
    config = task.choose(choose or task.best())
    if not test_first:
        task.evaluate_test(train(config, 0))
    if test_twice:
        with pytest.raises(capstone.TestSetAlreadyUsed):
            task.evaluate_test(train(config, 1))
    return train


def test_task_splits_are_deterministic_and_have_the_stated_problems():
    a, b = capstone.load_task(), capstone.load_task()
    for name in ("X_train", "y_train", "X_val", "y_val", "_X_test", "_y_test"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert len(a.y_train) == capstone.N_TRAIN and np.bincount(a.y_train, minlength=10).min() > 0
    clean = nnreg.datasets.load_digits(n_train=capstone.N_TRAIN, seed=capstone.TASK_SEED)
    np.testing.assert_array_equal(a.X_train, clean.X_train)  # 訓練の画像はずらさない
    noise = np.mean(a.y_train != clean.y_train)
    assert 0.1 < noise < 0.3  # ラベルの約 20 % が誤り
    np.testing.assert_array_equal(a.y_val, clean.y_val)  # 検証・テストのラベルは正しい
    shifted = np.mean(np.any(a.X_val != clean.X_val, axis=1))
    assert 0.2 < shifted < 0.4  # 検証の画像の約 30 % が 1 画素ずれている
    assert capstone.load_task(seed=3).y_val.tolist() != a.y_val.tolist()


def test_test_set_can_be_evaluated_once_and_second_call_is_recorded(task):
    model = capstone.reference_pipeline(task)(SHORT, 0)
    acc = task.evaluate_test(model)
    assert 0.0 <= acc <= 1.0 and task.test_accuracy == acc
    with pytest.raises(capstone.TestSetAlreadyUsed, match="テストデータはもう評価しました"):
        task.evaluate_test(model)
    assert task.test_attempts == 2 and task.test_accuracy == acc
    assert [k for k, _ in task.events] == ["test", "test-again"]


def test_compare_records_table_and_choose_requires_a_compared_config(task):
    train = capstone.reference_pipeline(task)
    table = task.compare(train, {"短い": SHORT, "長い": LONG}, seeds=range(5))
    assert "検証の正解率" in table and "短い" in table and " ± " in table
    assert task.best() == "長い" and task.comparisons["長い"].seeds == (0, 1, 2, 3, 4)
    assert task.table().splitlines()[1].startswith("長い")
    with pytest.raises(ValueError, match="まだ比べていません"):
        task.choose("L2")
    assert task.choose("長い") == LONG and task.choice == "長い"


def test_every_check_passes_on_a_correct_submission(task, capsys):
    train = _submit(task)
    ch09.check_pipeline(train, task)
    ch09.check_seeds(task)
    ch09.check_choice(task)
    ch09.check_test_once(task)
    out = capsys.readouterr().out
    assert out.count("正解です") == 4


def test_reach_passes_for_the_reference_configuration_and_not_for_a_weak_one(task, capsys):
    train = capstone.reference_pipeline(task)
    task.compare(train, {"講師の解答": capstone.REFERENCE_CONFIG}, seeds=range(5))
    task.evaluate_test(train(task.choose("講師の解答"), 0))
    ch09.check_reach(task)
    assert "✔ 基準への到達" in capsys.readouterr().out

    weak = capstone.load_task()
    _submit(weak, choose="短い")  # 1 つも比べ直さずに短い学習で提出
    ch09.check_reach(weak, strict=False)  # 本のページの呼び方: 表示するだけで例外は出さない
    out = capsys.readouterr().out
    assert "まだ基準に届いていません" in out and "基準 = 講師の解答のテスト" in out
    with pytest.raises(ExerciseFailed):
        ch09.check_reach(weak)
    assert "まだ基準に届いていません" in capsys.readouterr().out


def test_reach_is_strict_under_grading_even_if_the_page_says_strict_false(task, monkeypatch, capsys):
    _submit(task, choose="短い")
    monkeypatch.setenv("NNREG_GRADING", "1")
    with pytest.raises(ExerciseFailed):
        ch09.check_reach(task, strict=False)


def test_reference_margin_comes_from_the_seed_spread():
    ref = capstone.reference()
    assert len(ref.test_acc) == 5 and ref.config == capstone.REFERENCE_CONFIG
    assert ref.margin == max(capstone.MARGIN_SDS * ref.test_sd, capstone.MIN_MARGIN)
    assert ref.threshold < ref.test_mean and ref.test_mean > 0.7
    assert capstone.reference() is ref  # 同じプロセスではキャッシュを使い回す


def test_check_choice_fails_when_chosen_after_looking_at_test(task, capsys):
    _submit(task, test_first=True)  # テストを見てから選んだ
    with pytest.raises(ExerciseFailed):
        ch09.check_choice(task)
    assert "テストデータを評価した後で、設定を選んでいます" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch09.check_test_once(task)
    assert "設定を選ぶ前に評価しています" in capsys.readouterr().out


def test_check_choice_fails_when_choice_is_not_best_on_validation(task, capsys):
    _submit(task, choose="短い")
    with pytest.raises(ExerciseFailed):
        ch09.check_choice(task)
    assert "1 標準誤差" in capsys.readouterr().out


def test_check_seeds_fails_with_fewer_than_five_seeds(task, capsys):
    _submit(task, seeds=range(3))
    with pytest.raises(ExerciseFailed):
        ch09.check_seeds(task)
    out = capsys.readouterr().out
    assert "シードが 5 つ未満の設定があります" in out and "（3 シード）" in out


def test_check_test_once_fails_when_test_evaluated_twice(task, capsys):
    _submit(task, test_twice=True)
    with pytest.raises(ExerciseFailed):
        ch09.check_test_once(task)
    assert "テストデータを 2 回評価しようとしました" in capsys.readouterr().out


def test_check_pipeline_fails_for_a_non_deterministic_pipeline(task, capsys):
    def train(config, seed):
        rng = np.random.default_rng()  # シードを使っていない
        model = nnreg.mlp((64, 16, 10), rng=rng)
        nnreg.fit(model, nnreg.SoftmaxCrossEntropy(), nnreg.SGD(lr=0.1), task.X_train, task.y_train,
                  epochs=1, batch_size=50, rng=rng)  # fmt: skip
        return model

    task.compare(train, {"ベースライン": {}}, seeds=range(5))
    with pytest.raises(ExerciseFailed):
        ch09.check_pipeline(train, task)
    assert "同じシードで 2 回学習したのに、予測が変わりました" in capsys.readouterr().out


def test_checks_report_missing_steps_without_crashing(task, capsys):
    for check in (ch09.check_seeds, ch09.check_choice, ch09.check_test_once):
        with pytest.raises(ExerciseFailed):
            check(task)
    with pytest.raises(ExerciseFailed):
        ch09.check_pipeline(None, task)
    out = capsys.readouterr().out
    assert "まだ何も比べていません" in out and "まだ設定を選んでいません" in out
    assert "まだテストデータを評価していません" in out
