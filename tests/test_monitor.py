"""nnreg.monitor（第4章）のテスト。"""

import numpy as np
import pytest

import nnreg
from nnreg.monitor import ActivationStats, gradient_norms, preactivations


def test_preactivations_are_inputs_of_activation_layers(rng):
    model = nnreg.mlp((4, 6, 5, 3), rng=rng, norm="batch", activation=nnreg.Sigmoid)
    bn = model.layers[1]
    bn.running_mean[:] = rng.standard_normal(6)
    before = bn.running_mean.copy()
    x = rng.standard_normal((7, 4))
    zs = preactivations(model, x)
    assert [z.shape for z in zs] == [(7, 6), (7, 5)]
    # 1 つ目の前活性 = Dense → BatchNorm（推論モード）の出力
    np.testing.assert_allclose(zs[0], bn.forward(model.layers[0].forward(x), train=False))
    np.testing.assert_array_equal(bn.running_mean, before)  # 移動平均は更新しない


def test_preactivations_needs_activation(rng):
    with pytest.raises(ValueError, match="活性化層"):
        preactivations(nnreg.mlp((4, 3), rng=rng), np.zeros((2, 4)))


def test_activation_stats_records_each_epoch(rng):
    digits = nnreg.datasets.load_digits(n_train=100, seed=0)
    model = nnreg.mlp((64, 16, 16, 10), rng=rng, activation=nnreg.Tanh)
    stats = ActivationStats(digits.X_val[:50])
    stats.record(model)
    nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.SGD(lr=0.1),
        digits.X_train,
        digits.y_train,
        epochs=3,
        batch_size=20,
        callbacks=[stats],
        rng=rng,
    )
    assert stats.epochs == [0, 1, 2, 3]
    assert stats.mean.shape == stats.std.shape == (4, 2)
    assert stats.quantiles.shape == (4, 2, 3)
    z_last = preactivations(model, digits.X_val[:50])[1]
    np.testing.assert_allclose(stats.mean[-1, 1], z_last.mean())
    np.testing.assert_allclose(stats.std[-1, 1], z_last.std())
    np.testing.assert_allclose(stats.quantiles[-1, 1], np.percentile(z_last, [15, 50, 85]))
    assert np.all(np.diff(stats.quantiles, axis=2) >= 0)  # 15 ≤ 50 ≤ 85
    assert not np.allclose(stats.mean[0], stats.mean[-1])  # 学習で分布が動いている


def test_gradient_norms_match_backward_and_leave_model_untouched(rng):
    model = nnreg.mlp((4, 6, 6, 3), rng=rng, norm="batch")
    x = rng.standard_normal((8, 4))
    t = rng.integers(0, 3, size=8)
    running = model.layers[1].running_mean.copy()
    norms = gradient_norms(model, nnreg.SoftmaxCrossEntropy(), x, t)
    np.testing.assert_array_equal(model.layers[1].running_mean, running)
    loss = nnreg.SoftmaxCrossEntropy()
    loss.forward(model.forward(x), t)
    model.backward(loss.backward())
    expected = [np.linalg.norm(g) for k, g in model.gradients().items() if k.endswith(".W")]
    np.testing.assert_allclose(norms, expected)
    assert norms.shape == (3,) and np.all(norms > 0)


def test_dead_relu_fraction_counts_units_that_never_fire():
    from nnreg.monitor import dead_relu_fraction

    rng = np.random.default_rng(0)
    model = nnreg.mlp((3, 4, 2), rng=rng)
    X = rng.standard_normal((50, 3))
    W, b = model.layers[0].params["W"], model.layers[0].params["b"]
    W[:, :2] = 0.0
    b[:2] = -1.0  # 2 つのユニットは常に負の入力 → 死んだ ReLU
    b[2:] = 100.0  # 残り 2 つは常に発火
    assert dead_relu_fraction(model, X) == 0.5
    b[:2] = 0.5
    assert dead_relu_fraction(model, X) == 0.0
