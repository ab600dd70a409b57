import numpy as np
import pytest

import nnreg
from nnreg.baselines import NearestNeighbor, least_squares, squared_distances


def test_squared_distances_match_direct_formula(rng):
    A, B = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    direct = ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_allclose(squared_distances(A, B), direct, atol=1e-12)
    with pytest.raises(ValueError, match="特徴量"):
        squared_distances(A, rng.standard_normal((2, 4)))


def test_nearest_neighbor_memorizes_training_set(rng):
    X = rng.standard_normal((30, 4))
    y = rng.integers(0, 3, size=30)  # 意味のないラベルでも丸暗記はできる
    nn = NearestNeighbor().fit(X, y)
    assert nn.score(X, y) == 1.0
    dist, idx = nn.kneighbors(X)
    np.testing.assert_allclose(dist, 0.0, atol=1e-6)
    np.testing.assert_array_equal(idx, np.arange(30))


def test_nearest_neighbor_answers_label_of_closest_example():
    X = np.array([[0.0, 0.0], [10.0, 0.0]])
    nn = NearestNeighbor().fit(X, np.array([3, 7]))
    np.testing.assert_array_equal(nn.predict(np.array([[1.0, 1.0], [9.0, -2.0], [4.9, 0.0]])), [3, 7, 3])


def test_lookup_table_only_answers_exact_questions():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    y = np.array([1, 2, 2, 0])
    table = NearestNeighbor(max_distance=0.0).fit(X, y)
    assert table.fallback_ == 2  # 最も多いラベル
    np.testing.assert_array_equal(table.predict(X), y)
    np.testing.assert_array_equal(table.predict(np.array([[0.0, 0.1], [3.0, 0.0]])), [2, 0])
    custom = NearestNeighbor(max_distance=0.5, fallback=9).fit(X, y)
    np.testing.assert_array_equal(custom.predict(np.array([[0.0, 0.4], [0.0, 0.6]])), [1, 9])


def test_nearest_neighbor_errors():
    with pytest.raises(RuntimeError, match="fit"):
        NearestNeighbor().predict(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="max_distance"):
        NearestNeighbor(max_distance=-1.0)
    with pytest.raises(ValueError, match="整数ラベル"):
        NearestNeighbor().fit(np.zeros((2, 2)), np.array([0.5, 1.0]))
    nn = NearestNeighbor().fit(np.zeros((2, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match="特徴量 2 個"):
        nn.predict(np.zeros((1, 3)))
    assert "0x" not in repr(nn)


@pytest.mark.parametrize("lam", [0.0, 0.03, 1.0])
def test_least_squares_gradient_of_penalized_mse_is_zero(rng, lam):
    # 解では mean((Xw + b - y)²) + lam Σw² の勾配が 0。nnreg の MSE と L2 で確かめる。
    X, y = rng.standard_normal((20, 4)), rng.standard_normal(20)
    w, b = least_squares(X, y, lam=lam)
    layer = nnreg.Dense(4, 1, rng=rng)
    layer.params["W"][:, 0], layer.params["b"][0] = w, b
    loss = nnreg.MeanSquaredError()
    loss.forward(layer.forward(X), y)
    layer.backward(loss.backward())
    grad_w = layer.grads["W"] + nnreg.L2(lam).grad({"0.W": layer.params["W"]})["0.W"]
    np.testing.assert_allclose(grad_w, 0.0, atol=1e-10)
    np.testing.assert_allclose(layer.grads["b"], 0.0, atol=1e-10)


def test_least_squares_interpolates_and_shrinks(rng):
    x = np.linspace(-1, 1, 6)
    y = rng.standard_normal(6)
    X = nnreg.datasets.polynomial_features(x, 5)  # 未知数 6 個 = 点 6 個: ぴったり通る
    w, b = least_squares(X, y)
    np.testing.assert_allclose(X @ w + b, y, atol=1e-8)
    w_reg, _ = least_squares(X, y, lam=0.1)
    assert np.sum(w_reg**2) < np.sum(w**2)
    with pytest.raises(ValueError, match="lam"):
        least_squares(X, y, lam=-1.0)
    with pytest.raises(ValueError, match="長さ"):
        least_squares(X, y[:3])


def test_least_squares_gd_matches_hand_step_spectral_formula_and_limit():
    from nnreg.baselines import least_squares, least_squares_gd

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.standard_normal(20)
    W, b = least_squares_gd(X, y, lr=0.1, steps=[0, 1, 5, 2000])
    np.testing.assert_array_equal(W[0], 0.0)
    assert b[0] == pytest.approx(y.mean())
    # 1 ステップ目の手計算: w1 = lr · (2/N) Xcᵀ yc
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    np.testing.assert_allclose(W[1], 0.1 * 2 / 20 * Xc.T @ yc)
    # 固有分解の式: w_t = Σ (1 - (1 - lr λ_i)^t) (q_iᵀ g / λ_i) q_i
    lam, Q = np.linalg.eigh(2 / 20 * Xc.T @ Xc)
    g = 2 / 20 * Xc.T @ yc
    np.testing.assert_allclose(W[2], Q @ ((1 - (1 - 0.1 * lam) ** 5) * (Q.T @ g) / lam), rtol=1e-10)
    w_ls, b_ls = least_squares(X, y)
    np.testing.assert_allclose(W[3], w_ls, atol=1e-10)
    assert b[3] == pytest.approx(b_ls)


def test_least_squares_gd_rejects_divergent_learning_rate_and_bad_steps():
    from nnreg.baselines import least_squares_gd

    X = np.random.default_rng(0).standard_normal((10, 2))
    y = np.zeros(10)
    with pytest.raises(ValueError, match="lr は 2 / "):
        least_squares_gd(X, y, lr=100.0, steps=[1])
    with pytest.raises(ValueError, match="steps の要素"):
        least_squares_gd(X, y, lr=0.01, steps=[-1])
    with pytest.raises(ValueError, match="lr"):
        least_squares_gd(X, y, lr=0.0, steps=[1])
