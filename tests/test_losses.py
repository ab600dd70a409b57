import numpy as np
import pytest

import nnreg
from nnreg.gradcheck import numerical_gradient, relative_error


def test_cross_entropy_value_by_hand():
    loss = nnreg.SoftmaxCrossEntropy()
    logits = np.array([[0.0, 0.0], [np.log(3.0), 0.0]])
    # 1 行目: p = 0.5 → -log 0.5。2 行目: ラベル 0 の確率 = 3/4 → -log 0.75
    expected = (-np.log(0.5) - np.log(0.75)) / 2
    assert loss.forward(logits, np.array([1, 0])) == pytest.approx(expected)


def test_cross_entropy_integer_and_onehot_agree(rng):
    z = rng.standard_normal((5, 4))
    t = np.array([0, 3, 1, 2, 3])
    a = nnreg.SoftmaxCrossEntropy().forward(z, t)
    b = nnreg.SoftmaxCrossEntropy().forward(z, np.eye(4)[t])
    assert a == pytest.approx(b)


@pytest.mark.parametrize("target", ["labels", "onehot"])
def test_cross_entropy_gradient(rng, target):
    z = rng.standard_normal((6, 4))
    t = rng.integers(0, 4, size=6)
    if target == "onehot":
        t = np.eye(4)[t]
    loss = nnreg.SoftmaxCrossEntropy()
    loss.forward(z, t)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda z_: nnreg.SoftmaxCrossEntropy().forward(z_, t), z)
    assert relative_error(analytic, numeric) < 1e-6


def test_cross_entropy_stable_for_huge_logits():
    value = nnreg.SoftmaxCrossEntropy().forward(np.array([[1000.0, -1000.0], [0.0, 0.0]]), np.array([0, 1]))
    assert np.isfinite(value)
    assert value == pytest.approx(np.log(2) / 2)


def test_mse_value_and_gradient(rng):
    y = rng.standard_normal((5, 3))
    t = rng.standard_normal((5, 3))
    loss = nnreg.MeanSquaredError()
    assert loss.forward(y, t) == pytest.approx(np.mean((y - t) ** 2))
    analytic = loss.backward()
    numeric = numerical_gradient(lambda y_: nnreg.MeanSquaredError().forward(y_, t), y)
    assert relative_error(analytic, numeric) < 1e-6


def test_mse_accepts_flat_target_for_single_output():
    loss = nnreg.MeanSquaredError()
    assert loss.forward(np.array([[1.0], [3.0]]), np.array([0.0, 1.0])) == pytest.approx(2.5)


@pytest.mark.parametrize(
    ("t", "pattern"),
    [
        (np.array([0, 1, 3]), r"0 以上 3 未満.*0〜3"),
        (np.array([0, -1, 2]), r"0 以上 3 未満"),
        (np.array([[0, 1, 2]]), r"形状 \(3, 3\).*\(1, 3\)"),
        (np.zeros((3, 1, 1), dtype=int), r"形状 \(3,\)"),
        (np.array([0, 1]), r"長さ.*3.*2"),
        (np.array([0.5, 1.0, 2.0]), "整数ラベル"),
    ],
)
def test_cross_entropy_rejects_bad_labels(t, pattern):
    with pytest.raises(ValueError, match=pattern):
        nnreg.SoftmaxCrossEntropy().forward(np.zeros((3, 3)), t)


def test_losses_reject_nan_and_shape_mismatch():
    with pytest.raises(ValueError, match="NaN"):
        nnreg.SoftmaxCrossEntropy().forward(np.array([[np.nan, 0.0]]), np.array([0]))
    with pytest.raises(ValueError, match="同じ形状"):
        nnreg.MeanSquaredError().forward(np.zeros((3, 2)), np.zeros((3, 3)))
