"""第2章: L2/L1 正則化、重み減衰の更新式、AdamW、近接勾配法（ソフトしきい値処理）。"""

import numpy as np
import pytest

import nnreg
from nnreg.gradcheck import check_model
from nnreg.optimizers import ProximalSGD
from nnreg.regularizers import L1, L2, WeightNormRecorder, is_weight, soft_threshold, weight_norm


def _params():
    return {
        "0.W": np.array([[1.0, -2.0], [0.5, 0.0]]),
        "0.b": np.array([3.0, -4.0]),
        "2.gamma": np.array([5.0]),
        "2.beta": np.array([-6.0]),
        "W": np.array([-1.5]),
    }


def _tiny_model(rng, sizes=(4, 5, 3)):
    return nnreg.mlp(sizes, rng=rng, activation=nnreg.Tanh)


def test_is_weight_uses_last_name_component():
    assert is_weight("0.W") and is_weight("W") and is_weight("block.3.W")
    for key in ["0.b", "2.gamma", "2.beta", "0.Wx", "W.b", "w"]:
        assert not is_weight(key), key


def test_l2_penalty_and_grad_by_hand_weights_only():
    p = _params()
    reg = L2(0.1)
    # 重みだけ: 1 + 4 + 0.25 + 0 + 2.25 = 7.5（b, gamma, beta の 9+16+25+36 は含めない）
    assert reg.penalty(p) == pytest.approx(0.1 * 7.5, rel=1e-15)
    g = reg.grad(p)
    assert set(g) == {"0.W", "W"}
    np.testing.assert_array_equal(g["0.W"], 2 * 0.1 * p["0.W"])
    np.testing.assert_array_equal(g["W"], [2 * 0.1 * -1.5])


def test_l1_penalty_and_subgradient_by_hand():
    p = _params()
    reg = L1(0.1)
    assert reg.penalty(p) == pytest.approx(0.1 * (1 + 2 + 0.5 + 0 + 1.5), rel=1e-15)
    g = reg.grad(p)
    assert set(g) == {"0.W", "W"}
    # W = 0 の劣勾配は 0（[-λ, λ] の中から 0 を選ぶ）。NaN にならない。
    np.testing.assert_array_equal(g["0.W"], [[0.1, -0.1], [0.1, 0.0]])
    np.testing.assert_array_equal(g["W"], [-0.1])


def test_weight_norm_excludes_biases():
    assert weight_norm(_params()) == pytest.approx(np.sqrt(7.5), rel=1e-15)


@pytest.mark.parametrize("cls", [L2, L1])
@pytest.mark.parametrize("lam", [-0.1, -1e-12, float("nan"), float("inf"), "0.1", None, True])
def test_bad_lam_rejected(cls, lam):
    with pytest.raises(ValueError, match="lam"):
        cls(lam)


@pytest.mark.parametrize("cls", [L2, L1])
def test_zero_lam_is_no_op(cls):
    p = _params()
    reg = cls(0.0)
    assert reg.penalty(p) == 0.0
    assert all(np.all(g == 0) for g in reg.grad(p).values())


@pytest.mark.parametrize("reg", [L2(0.3), L1(0.05)], ids=["L2", "L1"])
def test_gradient_check_of_loss_plus_penalty(rng, reg):
    model = _tiny_model(rng)
    x = rng.standard_normal((6, 4))
    t = rng.integers(0, 3, size=6)
    errors = check_model(model, nnreg.SoftmaxCrossEntropy(), x, t, regularizer=reg)
    assert max(errors.values()) < 1e-7, errors
    # 正則化項の勾配が無視できない大きさであること（足し忘れたら上の誤差が大きくなる）
    assert np.max(np.abs(reg.grad(model.parameters())["0.W"])) > 1e-2


def test_biases_get_no_penalty_gradient(rng):
    model = _tiny_model(rng)
    g = L2(1.0).grad(model.parameters())
    assert set(g) == {"0.W", "2.W"}


def test_one_sgd_step_is_weight_decay_identity(rng):
    """W ← W - η(∂L0/∂W + 2λW) は (1 - 2ηλ)W - η ∂L0/∂W と一致する（バイアスは減衰しない）。"""
    eta, lam = 0.1, 0.05
    model = _tiny_model(rng)
    x = rng.standard_normal((8, 4))
    t = rng.integers(0, 3, size=8)
    loss = nnreg.SoftmaxCrossEntropy()
    loss.forward(model.forward(x), t)
    model.backward(loss.backward())
    before = {k: v.copy() for k, v in model.parameters().items()}
    dL0 = {k: g.copy() for k, g in model.gradients().items()}

    hist = nnreg.fit(
        model, loss, nnreg.SGD(eta), x, t, epochs=1, batch_size=len(t), regularizer=L2(lam), rng=rng
    )
    after = model.parameters()
    for k in before:
        if is_weight(k):
            expected = (1 - 2 * eta * lam) * before[k] - eta * dL0[k]
        else:
            expected = before[k] - eta * dL0[k]
        np.testing.assert_allclose(after[k], expected, rtol=1e-12, atol=1e-15)
    # fit が報告する損失 = L0 + 正則化項（更新前のパラメータで計算）
    assert hist.penalty[0] == pytest.approx(L2(lam).penalty(before), rel=1e-12)


def test_fit_reports_penalty_in_train_loss(rng):
    model = _tiny_model(rng)
    x = rng.standard_normal((10, 4))
    t = rng.integers(0, 3, size=10)
    before = {k: v.copy() for k, v in model.parameters().items()}
    l0 = nnreg.SoftmaxCrossEntropy().forward(model.forward(x), t)
    reg = L2(0.2)
    hist = nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.SGD(1e-3),
        x,
        t,
        epochs=1,
        batch_size=10,
        regularizer=reg,
        rng=rng,
    )
    assert hist.penalty[0] == pytest.approx(reg.penalty(before), rel=1e-12)
    assert hist.train_loss[0] == pytest.approx(l0 + reg.penalty(before), rel=1e-12)
    hist0 = nnreg.fit(
        model, nnreg.SoftmaxCrossEntropy(), nnreg.SGD(1e-3), x, t, epochs=1, batch_size=10, rng=rng
    )
    assert hist0.penalty == [0.0]


@pytest.mark.parametrize(
    ("two_eta_lam", "behaviour"),
    [(0.2, "shrink"), (1.5, "flip"), (2.5, "diverge")],
)
def test_decay_factor_behaviour(two_eta_lam, behaviour):
    """L0 の勾配が 0 なら W_k = (1 - 2ηλ)^k W_0。縮むのは 0 < 2ηλ < 1 のときだけ。"""
    eta = 0.5
    lam = two_eta_lam / (2 * eta)
    p = {"W": np.array([1.0])}
    reg, opt = L2(lam), nnreg.SGD(eta)
    traj = []
    for _ in range(6):
        opt.step(p, reg.grad(p))
        traj.append(p["W"][0])
    traj = np.array(traj)
    np.testing.assert_allclose(traj, (1 - two_eta_lam) ** np.arange(1, 7), rtol=1e-12)
    if behaviour == "shrink":
        assert np.all(traj > 0) and np.all(np.diff(traj) < 0)
    elif behaviour == "flip":
        assert np.all(traj[::2] < 0) and np.all(traj[1::2] > 0) and abs(traj[-1]) < 1
    else:
        assert abs(traj[-1]) > 1


def test_adamw_two_steps_by_hand():
    lr, wd, b1, b2, eps = 0.1, 0.5, 0.9, 0.999, 1e-8
    p = {"0.W": np.array([2.0, -1.0]), "0.b": np.array([2.0])}
    opt = nnreg.AdamW(lr=lr, beta1=b1, beta2=b2, eps=eps, weight_decay=wd)
    g1 = {"0.W": np.array([1.0, 0.0]), "0.b": np.array([1.0])}
    g2 = {"0.W": np.array([-2.0, 3.0]), "0.b": np.array([1.0])}
    opt.step(p, g1)
    opt.step(p, g2)

    w = np.array([2.0, -1.0])
    m = np.zeros(2)
    v = np.zeros(2)
    for t, g in enumerate([g1["0.W"], g2["0.W"]], start=1):
        w = w - lr * wd * w  # 減衰を先に（勾配とは切り離して）
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    np.testing.assert_allclose(p["0.W"], w, rtol=1e-12)
    # 勾配が 0 なら Adam の更新量も 0 で、減衰 (1 - lr·wd) 倍だけが残る
    q = {"0.W": np.array([-1.0])}
    nnreg.AdamW(lr=lr, weight_decay=wd).step(q, {"0.W": np.array([0.0])})
    np.testing.assert_allclose(q["0.W"], [-1.0 * (1 - lr * wd)], rtol=1e-12)


def test_adamw_with_zero_decay_equals_adam(rng):
    p1 = {"0.W": rng.standard_normal((3, 2)), "0.b": rng.standard_normal(2)}
    p2 = {k: v.copy() for k, v in p1.items()}
    a, b = nnreg.Adam(lr=0.01), nnreg.AdamW(lr=0.01, weight_decay=0.0)
    for _ in range(3):
        g = {k: rng.standard_normal(v.shape) for k, v in p1.items()}
        a.step(p1, g)
        b.step(p2, {k: x.copy() for k, x in g.items()})
    for k in p1:
        np.testing.assert_array_equal(p1[k], p2[k])


def test_adam_plus_l2_is_not_adamw():
    """Adam の L2 勾配は √v̂ で割られる: 勾配が 0 の重みは λ によらずほぼ lr ずつ動く。"""
    lr, lam = 0.01, 1e-3
    p_l2 = {"W": np.array([1.0])}
    p_w = {"W": np.array([1.0])}
    adam, adamw = nnreg.Adam(lr=lr), nnreg.AdamW(lr=lr, weight_decay=2 * lam)
    for _ in range(10):
        adam.step(p_l2, L2(lam).grad(p_l2))
        adamw.step(p_w, {"W": np.zeros(1)})
    np.testing.assert_allclose(p_w["W"], [(1 - lr * 2 * lam) ** 10], rtol=1e-12)
    assert p_l2["W"][0] < 1 - 9 * lr  # 1 ステップあたり ~lr 縮む（AdamW は 2e-5 だけ）


def test_soft_threshold_by_hand_and_is_prox():
    v = np.array([-3.0, -0.5, 0.0, 0.2, 1.0, 2.5])
    np.testing.assert_array_equal(soft_threshold(v, 1.0), [-2.0, 0.0, 0.0, 0.0, 0.0, 1.5])
    # 近接写像の定義 argmin_x ½(x - v)² + t|x| を格子上の全探索と比べる
    grid = np.linspace(-4, 4, 80001)
    for vi in v:
        obj = 0.5 * (grid - vi) ** 2 + 1.0 * np.abs(grid)
        assert soft_threshold(np.array([vi]), 1.0)[0] == pytest.approx(grid[np.argmin(obj)], abs=1e-4)
    with pytest.raises(ValueError, match="threshold"):
        soft_threshold(v, -1.0)


def test_l1_prox_in_place_weights_only():
    p = _params()
    w = p["0.W"]
    L1(0.5).prox(p, step=2.0)  # しきい値 1.0
    assert p["0.W"] is w
    np.testing.assert_array_equal(p["0.W"], [[0.0, -1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(p["W"], [-0.5])
    np.testing.assert_array_equal(p["0.b"], [3.0, -4.0])
    np.testing.assert_array_equal(p["2.gamma"], [5.0])


def test_proximal_sgd_one_step_by_hand():
    p = {"0.W": np.array([0.3, -0.05, 1.0]), "0.b": np.array([0.01])}
    g = {"0.W": np.array([1.0, 0.0, -1.0]), "0.b": np.array([0.0])}
    ProximalSGD(lr=0.1, l1=0.5).step(p, g)
    # 勾配ステップ: [0.2, -0.05, 1.1] → しきい値 0.05 で [0.15, 0, 1.05]
    np.testing.assert_allclose(p["0.W"], [0.15, 0.0, 1.05], rtol=1e-12)
    assert p["0.W"][1] == 0.0
    np.testing.assert_array_equal(p["0.b"], [0.01])  # バイアスは罰しない


def test_subgradient_oscillates_but_prox_reaches_exact_zero():
    """L0 = ½(w - a)², |a| < λ なら最小点は w* = 0。劣勾配は 0 の周りで振動し、近接法はちょうど 0 に止まる。"""
    a, lam, lr = 0.3, 1.0, 0.05
    w_sub = {"W": np.array([2.0])}
    w_prox = {"W": np.array([2.0])}
    sgd, prox = nnreg.SGD(lr), ProximalSGD(lr, l1=lam)
    tail = []
    for k in range(200):
        sgd.step(w_sub, {"W": (w_sub["W"] - a) + L1(lam).grad(w_sub)["W"]})
        prox.step(w_prox, {"W": w_prox["W"] - a})
        if k >= 150:
            tail.append(w_sub["W"][0])
    assert w_prox["W"][0] == 0.0
    tail = np.array(tail)
    assert np.all(tail != 0.0)
    assert np.any(tail > 0) and np.any(tail < 0)
    assert np.max(np.abs(tail)) <= lr * (lam + a) + 1e-12


@pytest.mark.parametrize("l1", [-1.0, float("nan")])
def test_proximal_sgd_rejects_bad_l1(l1):
    with pytest.raises(ValueError, match="lam"):
        ProximalSGD(0.1, l1=l1)


def test_weight_norm_recorder_records_each_epoch(rng):
    model = _tiny_model(rng)
    x = rng.standard_normal((10, 4))
    t = rng.integers(0, 3, size=10)
    rec = WeightNormRecorder()
    # λ を大きくして、1 ステップごとの減衰 (1 - 2ηλ) = 0.9 倍が L0 の勾配より支配的になるようにする
    n0 = weight_norm(model.parameters())
    nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.SGD(0.1),
        x,
        t,
        epochs=3,
        batch_size=10,
        regularizer=L2(0.5),
        callbacks=[rec],
        rng=rng,
    )
    assert len(rec.norms) == 3
    assert rec.norms[-1] == pytest.approx(weight_norm(model.parameters()), rel=1e-15)
    assert rec.norms[0] < n0 and rec.norms[2] < rec.norms[1] < rec.norms[0]
