import numpy as np
import pytest

from nnreg import checks


def test_check_close_passes_and_fails(capsys):
    checks.check_close(np.array([1.0, 2.0]), [1.0, 2.0], name="x")
    assert "正解" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="一致しません"):
        checks.check_close([1.0, 2.1], [1.0, 2.0])
    with pytest.raises(AssertionError, match="形状"):
        checks.check_close([1.0], [1.0, 2.0])
    with pytest.raises(AssertionError, match="None"):
        checks.check_close(None, [1.0])


def test_check_function():
    checks.check_function(lambda x: 2 * x, lambda x: x + x, [np.ones(3), np.arange(4.0)])
    with pytest.raises(AssertionError, match="1 番目"):
        checks.check_function(lambda x: 3 * x, lambda x: x + x, [np.ones(3)])


def test_check_small_prints_bound_not_value(capsys):
    checks.check_small(np.array([1.7e-15, -2.1e-15]), below=1e-12, name="差")
    out = capsys.readouterr().out
    assert out == "✔ 差: 1e-12 未満\n"
    assert "e-15" not in out
    with pytest.raises(AssertionError, match=r"1e-12 未満ではありません（実際の値 2e-11）"):
        checks.check_small(2e-11, below=1e-12, name="差")
    with pytest.raises(AssertionError):
        checks.check_small(np.nan, below=1.0)
    with pytest.raises(ValueError, match="正の数"):
        checks.check_small(0.0, below=0.0)
    with pytest.raises(ValueError, match="空"):
        checks.check_small([], below=1.0)


def test_check_gradients(capsys):
    checks.check_gradients({"W": 2.3e-10, "b": 7.9e-10}, tol=1e-7, name="Dense")
    assert capsys.readouterr().out == "✔ Dense: 相対誤差はすべて 1e-7 未満（W, b）\n"
    with pytest.raises(AssertionError, match=r"W: 0\.01"):
        checks.check_gradients({"W": 0.01, "b": 1e-10})
    with pytest.raises(AssertionError):
        checks.check_gradients({"W": float("nan")})
    with pytest.raises(ValueError, match="dict"):
        checks.check_gradients({})


def test_check_fact(capsys):
    checks.check_fact(True, "成り立ちません", name="5 シードすべてで 0.8 未満")
    assert capsys.readouterr().out == "✔ 5 シードすべてで 0.8 未満\n"
    with pytest.raises(AssertionError, match="0.8 未満: 0.8 以上のシードがあります"):
        checks.check_fact(False, "0.8 以上のシードがあります", name="0.8 未満")
