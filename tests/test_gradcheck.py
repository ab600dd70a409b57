import numpy as np
import pytest

from nnreg.gradcheck import numerical_gradient, relative_error


def test_numerical_gradient_of_quadratic():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    g = numerical_gradient(lambda v: float(np.sum(v**2)), x)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-8)
    np.testing.assert_array_equal(x, [[1.0, -2.0], [0.5, 3.0]])  # 元に戻っている


def test_numerical_gradient_requires_float64():
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(lambda v: 0.0, np.zeros(3, dtype=np.float32))


def test_relative_error():
    assert relative_error(np.ones(3), np.ones(3)) == 0.0
    assert relative_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(1.0)
    assert relative_error(np.zeros(2), np.zeros(2)) == 0.0
    with pytest.raises(ValueError, match="同じ形状"):
        relative_error(np.zeros(2), np.zeros(3))
