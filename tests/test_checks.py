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
