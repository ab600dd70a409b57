import numpy as np
import pytest

import nnreg
from nnreg.gradcheck import check_model


def _mlp(rng, act=nnreg.Tanh):
    return nnreg.Sequential([nnreg.Dense(4, 6, rng=rng), act(), nnreg.Dense(6, 3, rng=rng)])


def test_parameters_are_live_arrays(rng):
    model = _mlp(rng)
    params = model.parameters()
    assert list(params) == ["0.W", "0.b", "2.W", "2.b"]
    assert params["0.W"] is model.layers[0].params["W"]
    assert set(model.gradients()) == set(params)
    assert model.n_parameters() == 4 * 6 + 6 + 6 * 3 + 3


@pytest.mark.parametrize("act", [nnreg.Tanh, nnreg.Sigmoid, nnreg.ReLU])
def test_whole_model_gradient_cross_entropy(rng, act):
    model = _mlp(rng, act)
    x = rng.standard_normal((5, 4))
    t = np.array([0, 1, 2, 1, 0])
    errors = check_model(model, nnreg.SoftmaxCrossEntropy(), x, t)
    assert set(errors) == set(model.parameters())
    assert max(errors.values()) < 1e-6, errors


def test_whole_model_gradient_mse_with_dropout(rng):
    model = nnreg.Sequential(
        [nnreg.Dense(3, 8, rng=rng), nnreg.Tanh(), nnreg.Dropout(0.4, rng=rng), nnreg.Dense(8, 2, rng=rng)]
    )
    x = rng.standard_normal((4, 3))
    t = rng.standard_normal((4, 2))
    errors = check_model(model, nnreg.MeanSquaredError(), x, t)
    assert max(errors.values()) < 1e-6, errors


def test_predict_uses_inference_mode(rng):
    model = nnreg.Sequential([nnreg.Dense(3, 3, rng=rng), nnreg.Dropout(0.9, rng=rng)])
    x = rng.standard_normal((4, 3))
    np.testing.assert_array_equal(model.predict(x), model.predict(x))
    np.testing.assert_allclose(model.predict(x), model.layers[0].forward(x))


def test_predict_rejects_nan(rng):
    with pytest.raises(ValueError, match="NaN"):
        _mlp(rng).predict(np.full((2, 4), np.nan))


def test_sequential_rejects_non_layers():
    with pytest.raises(ValueError, match="1 つ以上"):
        nnreg.Sequential([])
    with pytest.raises(ValueError, match="forward/backward"):
        nnreg.Sequential([np.zeros(3)])


def test_mlp_helper_structure(rng):
    model = nnreg.mlp((64, 32, 16, 10), rng=rng, dropout=0.5)
    names = [type(layer).__name__ for layer in model.layers]
    assert names == ["Dense", "ReLU", "Dropout", "Dense", "ReLU", "Dropout", "Dense"]
    assert "0x" not in repr(model)


def test_pickled_model_drops_forward_caches_but_keeps_everything_else():
    import pickle

    rng = np.random.default_rng(0)
    model = nnreg.mlp((5, 16, 16, 3), rng=rng, dropout=0.5, norm="batch")
    X = rng.standard_normal((64, 5))
    model.forward(X, train=True)
    model.backward(np.ones((64, 3)))
    copy = pickle.loads(pickle.dumps(model))
    # 元のモデルは逆伝播用の値を持ったまま、送られた側は持たない
    assert model.layers[0]._x is not None and copy.layers[0]._x is None
    for key, p in model.parameters().items():
        assert copy.parameters()[key].tobytes() == p.tobytes()
        assert copy.gradients()[key].tobytes() == model.gradients()[key].tobytes()
    bn = next(layer for layer in model.layers if isinstance(layer, nnreg.BatchNorm))
    bn_copy = next(layer for layer in copy.layers if isinstance(layer, nnreg.BatchNorm))
    assert bn_copy.running_var.tobytes() == bn.running_var.tobytes()
    assert copy.predict(X).tobytes() == model.predict(X).tobytes()
    # 送られたモデルは、順伝播をしてからでないと逆伝播できません（日本語のエラー）
    fresh = pickle.loads(pickle.dumps(model))
    with pytest.raises(RuntimeError, match="forward"):
        fresh.backward(np.ones((64, 3)))
