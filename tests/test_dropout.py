"""第3章: MC ドロップアウト（predict_mc）と重みのスケーリングによる推論（fold_dropout）。"""

import numpy as np
import pytest

import nnreg
from nnreg.losses import softmax


def _net(rng, *, rate=0.5, inverted=True, hidden=(16,)):
    sizes = (5, *hidden, 3)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nnreg.Dense(sizes[i], sizes[i + 1], rng=rng))
        if i < len(sizes) - 2:
            layers += [nnreg.ReLU(), nnreg.Dropout(rate, rng=rng, inverted=inverted)]
    return nnreg.Sequential(layers)


class TestPredictMC:
    def test_shapes_and_probabilities(self, rng):
        model = _net(rng)
        X = rng.standard_normal((7, 5))
        samples = nnreg.predict_mc(model, X, 4, rng=np.random.default_rng(0), return_samples=True)
        assert samples.shape == (4, 7, 3)
        np.testing.assert_allclose(samples.sum(axis=2), 1.0)
        mean = nnreg.predict_mc(model, X, 4, rng=np.random.default_rng(0))
        np.testing.assert_allclose(mean, samples.mean(axis=0))

    def test_each_sample_is_one_random_subnetwork(self, rng):
        """1 回分の出力は、そのマスクを固定して訓練モードで順伝播した出力と同じ。"""
        model = _net(rng)
        X = rng.standard_normal((6, 5))
        logits = nnreg.predict_mc(model, X, 1, rng=np.random.default_rng(5), proba=False)
        drop = model.layers[2]
        drop.rng = np.random.default_rng(5)
        np.testing.assert_allclose(logits, model.forward(X, train=True))
        assert not np.allclose(logits, model.predict(X)), "マスクが掛かっていれば決定的な出力とは違う"

    def test_mean_logits_converge_to_deterministic_pass_for_one_hidden_layer(self, rng):
        """隠れ層 1 つなら出力はマスクについて線形: E[ロジット] = 推論モードのロジット。"""
        model = _net(rng, rate=0.5)
        X = rng.standard_normal((4, 5))
        mean = nnreg.predict_mc(model, X, 20_000, rng=np.random.default_rng(1), proba=False)
        exact = model.predict(X)
        assert np.max(np.abs(mean - exact)) < 0.03 * np.max(np.abs(exact))

    def test_deterministic_given_rng(self, rng):
        model = _net(rng)
        X = rng.standard_normal((3, 5))
        a = nnreg.predict_mc(model, X, 5, rng=np.random.default_rng(9))
        b = nnreg.predict_mc(model, X, 5, rng=np.random.default_rng(9))
        np.testing.assert_array_equal(a, b)

    def test_leaves_training_unchanged(self):
        """途中で predict_mc を呼んでも、以後の学習（乱数列も含む）はまったく同じになる。"""
        X = np.random.default_rng(0).standard_normal((40, 5))
        y = np.arange(40) % 3
        results = []
        for call_mc in (False, True):
            model = _net(np.random.default_rng(1))
            kw = dict(epochs=2, batch_size=8)
            nnreg.fit(
                model,
                nnreg.SoftmaxCrossEntropy(),
                nnreg.SGD(lr=0.1),
                X,
                y,
                rng=np.random.default_rng(2),
                **kw,
            )
            if call_mc:
                nnreg.predict_mc(model, X, 3, rng=np.random.default_rng(3))
            nnreg.fit(
                model,
                nnreg.SoftmaxCrossEntropy(),
                nnreg.SGD(lr=0.1),
                X,
                y,
                rng=np.random.default_rng(4),
                **kw,
            )
            results.append(model.parameters())
        for k in results[0]:
            np.testing.assert_array_equal(results[0][k], results[1][k])

    def test_restores_masks_and_backward_caches(self, rng):
        model = _net(rng)
        X = rng.standard_normal((4, 5))
        model.forward(X, train=True)
        mask = model.layers[2].mask.copy()
        dy = rng.standard_normal((4, 3))
        model.backward(dy)
        before = {k: g.copy() for k, g in model.gradients().items()}
        nnreg.predict_mc(model, X[:2], 3, rng=np.random.default_rng(0))
        np.testing.assert_array_equal(model.layers[2].mask, mask)
        model.backward(dy)
        for k, g in model.gradients().items():
            np.testing.assert_array_equal(g, before[k])

    def test_other_layers_run_in_inference_mode(self, rng):
        seen = []

        class Spy(nnreg.ReLU):
            def forward(self, x, train=True):
                seen.append(train)
                return super().forward(x, train=train)

        model = nnreg.Sequential(
            [nnreg.Dense(5, 4, rng=rng), Spy(), nnreg.Dropout(0.5, rng=rng), nnreg.Dense(4, 2, rng=rng)]
        )
        nnreg.predict_mc(model, rng.standard_normal((3, 5)), 2, rng=rng)
        assert seen == [False, False]

    def test_state_restored_even_on_error(self, rng):
        model = _net(rng)
        own_rng = model.layers[2].rng
        with pytest.raises(ValueError, match=r"\(N, 5\)"):
            nnreg.predict_mc(model, np.ones((2, 4)), 2, rng=np.random.default_rng(0))
        assert model.layers[2].rng is own_rng

    def test_rejects_bad_arguments(self, rng):
        model = _net(rng)
        X = np.ones((2, 5))
        with pytest.raises(ValueError, match="ドロップアウト層"):
            nnreg.predict_mc(nnreg.mlp((5, 4, 3), rng=rng), X, 2, rng=rng)
        with pytest.raises(ValueError, match="default_rng"):
            nnreg.predict_mc(model, X, 2, rng=0)
        with pytest.raises(ValueError, match="n_samples"):
            nnreg.predict_mc(model, X, 0, rng=rng)
        with pytest.raises(ValueError, match="2 次元"):
            nnreg.predict_mc(model, np.ones(5), 2, rng=rng)


class TestFoldDropout:
    def test_inverted_dropout_is_simply_removed(self, rng):
        model = _net(rng, hidden=(8, 6))
        folded = nnreg.fold_dropout(model)
        assert not any(isinstance(layer, nnreg.Dropout) for layer in folded.layers)
        assert len(folded.layers) == len(model.layers) - 2
        X = rng.standard_normal((5, 5))
        np.testing.assert_allclose(folded.predict(X), model.predict(X))

    def test_original_dropout_scales_next_weights_by_q(self, rng):
        model = _net(rng, rate=0.3, inverted=False, hidden=(8, 6))
        W_before = model.layers[3].params["W"].copy()
        folded = nnreg.fold_dropout(model)
        np.testing.assert_allclose(folded.layers[2].params["W"], 0.7 * W_before)
        np.testing.assert_array_equal(model.layers[3].params["W"], W_before)  # 元のモデルは不変
        X = rng.standard_normal((5, 5))
        np.testing.assert_allclose(folded.predict(X), model.predict(X))

    def test_two_formulations_are_one_network_reparametrized(self, rng):
        """重み W/q の原論文版は、重み W の inverted 版と訓練時も推論時も同じ関数になる。"""
        inv = _net(np.random.default_rng(0), rate=0.4)
        orig = _net(np.random.default_rng(0), rate=0.4, inverted=False)
        orig.layers[3].params["W"] /= 0.6
        inv.layers[2].rng = np.random.default_rng(7)
        orig.layers[2].rng = np.random.default_rng(7)
        X = rng.standard_normal((5, 5))
        np.testing.assert_allclose(orig.forward(X, train=True), inv.forward(X, train=True))
        np.testing.assert_allclose(orig.predict(X), inv.predict(X))
        np.testing.assert_allclose(nnreg.fold_dropout(orig).predict(X), inv.predict(X))

    def test_expected_training_output_matches_inference_for_both(self, rng):
        """1 層では、訓練時の出力のマスクについての平均 = 推論時の出力（どちらの形でも）。"""
        h = np.abs(rng.standard_normal((1, 6))) + 0.5
        for inverted in (True, False):
            layer = nnreg.Dropout(0.5, rng=np.random.default_rng(8), inverted=inverted)
            dense = nnreg.Dense(6, 2, rng=rng)
            mean = dense.forward(layer.forward(np.repeat(h, 100_000, axis=0))).mean(axis=0)
            exact = dense.forward(layer.forward(h, train=False))[0]
            np.testing.assert_allclose(mean, exact, rtol=0.02)

    def test_rejects_unfoldable_models(self, rng):
        last = nnreg.Sequential([nnreg.Dense(3, 2, rng=rng), nnreg.Dropout(0.5, rng=rng, inverted=False)])
        with pytest.raises(ValueError, match="最後の層"):
            nnreg.fold_dropout(last)
        before_act = nnreg.Sequential(
            [nnreg.Dropout(0.5, rng=rng, inverted=False), nnreg.Tanh(), nnreg.Dense(3, 2, rng=rng)]
        )
        with pytest.raises(ValueError, match="Dense"):
            nnreg.fold_dropout(before_act)


def test_softmax_of_mean_logits_is_normalized_geometric_mean(rng):
    """softmax(平均ロジット) = 確率の正規化した幾何平均（Hinton et al., 2012 の議論の土台）。"""
    z = rng.standard_normal((5, 4, 3))
    geo = np.exp(np.log(softmax(z.reshape(-1, 3)).reshape(5, 4, 3)).mean(axis=0))
    geo /= geo.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax(z.mean(axis=0)), geo)
