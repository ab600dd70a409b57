import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import nnreg
from nnreg.gradcheck import numerical_gradient, relative_error
from nnreg.plotting import plot_trajectories
from nnreg.toy import NoisyGradient, Quadratic, Saddle, TwoMinima, first_step, run_optimizer

FUNCTIONS = [
    Quadratic(1.0, 20.0),
    Quadratic(2.0, 30.0, angle=35.0),
    Saddle(),
    Saddle(0.5, 2.0),
    TwoMinima(),
    TwoMinima(tilt=0.2, c=3.0),
]


@pytest.mark.parametrize("f", FUNCTIONS, ids=repr)
def test_gradient_matches_numerical_gradient(f):
    rng = np.random.default_rng(0)
    for _ in range(5):
        p = rng.uniform(-2, 2, size=2)
        numeric = numerical_gradient(lambda v: float(f.value(v)), p.copy())
        assert relative_error(f.grad(p), numeric) < 1e-7


@pytest.mark.parametrize("f", FUNCTIONS, ids=repr)
def test_value_and_grad_are_vectorised_over_a_grid(f):
    rng = np.random.default_rng(1)
    pts = rng.uniform(-2, 2, size=(3, 4, 2))
    values, grads = f.value(pts), f.grad(pts)
    assert values.shape == (3, 4) and grads.shape == (3, 4, 2)
    for i, j in [(0, 0), (2, 3), (1, 2)]:
        assert values[i, j] == pytest.approx(f.value(pts[i, j]))
        np.testing.assert_allclose(grads[i, j], f.grad(pts[i, j]))
    assert isinstance(f.value(pts[0, 0]), float)


def test_quadratic_hessian_condition_number_and_minimum():
    f = Quadratic(1.0, 20.0, angle=30.0)
    np.testing.assert_allclose(np.linalg.eigvalsh(f.hessian), [1.0, 20.0])
    assert f.condition_number == pytest.approx(20.0)
    assert f.lipschitz == 20.0
    # 2 次関数なので f(p) = ½ pᵀ H p、勾配は H p
    p = np.array([0.7, -1.3])
    assert f.value(p) == pytest.approx(0.5 * p @ f.hessian @ p)
    np.testing.assert_allclose(f.grad(p), f.hessian @ p)
    assert f.value(f.minimum) == 0.0


def test_gradient_descent_on_quadratic_follows_the_closed_form():
    # 軸に沿った谷では各座標が (1 - lr·λ)^t 倍になる
    f = Quadratic(1.0, 20.0)
    lr, steps = 0.05, 30
    traj = run_optimizer(nnreg.SGD(lr), f, [2.0, 1.0], steps)
    t = np.arange(steps + 1)
    np.testing.assert_allclose(traj[:, 0], 2.0 * (1 - lr * 1.0) ** t)
    np.testing.assert_allclose(traj[:, 1], 1.0 * (1 - lr * 20.0) ** t, atol=1e-15)


@pytest.mark.parametrize("factor, converges", [(0.98, True), (1.02, False)])
def test_step_size_limit_two_over_l(factor, converges):
    f = Quadratic(1.0, 20.0, angle=20.0)
    traj = run_optimizer(nnreg.SGD(factor * 2 / f.lipschitz), f, [1.0, 1.0], 400)
    final = np.linalg.norm(traj[-1])
    assert (final < 1e-2) == converges
    assert (final > 10) == (not converges)


def test_saddle_escape_is_exponential_and_exact_start_never_escapes():
    f = Saddle()
    lr = 0.05
    traj = run_optimizer(nnreg.SGD(lr), f, [1.0, 1e-6], 300)
    np.testing.assert_allclose(traj[:50, 1], 1e-6 * (1 + 2 * lr) ** np.arange(50))
    n = first_step(np.abs(traj[:, 1]) >= 1)
    assert n == int(np.ceil(np.log(1e6) / np.log(1 + 2 * lr)))
    # y = 0 から出発すると、Adam を含むどの方法も鞍点に向かう
    for opt in [nnreg.SGD(lr), nnreg.Momentum(lr), nnreg.AdaGrad(0.1), nnreg.RMSprop(0.01), nnreg.Adam(0.05)]:
        traj = run_optimizer(opt, f, [1.0, 0.0], 2000)
        assert np.all(traj[:, 1] == 0.0)
        assert abs(traj[-1, 0]) < 0.05, opt


def test_noisy_gradient_is_reproducible_and_unbiased():
    f = Saddle()
    a = NoisyGradient(f, 0.1, np.random.default_rng(3))
    b = NoisyGradient(f, 0.1, np.random.default_rng(3))
    p = np.array([0.5, 0.0])
    np.testing.assert_array_equal(a.grad(p), b.grad(p))
    assert a.value(p) == f.value(p)
    many = NoisyGradient(f, 0.1, np.random.default_rng(4)).grad(np.tile(p, (20000, 1)))
    np.testing.assert_allclose(many.mean(axis=0), f.grad(p), atol=0.005)
    np.testing.assert_allclose(many.std(axis=0), [0.1, 0.1], rtol=0.03)
    # 雑音があれば y = 0 からでも鞍点を離れる
    traj = run_optimizer(nnreg.SGD(0.05), NoisyGradient(f, 0.01, np.random.default_rng(5)), [1.0, 0.0], 300)
    assert first_step(np.abs(traj[:, 1]) >= 1) is not None


def test_two_minima_critical_points_and_basins():
    f = TwoMinima(tilt=0.5)
    for x in f.critical_x:
        np.testing.assert_allclose(f.grad([x, 0.0]), [0.0, 0.0], atol=1e-12)
    assert f.value(f.global_minimum) < f.value(f.local_minimum)
    assert f.basin(f.global_minimum) == "大域解"
    assert f.basin(f.local_minimum) == "局所解"
    assert list(f.basin([[-1.0, 0.0], [1.0, 0.0], [np.nan, np.nan]])) == ["大域解", "局所解", "発散"]
    # 右の谷から出発した勾配降下法は局所解で止まる
    traj = run_optimizer(nnreg.SGD(0.01), f, [2.0, 1.0], 3000)
    np.testing.assert_allclose(traj[-1], f.local_minimum, atol=1e-6)


def test_run_optimizer_shape_and_divergence_filled_with_nan():
    f = Quadratic(1.0, 20.0)
    traj = run_optimizer(nnreg.Adam(0.1), f, (1.0, 1.0), 5)
    assert traj.shape == (6, 2)
    np.testing.assert_array_equal(traj[0], [1.0, 1.0])
    assert run_optimizer(nnreg.SGD(0.1), f, [1.0, 1.0], 0).shape == (1, 2)
    traj = run_optimizer(nnreg.SGD(1.0), f, [1.0, 1.0], 2000)  # |1 - 20| > 1 で発散
    assert traj.shape == (2001, 2)
    assert np.isnan(traj[-1]).all()
    assert np.isfinite(traj[:10]).all()


def test_bad_inputs_give_japanese_errors():
    f = Quadratic()
    with pytest.raises(ValueError, match="形状 \\(2,\\)"):
        run_optimizer(nnreg.SGD(0.1), f, [1.0, 2.0, 3.0], 10)
    with pytest.raises(ValueError, match="Function2D"):
        run_optimizer(nnreg.SGD(0.1), lambda p: p, [1.0, 2.0], 10)
    with pytest.raises(ValueError, match="steps"):
        run_optimizer(nnreg.SGD(0.1), f, [1.0, 2.0], -1)
    with pytest.raises(ValueError, match="最後の軸の長さが 2"):
        f.value(np.zeros(3))
    with pytest.raises(ValueError, match="b"):
        Quadratic(1.0, 0.0)
    with pytest.raises(ValueError, match="tilt"):
        TwoMinima(tilt=2.0)
    with pytest.raises(ValueError, match="Generator"):
        NoisyGradient(f, 0.1, None)
    with pytest.raises(ValueError, match="真偽値"):
        first_step([0, 1, 2])


def test_first_step():
    assert first_step(np.array([False, False, True, True])) == 2
    assert first_step(np.array([False, False])) is None


def test_plot_trajectories_draws_paths_and_marks():
    f = Saddle()
    trajs = {
        "SGD": run_optimizer(nnreg.SGD(0.1), f, [1.0, 0.01], 20),
        "Adam": run_optimizer(nnreg.Adam(0.1), f, [1.0, 0.01], 20),
    }
    ax = plot_trajectories(f, trajs, colors={"Adam": "C3"}, marks={"鞍点": (0.0, 0.0)}, title="鞍点")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(trajs) <= set(lines)
    assert matplotlib.colors.to_hex(lines["Adam"].get_color()) == matplotlib.colors.to_hex("C3")
    np.testing.assert_allclose(lines["SGD"].get_xydata(), trajs["SGD"])
    assert ax.get_title() == "鞍点"
    assert [t.get_text() for t in ax.texts] == ["鞍点"]
    with pytest.raises(ValueError, match="形状 \\(T, 2\\)"):
        plot_trajectories(f, {"bad": np.zeros((3, 3))})
    plt.close("all")


def test_value_of_diverged_points_is_nan_without_warnings():
    import warnings

    f = Quadratic()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = f.value(np.array([[np.nan, 0.0], [1e200, 1e200], [1.0, 0.0]]))
    assert np.isnan(v[0]) and np.isinf(v[1]) and v[2] == 0.5
    with pytest.raises(ValueError, match="数値の配列"):
        f.value(np.array(["a", "b"]))
