import numpy as np
import pytest

import nnreg


def _pg():
    return {"0.W": np.array([1.0, -2.0]), "0.b": np.array([0.5])}, {
        "0.W": np.array([0.5, 0.25]),
        "0.b": np.array([-1.0]),
    }


def test_sgd_one_step_by_hand():
    p, g = _pg()
    w = p["0.W"]
    nnreg.SGD(lr=0.1).step(p, g)
    assert p["0.W"] is w  # その場で更新
    np.testing.assert_allclose(p["0.W"], [1.0 - 0.05, -2.0 - 0.025])
    np.testing.assert_allclose(p["0.b"], [0.6])


def test_momentum_two_steps_by_hand():
    p, g = _pg()
    opt = nnreg.Momentum(lr=0.1, momentum=0.9)
    opt.step(p, g)  # v = -0.1 g
    np.testing.assert_allclose(p["0.W"], [0.95, -2.025])
    opt.step(p, g)  # v = 0.9*(-0.1 g) - 0.1 g = -0.19 g
    np.testing.assert_allclose(p["0.W"], [0.95 - 0.095, -2.025 - 0.0475])
    assert set(opt.state) == {"0.W", "0.b"}


def test_adam_two_steps_by_hand():
    p = {"w": np.array([1.0])}
    opt = nnreg.Adam(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    opt.step(p, {"w": np.array([2.0])})
    # t=1: m=0.2, v=0.004, m̂=2, v̂=4 → 更新量 0.1*2/(2+1e-8)
    np.testing.assert_allclose(p["w"], [1.0 - 0.1 * 2 / (2 + 1e-8)], rtol=1e-12)
    opt.step(p, {"w": np.array([-1.0])})
    m = 0.9 * 0.2 + 0.1 * -1.0  # 0.08
    v = 0.999 * 0.004 + 0.001 * 1.0  # 0.004996
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    expected = 1.0 - 0.1 * 2 / (2 + 1e-8) - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8)
    np.testing.assert_allclose(p["w"], [expected], rtol=1e-12)


def test_adam_state_is_per_key_and_lazy():
    opt = nnreg.Adam(lr=0.1)
    a = {"a": np.array([1.0])}
    opt.step(a, {"a": np.array([1.0])})
    opt.step(a, {"a": np.array([1.0])})
    b = {"b": np.array([1.0])}
    opt.step(b, {"b": np.array([1.0])})
    assert int(opt.state["a"]["t"]) == 2
    assert int(opt.state["b"]["t"]) == 1  # 新しいキーはバイアス補正を 1 から
    np.testing.assert_allclose(b["b"], [1.0 - 0.1], rtol=1e-6)


def test_adagrad_and_rmsprop_one_step_by_hand():
    p = {"w": np.array([1.0, 1.0])}
    nnreg.AdaGrad(lr=0.5, eps=0.0 + 1e-8).step(p, {"w": np.array([2.0, -4.0])})
    np.testing.assert_allclose(p["w"], [0.5, 1.5], rtol=1e-7)
    p = {"w": np.array([1.0])}
    nnreg.RMSprop(lr=0.1, rho=0.9, eps=1e-8).step(p, {"w": np.array([3.0])})
    np.testing.assert_allclose(p["w"], [1.0 - 0.1 * 3.0 / (np.sqrt(0.9) + 1e-8)], rtol=1e-12)


def test_adamw_decays_weights_only_by_hand():
    p = {"0.W": np.array([2.0]), "0.b": np.array([2.0])}
    g = {"0.W": np.array([1.0]), "0.b": np.array([1.0])}
    nnreg.AdamW(lr=0.1, weight_decay=0.5).step(p, g)
    adam_move = 0.1 * 1.0 / (1.0 + 1e-8)
    np.testing.assert_allclose(p["0.W"], [2.0 - 0.1 * 0.5 * 2.0 - adam_move], rtol=1e-12)
    np.testing.assert_allclose(p["0.b"], [2.0 - adam_move], rtol=1e-12)


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "0.1"])
@pytest.mark.parametrize("cls", [nnreg.SGD, nnreg.Momentum, nnreg.Adam, nnreg.AdamW])
def test_bad_learning_rate_rejected(cls, lr):
    with pytest.raises(ValueError, match="lr"):
        cls(lr=lr)


def test_step_rejects_mismatched_grads():
    with pytest.raises(ValueError, match="キー"):
        nnreg.SGD(0.1).step({"w": np.zeros(2)}, {})
    with pytest.raises(ValueError, match=r"形状 \(2,\)"):
        nnreg.SGD(0.1).step({"w": np.zeros(2)}, {"w": np.zeros(3)})


def test_bad_hyperparameters_rejected():
    with pytest.raises(ValueError, match="momentum"):
        nnreg.Momentum(0.1, momentum=1.0)
    with pytest.raises(ValueError, match="beta1"):
        nnreg.Adam(beta1=1.5)
    with pytest.raises(ValueError, match="weight_decay"):
        nnreg.AdamW(weight_decay=-1)
