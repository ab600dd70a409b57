"""BatchNorm / LayerNorm（第4章用）のテスト。"""

import numpy as np
import pytest

import nnreg
from nnreg.gradcheck import check_layer, check_model
from nnreg.layers import BatchNorm, LayerNorm
from nnreg.regularizers import L2


def _random_affine(layer, rng):
    layer.params["gamma"][:] = rng.uniform(0.5, 2.0, layer.n_features)
    layer.params["beta"][:] = rng.standard_normal(layer.n_features)
    return layer


@pytest.mark.parametrize("cls", [BatchNorm, LayerNorm])
@pytest.mark.parametrize("batch", [3, 5])
def test_gradients_match_numerical(cls, batch, rng):
    # バッチ 2 の BatchNorm は x̂ = ±1 に固定され、∂L/∂x がほぼ 0 になって相対誤差が意味を失うので 3 から
    layer = _random_affine(cls(4), rng)
    x = rng.standard_normal((batch, 4)) * 3 + 1
    errors = check_layer(layer, x, rng=rng)
    assert set(errors) == {"x", "gamma", "beta"}
    assert max(errors.values()) < 1e-6, errors


def test_batchnorm_inference_gradient(rng):
    layer = _random_affine(BatchNorm(3), rng)
    layer.running_mean[:] = [0.5, -1.0, 2.0]
    layer.running_var[:] = [1.5, 0.3, 4.0]
    x = rng.standard_normal((4, 3))
    y = layer.forward(x, train=False)
    np.testing.assert_allclose(
        y,
        layer.params["gamma"] * (x - layer.running_mean) / np.sqrt(layer.running_var + 1e-5)
        + layer.params["beta"],
    )
    dx = layer.backward(np.ones_like(y))
    np.testing.assert_allclose(
        dx, np.broadcast_to(layer.params["gamma"] / np.sqrt(layer.running_var + 1e-5), x.shape)
    )


def test_batchnorm_standardizes_each_feature(rng):
    x = rng.standard_normal((64, 3)) * [1.0, 5.0, 0.1] + [3.0, -2.0, 0.0]
    y = BatchNorm(3).forward(x)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    var = x.var(axis=0)
    np.testing.assert_allclose(y.var(axis=0), var / (var + 1e-5), rtol=1e-10)


def test_batchnorm_running_stats_converge(rng):
    layer = BatchNorm(2, momentum=0.9)
    for _ in range(300):
        layer.forward(rng.standard_normal((50, 2)) * [2.0, 0.5] + [1.0, -3.0])
    np.testing.assert_allclose(layer.running_mean, [1.0, -3.0], atol=0.15)
    np.testing.assert_allclose(layer.running_var, [4.0, 0.25], rtol=0.15)


def test_batchnorm_depends_on_batch_but_layernorm_does_not(rng):
    x = rng.standard_normal((6, 4))
    bn, ln = BatchNorm(4), LayerNorm(4)
    assert not np.allclose(bn.forward(x)[:3], bn.forward(x[:3]))
    np.testing.assert_allclose(ln.forward(x)[:3], ln.forward(x[:3]))


def test_layernorm_standardizes_each_sample(rng):
    y = LayerNorm(8).forward(rng.standard_normal((5, 8)) * 4 + 2)
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 1, rtol=1e-4)


def test_model_with_normalization_and_l2(rng):
    model = nnreg.Sequential(
        [
            nnreg.Dense(5, 6, rng=rng),
            BatchNorm(6),
            nnreg.Tanh(),
            nnreg.Dense(6, 6, rng=rng),
            LayerNorm(6),
            nnreg.Tanh(),
            nnreg.Dense(6, 3, rng=rng),
        ]
    )
    x = rng.standard_normal((7, 5))
    t = rng.integers(0, 3, size=7)
    errors = check_model(model, nnreg.SoftmaxCrossEntropy(), x, t, regularizer=L2(0.1))
    # BatchNorm の直前のバイアスは平均を引く操作で打ち消されるので、勾配は厳密に 0（相対誤差は意味を持たない）
    del errors["0.b"]
    assert max(errors.values()) < 1e-6, errors
    np.testing.assert_allclose(model.gradients()["0.b"], 0, atol=1e-12)
    assert "1.gamma" not in L2(0.1).grad(model.parameters())  # γ/β は罰しない


def test_bad_input_rejected():
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        BatchNorm(3).forward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="バッチサイズ 2 以上"):
        BatchNorm(3).forward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(3, momentum=1.0)
    with pytest.raises(ValueError, match="eps"):
        LayerNorm(3, eps=0)


@pytest.mark.parametrize(("norm", "cls"), [("batch", BatchNorm), ("layer", LayerNorm)])
def test_mlp_inserts_norm_before_activation(norm, cls, rng):
    model = nnreg.mlp((5, 8, 6, 3), rng=rng, norm=norm, activation=nnreg.Tanh, dropout=0.2)
    names = [type(layer).__name__ for layer in model.layers]
    n = cls.__name__
    assert names == ["Dense", n, "Tanh", "Dropout", "Dense", n, "Tanh", "Dropout", "Dense"]
    assert [layer.n_features for layer in model.layers if isinstance(layer, cls)] == [8, 6]
    # 正規化層が挟まっても、モデル全体の勾配は数値微分と一致する
    model = nnreg.mlp((5, 8, 6, 3), rng=rng, norm=norm, activation=nnreg.Tanh)
    x = rng.standard_normal((6, 5))
    errors = check_model(model, nnreg.SoftmaxCrossEntropy(), x, rng.integers(0, 3, size=6))
    if norm == "batch":  # BatchNorm の直前のバイアスの勾配は厳密に 0
        for key in ("0.b", "3.b"):
            np.testing.assert_allclose(model.gradients()[key], 0, atol=1e-12)
            del errors[key]
    assert max(errors.values()) < 1e-6, errors


def test_mlp_rejects_unknown_norm(rng):
    with pytest.raises(ValueError, match="'batch'"):
        nnreg.mlp((4, 3, 2), rng=rng, norm="group")
    assert [type(x).__name__ for x in nnreg.mlp((4, 3, 2), rng=rng).layers] == ["Dense", "ReLU", "Dense"]


def test_bn_identity_parameters_recover_input(rng):
    # γ = √(σ² + ε), β = μ にすると、BatchNorm は（訓練時のそのバッチについて）恒等写像になる
    x = rng.standard_normal((32, 3)) * [0.5, 2.0, 7.0] + [1.0, -4.0, 10.0]
    layer = BatchNorm(3)
    layer.params["gamma"][:] = np.sqrt(x.var(axis=0) + layer.eps)
    layer.params["beta"][:] = x.mean(axis=0)
    np.testing.assert_allclose(layer.forward(x), x, rtol=1e-12, atol=1e-12)


def test_noisy_shift_gradient_and_inference(rng):
    from nnreg.layers import NoisyShift

    layer = NoisyShift(4, shift=2.0, scale=0.5, rng=np.random.default_rng(3))
    x = rng.standard_normal((5, 4))
    assert check_layer(layer, x, rng=rng)["x"] < 1e-6
    np.testing.assert_array_equal(layer.forward(x, train=False), x)
    y1, y2 = layer.forward(x), layer.forward(x)
    assert not np.allclose(y1, y2)  # 毎ステップ引き直す
    s = (y1[1] - y1[0]) / (x[1] - x[0])  # 同じステップでは全サンプルに同じ s, b
    assert np.all((s >= 0.5) & (s <= 1.5))
    np.testing.assert_allclose(np.abs(y1 - s * x).max(axis=0), np.abs(y1 - s * x).min(axis=0))
    with pytest.raises(ValueError, match="scale"):
        NoisyShift(3, scale=1.0)
