import numpy as np
import pytest

from nnreg.exercises import ExerciseFailed, Wrong, answered, call, expect, expect_close, grade


def test_grade_prints_correct(capsys):
    assert grade("問1", lambda: expect_close(np.ones(3), np.ones(3), name="x")) is True
    assert "✔ 問1: 正解です" in capsys.readouterr().out


def test_grade_names_shape_mismatch(capsys):
    with pytest.raises(ExerciseFailed):
        grade("問1", lambda: expect_close(np.ones((3, 1)), np.ones(3), name="x"))
    out = capsys.readouterr().out
    assert "形が違います" in out and "(3,)" in out and "(3, 1)" in out


def test_grade_reports_unanswered_and_not_implemented(capsys):
    with pytest.raises(ExerciseFailed):
        grade("問1", lambda: answered(None, "g_num"))
    assert "まだ None" in capsys.readouterr().out

    def stub(x):
        raise NotImplementedError

    with pytest.raises(ExerciseFailed):
        grade("問2", lambda: call(stub, 1))
    assert "まだ実装されていません" in capsys.readouterr().out


def test_student_exception_is_reported_not_raised_as_is(capsys):
    def broken(x):
        return x @ np.ones((5, 5))

    with pytest.raises(ExerciseFailed) as info:
        grade("問3", lambda: call(broken, np.ones((2, 3))))
    out = capsys.readouterr().out
    assert "あなたの関数 でエラーが起きました: ValueError" in out
    assert info.value._render_traceback_() == ["✘ 問3: あなたのコードでエラー"]


def test_wrong_answer_shows_hint(capsys):
    with pytest.raises(ExerciseFailed):
        grade("問4", lambda: expect(False, "1/(1-p) を掛け忘れていませんか"))
    assert "1/(1-p) を掛け忘れていませんか" in capsys.readouterr().out


def test_exercise_failed_is_an_assertion_error_for_nbgrader():
    assert issubclass(ExerciseFailed, AssertionError)
    assert issubclass(Wrong, Exception)


def test_is_close_compares_shape_finiteness_and_values():
    from nnreg.exercises import is_close

    assert is_close([1.0, 2.0], np.array([1.0, 2.0]))
    assert not is_close(np.ones((2, 1)), np.ones(2))
    assert not is_close([np.nan], [np.nan])
    assert not is_close("abc", [1.0])
    assert not is_close([1.0], [1.1])
