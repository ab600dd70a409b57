import numpy as np
import pytest

import nnreg
from nnreg.gradcheck import check_layer

TOL = 1e-6


def _away_from_kinks(rng, shape):
    """ReLU の折れ目 (0) から離した入力。中心差分が折れ目をまたがないようにします。"""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.05, 0.5, x)


@pytest.mark.parametrize(
    "make_layer",
    [
        lambda rng: nnreg.Dense(5, 3, rng=rng),
        lambda rng: nnreg.Dense(5, 3, rng=rng, init="xavier"),
        lambda rng: nnreg.ReLU(),
        lambda rng: nnreg.Sigmoid(),
        lambda rng: nnreg.Tanh(),
        lambda rng: nnreg.Dropout(0.3, rng=rng),
        lambda rng: nnreg.Dropout(0.0, rng=rng),
        lambda rng: nnreg.Dropout(0.6, rng=rng, inverted=False),
    ],
    ids=["dense-he", "dense-xavier", "relu", "sigmoid", "tanh", "dropout", "dropout-0", "dropout-original"],
)
def test_layer_gradients_match_numerical(make_layer, rng):
    layer = make_layer(rng)
    x = _away_from_kinks(rng, (4, 5))
    errors = check_layer(layer, x, rng=rng)
    assert set(errors) == {"x", *layer.params}
    for name, err in errors.items():
        assert err < TOL, f"{name}: {err}"


def test_check_layer_detects_a_wrong_backward(rng):
    class BrokenTanh(nnreg.Tanh):
        def backward(self, dy):
            return dy * (1.0 - self._y)  # 二乗を忘れている

    errors = check_layer(BrokenTanh(), rng.standard_normal((3, 4)), rng=rng)
    assert errors["x"] > 1e-2


def test_check_layer_rejects_batch_of_one(rng):
    with pytest.raises(ValueError, match="バッチサイズ 2 以上"):
        check_layer(nnreg.Tanh(), rng.standard_normal((1, 4)))


def test_dense_shapes_and_formula(rng):
    layer = nnreg.Dense(3, 2, rng=rng)
    assert layer.params["W"].shape == (3, 2)
    assert layer.params["b"].shape == (2,)
    layer.params["b"][:] = [1.0, -1.0]
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(layer.forward(x), x @ layer.params["W"] + layer.params["b"])
    assert set(layer.grads) == set(layer.params)


def test_dense_he_init_scale():
    layer = nnreg.Dense(400, 300, rng=np.random.default_rng(0))
    assert abs(layer.params["W"].std() - np.sqrt(2 / 400)) < 0.002


@pytest.mark.parametrize(
    ("init", "std"),
    [
        ("lecun", np.sqrt(1 / 400)),
        ("glorot", np.sqrt(2 / (400 + 100))),
        ("xavier", np.sqrt(2 / (400 + 100))),
        ("small", 0.01),
    ],
)
def test_dense_init_scales(init, std):
    # Glorot/Xavier は √(2/(n_in+n_out))、LeCun は √(1/n_in)（n_out = 100 なので両者ははっきり違う）
    layer = nnreg.Dense(400, 100, rng=np.random.default_rng(0), init=init)
    assert abs(layer.params["W"].std() / std - 1) < 0.02


def test_dense_rejects_wrong_width(rng):
    layer = nnreg.Dense(4, 2, rng=rng)
    with pytest.raises(ValueError, match=r"\(N, 4\).*\(3, 5\)"):
        layer.forward(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="init"):
        nnreg.Dense(4, 2, rng=rng, init="uniform")


def test_dense_rejects_integer_seed_as_rng():
    with pytest.raises(ValueError, match="default_rng"):
        nnreg.Dense(2, 2, rng=0)


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="forward"):
        nnreg.ReLU().backward(np.ones((2, 2)))


def test_float32_dense_keeps_dtype(rng):
    layer = nnreg.Dense(3, 2, rng=rng, dtype=np.float32)
    y = layer.forward(np.ones((2, 3)))
    assert y.dtype == np.float32


def test_sigmoid_is_stable_for_large_inputs():
    y = nnreg.Sigmoid().forward(np.array([[-1000.0, 0.0, 1000.0]]))
    np.testing.assert_allclose(y, [[0.0, 0.5, 1.0]])
    assert np.all(np.isfinite(y))


class TestDropout:
    def test_rate_is_drop_probability(self):
        layer = nnreg.Dropout(0.3, rng=np.random.default_rng(0))
        layer.forward(np.ones((200, 500)))
        assert abs(1 - layer.mask.mean() - 0.3) < 0.005
        assert layer.keep_prob == pytest.approx(0.7)

    def test_inverted_scaling_preserves_expectation(self):
        """E[dropout(h)] = h: 20 万個のマスクの平均が h に 1% 以内で一致する。"""
        h = np.linspace(0.5, 2.0, 8)[None, :]
        layer = nnreg.Dropout(0.5, rng=np.random.default_rng(1))
        out = layer.forward(np.repeat(h, 200_000, axis=0))
        np.testing.assert_allclose(out.mean(axis=0), h[0], rtol=0.01)

    def test_identity_at_inference(self, rng):
        layer = nnreg.Dropout(0.7, rng=rng)
        x = rng.standard_normal((5, 6))
        np.testing.assert_array_equal(layer.forward(x, train=False), x)

    def test_rate_zero_is_exact_identity(self, rng):
        layer = nnreg.Dropout(0.0, rng=rng)
        x = rng.standard_normal((5, 6))
        y = layer.forward(x, train=True)
        np.testing.assert_array_equal(y, x)
        np.testing.assert_array_equal(layer.backward(x), x)

    def test_deterministic_given_rng(self):
        x = np.ones((4, 10))
        a = nnreg.Dropout(0.5, rng=np.random.default_rng(7)).forward(x)
        b = nnreg.Dropout(0.5, rng=np.random.default_rng(7)).forward(x)
        np.testing.assert_array_equal(a, b)

    def test_backward_uses_same_mask_and_scale(self, rng):
        layer = nnreg.Dropout(0.25, rng=rng)
        layer.forward(np.ones((3, 8)))
        dx = layer.backward(np.ones((3, 8)))
        np.testing.assert_allclose(dx, layer.mask / 0.75)

    @pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, float("nan"), "0.5"])
    def test_bad_rate_rejected(self, rate):
        with pytest.raises(ValueError, match=r"\[0, 1\)"):
            nnreg.Dropout(rate)

    def test_gradient_check_really_fixes_the_mask(self, rng):
        """check_layer が毎回同じマスクを使うこと: 使わなければ数値勾配は逆伝播と一致しない。"""
        layer = nnreg.Dropout(0.5, rng=rng)
        x = rng.standard_normal((4, 6))
        y1 = layer.forward(x)
        errors = check_layer(layer, x, rng=rng)
        assert errors["x"] < TOL
        y2 = layer.forward(x)
        assert not np.array_equal(y1 != 0, y2 != 0), "マスクは呼ぶたびに変わるはず"

    @pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
    def test_variance_matches_formula(self, rate):
        """Var[dropout(h)_j] = h_j² · rate / (1 - rate): 20 万個のマスクで 2% 以内。"""
        h = np.array([0.5, 1.0, 2.0])
        layer = nnreg.Dropout(rate, rng=np.random.default_rng(2))
        out = layer.forward(np.repeat(h[None, :], 200_000, axis=0))
        np.testing.assert_allclose(out.var(axis=0), h**2 * rate / (1 - rate), rtol=0.02)

    def test_without_scaling_expectation_is_q_times_h(self):
        """原論文の形（inverted=False）: 訓練時の期待値は q·h、推論時の出力もちょうど q·h。"""
        h = np.linspace(0.5, 2.0, 8)[None, :]
        layer = nnreg.Dropout(0.4, rng=np.random.default_rng(3), inverted=False)
        out = layer.forward(np.repeat(h, 200_000, axis=0))
        assert set(np.unique(out / h)) <= {0.0, 1.0}, "訓練時は拡大しない"
        np.testing.assert_allclose(out.mean(axis=0), 0.6 * h[0], rtol=0.01)
        np.testing.assert_allclose(layer.forward(h, train=False), 0.6 * h)

    def test_original_and_inverted_draw_the_same_mask(self):
        x = np.ones((6, 7))
        a = nnreg.Dropout(0.3, rng=np.random.default_rng(4))
        b = nnreg.Dropout(0.3, rng=np.random.default_rng(4), inverted=False)
        np.testing.assert_allclose(a.forward(x), b.forward(x) / 0.7)
        np.testing.assert_array_equal(a.mask, b.mask)

    def test_mask_is_exposed_in_training_only(self, rng):
        layer = nnreg.Dropout(0.5, rng=rng)
        x = rng.standard_normal((3, 4))
        y = layer.forward(x)
        assert layer.mask.shape == x.shape and layer.mask.dtype == bool
        np.testing.assert_array_equal(y == 0, ~layer.mask)
        layer.forward(x, train=False)
        assert layer.mask is None

    def test_backward_after_inference_is_an_error(self, rng):
        layer = nnreg.Dropout(0.5, rng=rng)
        layer.forward(np.ones((2, 3)), train=False)
        with pytest.raises(RuntimeError, match="forward"):
            layer.backward(np.ones((2, 3)))

    def test_keeps_float32(self, rng):
        y = nnreg.Dropout(0.5, rng=rng).forward(np.ones((4, 4), dtype=np.float32))
        assert y.dtype == np.float32

    def test_rejects_non_bool_inverted(self):
        with pytest.raises(ValueError, match="inverted"):
            nnreg.Dropout(0.5, inverted="no")

    def test_repr_names_the_formulation(self):
        assert repr(nnreg.Dropout(0.5)) == "Dropout(rate=0.5)"
        assert repr(nnreg.Dropout(0.5, inverted=False)) == "Dropout(rate=0.5, inverted=False)"
