"""速くした学習のステップが、教科書どおりの素直な式と **ビット単位で** 同じ結果を出すことの確認（issue #14）。

本のノートブックの出力は厳密に比べられるので、速くするための書き換え（``out=`` の再利用、
その場での加算、検査の省略など）で浮動小数点の演算の順序が変わってはいけません。
ここでは、速くする前の nnreg の式をそのまま写した参照の実装（numpy だけ）で同じ学習を行い、
各ステップの出力・損失・勾配・パラメータが ``np.array_equal``（許容誤差なし）で一致することを確かめます。
"""

from __future__ import annotations

import numpy as np
import pytest

import nnreg
from nnreg.layers import BatchNorm, Dense, Dropout, ReLU
from nnreg.regularizers import L2

# ---- 参照の実装（速くする前の nnreg の式をそのまま写したもの）----


def ref_dense_forward(x, W, b):
    return x @ W + b


def _into(like, value):
    """nnreg の ``grads[k][...] = value`` と同じく、パラメータの dtype の配列に書き込みます。"""
    out = np.empty_like(like)
    out[...] = value
    return out


def ref_dense_backward(x, W, dy):
    return _into(W, x.T @ dy), _into(W[0], dy.sum(axis=0)), dy @ W.T


def ref_relu_forward(x):
    mask = x > 0
    return np.where(mask, x, 0.0).astype(x.dtype, copy=False), mask


def ref_relu_backward(dy, mask):
    return dy * mask


def ref_dropout_forward(x, rate, rng):
    mask = rng.random(x.shape) >= rate
    scale = mask.astype(x.dtype)
    scale /= np.asarray(1.0 - rate, dtype=x.dtype)
    return x * scale, scale


def ref_batchnorm_forward(x, gamma, beta, state, momentum=0.9, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    state["mean"] = momentum * state["mean"] + (1 - momentum) * mu
    state["var"] = momentum * state["var"] + (1 - momentum) * var
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv_std
    return gamma * xhat + beta, (xhat, inv_std)


def ref_batchnorm_backward(dy, gamma, cache):
    xhat, inv_std = cache
    dgamma = _into(gamma, (dy * xhat).sum(axis=0))
    dbeta = _into(gamma, dy.sum(axis=0))
    dxhat = dy * gamma
    m = xhat.shape[0]
    s1 = dxhat.sum(axis=0, keepdims=True)
    s2 = (dxhat * xhat).sum(axis=0, keepdims=True)
    return inv_std * (m * dxhat - s1 - xhat * s2) / m, dgamma, dbeta


def ref_softmax_cross_entropy(y_pred, labels):
    n = y_pred.shape[0]
    onehot = np.zeros_like(y_pred)
    onehot[np.arange(n), labels] = 1.0
    z = y_pred - y_pred.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    p = np.exp(log_p)
    return float(-(onehot * log_p).sum() / n), (p - onehot) / n


def ref_sgd(p, g, s, lr):
    p -= lr * g


def ref_momentum(p, g, s, lr, mu=0.9):
    v = s.setdefault("v", np.zeros_like(p))
    v *= mu
    v -= lr * g
    p += v


def ref_adam(p, g, s, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    if "m" not in s:
        s.update(m=np.zeros_like(p), v=np.zeros_like(p), t=0)
    s["t"] += 1
    t = s["t"]
    m, v = s["m"], s["v"]
    m *= beta1
    m += (1.0 - beta1) * g
    v *= beta2
    v += (1.0 - beta2) * g * g
    m_hat = m / (1.0 - beta1**t)
    v_hat = v / (1.0 - beta2**t)
    p -= lr * m_hat / (np.sqrt(v_hat) + eps)


OPTIMIZERS = {
    "sgd": (lambda: nnreg.SGD(lr=0.05), ref_sgd, 0.05),
    "momentum": (lambda: nnreg.Momentum(0.05), ref_momentum, 0.05),
    "adam": (lambda: nnreg.Adam(1e-3), ref_adam, 1e-3),
}


class RefModel:
    """nnreg のモデルと同じ層の並びを、参照の式で計算するモデル（パラメータはコピーを持ちます）。"""

    def __init__(self, model: nnreg.Sequential, dropout_rngs: list) -> None:
        self.kinds = []
        self.params = {}
        self.bn_state = {}
        rngs = iter(dropout_rngs)
        for i, layer in enumerate(model.layers):
            self.kinds.append(type(layer).__name__)
            for k, v in layer.params.items():
                self.params[f"{i}.{k}"] = v.copy()
            if isinstance(layer, BatchNorm):
                self.bn_state[i] = {"mean": layer.running_mean.copy(), "var": layer.running_var.copy()}
            if isinstance(layer, Dropout):
                self.bn_state[i] = {"rate": layer.rate, "rng": next(rngs)}

    def forward(self, x):
        self.caches = []
        self.acts = []
        for i, kind in enumerate(self.kinds):
            if kind == "Dense":
                x = np.asarray(x, dtype=self.params[f"{i}.W"].dtype)
                self.caches.append(x)
                x = ref_dense_forward(x, self.params[f"{i}.W"], self.params[f"{i}.b"])
            elif kind == "ReLU":
                x, mask = ref_relu_forward(x)
                self.caches.append(mask)
            elif kind == "Dropout":
                st = self.bn_state[i]
                x, scale = ref_dropout_forward(x, st["rate"], st["rng"])
                self.caches.append(scale)
            elif kind == "BatchNorm":
                x, cache = ref_batchnorm_forward(
                    x, self.params[f"{i}.gamma"], self.params[f"{i}.beta"], self.bn_state[i]
                )
                self.caches.append(cache)
            self.acts.append(x)
        return x

    def backward(self, dy):
        grads = {}
        for i in reversed(range(len(self.kinds))):
            kind, cache = self.kinds[i], self.caches[i]
            if kind == "Dense":
                grads[f"{i}.W"], grads[f"{i}.b"], dy = ref_dense_backward(cache, self.params[f"{i}.W"], dy)
            elif kind == "ReLU":
                dy = ref_relu_backward(dy, cache)
            elif kind == "Dropout":
                dy = dy * cache
            elif kind == "BatchNorm":
                dy, grads[f"{i}.gamma"], grads[f"{i}.beta"] = ref_batchnorm_backward(
                    dy, self.params[f"{i}.gamma"], cache
                )
        return dy, grads


def build(kind: str, dtype, seed: int):
    """nnreg のモデルと、同じ初期値・同じ乱数列の参照のモデル。"""
    rng = np.random.default_rng(seed)
    layers = [Dense(12, 16, rng=rng, dtype=dtype)]
    if kind == "bn":
        layers.append(BatchNorm(16))
    layers.append(ReLU())
    dropout_rngs = []
    if kind == "dropout":
        layers.append(Dropout(0.3, rng=np.random.default_rng(seed + 100)))
        dropout_rngs.append(np.random.default_rng(seed + 100))
    layers += [Dense(16, 8, rng=rng, dtype=dtype), ReLU(), Dense(8, 5, rng=rng, dtype=dtype)]
    model = nnreg.Sequential(layers)
    return model, RefModel(model, dropout_rngs)


def assert_bits_equal(a, b, what: str) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != {b.dtype}"
    assert a.shape == b.shape, f"{what}: 形状 {a.shape} != {b.shape}"
    # array_equal は -0.0 == 0.0 を等しいとみなすので、ビット列（と NaN の位置）も比べます
    assert np.array_equal(a, b, equal_nan=True), f"{what}: 値が違います"
    assert a.tobytes() == b.tobytes(), f"{what}: ビット列が違います（-0.0 と +0.0 など）"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["plain", "dropout", "bn"])
@pytest.mark.parametrize("opt_name", list(OPTIMIZERS))
@pytest.mark.parametrize("l2", [0.0, 1e-3])
def test_training_steps_are_bit_identical_to_the_textbook_formulas(dtype, kind, opt_name, l2):
    model, ref = build(kind, dtype, seed=3)
    make_opt, ref_update, lr = OPTIMIZERS[opt_name]
    opt = make_opt()
    loss = nnreg.SoftmaxCrossEntropy()
    reg = L2(l2) if l2 else None
    params, grads = model.parameters(), model.gradients()
    ref_state: dict = {}
    data_rng = np.random.default_rng(7)
    for step in range(6):
        batch = 9 if step % 2 else 16
        x = data_rng.standard_normal((batch, 12)).astype(dtype) * 2
        y = data_rng.integers(0, 5, batch)

        out = model.forward(x, train=True)
        value = loss.forward(out, y)
        dout = loss.backward()
        if reg is not None:
            value += reg.penalty(params)
        dx = model.backward(dout)
        if reg is not None:
            for key, g in reg.grad(params).items():
                grads[key] += g
        opt.step(params, grads)

        ref_out = ref.forward(x)
        ref_value, ref_dout = ref_softmax_cross_entropy(ref_out, y)
        if reg is not None:
            ref_value += float(l2 * sum(np.sum(v * v) for k, v in ref.params.items() if k.endswith("W")))
        ref_dx, ref_grads = ref.backward(ref_dout)
        if reg is not None:
            for key, v in ref.params.items():
                if key.endswith("W"):
                    ref_grads[key] += 2.0 * l2 * v
        for key in ref.params:
            ref_update(ref.params[key], ref_grads[key], ref_state.setdefault(key, {}), lr)

        where = f"ステップ {step}"
        assert_bits_equal(out, ref_out, f"{where} の出力")
        assert value == ref_value, f"{where} の損失"
        assert_bits_equal(dout, ref_dout, f"{where} の損失の勾配")
        assert_bits_equal(dx, ref_dx, f"{where} の入力の勾配")
        for key in ref.params:
            assert_bits_equal(grads[key], ref_grads[key], f"{where} の勾配 {key}")
            assert_bits_equal(params[key], ref.params[key], f"{where} のパラメータ {key}")
        for i, layer in enumerate(model.layers):
            if isinstance(layer, BatchNorm):
                assert_bits_equal(layer.running_mean, ref.bn_state[i]["mean"], f"{where} の移動平均")
                assert_bits_equal(layer.running_var, ref.bn_state[i]["var"], f"{where} の移動分散")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_returned_arrays_are_not_overwritten_by_the_next_step(dtype):
    """出力や入力の勾配は毎回新しい配列です（次の呼び出しで書き換わらない）。"""
    model, _ = build("plain", dtype, seed=1)
    loss = nnreg.SoftmaxCrossEntropy()
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((6, 12)), rng.standard_normal((6, 12))
    y = rng.integers(0, 5, 6)
    out1 = model.forward(x1)
    saved_out = out1.copy()
    loss.forward(out1, y)
    d1 = loss.backward()
    saved_d = d1.copy()
    dx1 = model.backward(d1)
    saved_dx = dx1.copy()
    acts1 = [layer.forward(x1) for layer in model.layers[:1]]
    saved_act = acts1[0].copy()
    out2 = model.forward(x2)
    loss.forward(out2, y)
    model.backward(loss.backward())
    model.layers[0].forward(x2)
    assert_bits_equal(out1, saved_out, "1 回目の出力")
    assert_bits_equal(d1, saved_d, "1 回目の損失の勾配")
    assert_bits_equal(dx1, saved_dx, "1 回目の入力の勾配")
    assert_bits_equal(acts1[0], saved_act, "1 回目の Dense の出力")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_relu_matches_np_where_on_special_values(dtype):
    """ReLU の順伝播は np.where(x > 0, x, 0.0) と同じビット（-0.0 → +0.0、NaN → +0.0、inf → inf）。"""
    x = np.array([[-0.0, 0.0, np.nan, -np.nan, np.inf, -np.inf, 1.5, -2.5, 1e-45, -1e-45]], dtype=dtype)
    x = np.repeat(x, 3, axis=0)
    relu = ReLU()
    y = relu.forward(x)
    ref_y, mask = ref_relu_forward(x)
    assert_bits_equal(y, ref_y, "ReLU の出力")
    dy = np.array([[-1.0, 2.0, -3.0, 4.0, -0.0, 0.0, np.nan, -np.inf, 5.0, -6.0]], dtype=dtype).repeat(
        3, axis=0
    )
    with np.errstate(invalid="ignore"):  # inf × 0 = NaN（fit も errstate の中で計算します）
        assert_bits_equal(relu.backward(dy), ref_relu_backward(dy, mask), "ReLU の逆伝播")
    relu_t = ReLU()  # 転置など、連続でない入力でも同じ
    for xs in (x.T, x[:, ::3], np.asfortranarray(x)):
        y = relu_t.forward(xs)
        ref_y = ref_relu_forward(xs)[0]
        assert_bits_equal(y, ref_y, "連続でない入力の ReLU")
        assert y.strides == ref_y.strides  # メモリの並びも同じ（次の行列積の呼び方が変わらない）


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("opt_name", list(OPTIMIZERS))
def test_fit_is_bit_identical_to_a_textbook_loop(dtype, opt_name):
    """``fit``（シャッフル・ミニバッチ・L2・履歴）を、参照の式で書いた素直なループと比べます。"""
    data = np.random.default_rng(5)
    X = data.standard_normal((50, 12)).astype(dtype)
    y = data.integers(0, 5, 50)
    model, ref = build("plain", dtype, seed=11)
    make_opt, ref_update, lr = OPTIMIZERS[opt_name]
    l2 = 1e-3
    hist = nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        make_opt(),
        X,
        y,
        epochs=3,
        batch_size=16,
        regularizer=L2(l2),
        rng=np.random.default_rng(9),
    )
    rng = np.random.default_rng(9)
    state: dict = {}
    ref_losses, ref_accs = [], []
    for _ in range(3):
        order = rng.permutation(50)
        total, correct = 0.0, 0
        for start in range(0, 50, 16):
            idx = order[start : start + 16]
            xb, yb = X[idx], y[idx]
            out = ref.forward(xb)
            value, dout = ref_softmax_cross_entropy(out, yb)
            value += float(l2 * sum(np.sum(v * v) for k, v in ref.params.items() if k.endswith("W")))
            _, grads = ref.backward(dout)
            for key, v in ref.params.items():
                if key.endswith("W"):
                    grads[key] += 2.0 * l2 * v
            for key in ref.params:
                ref_update(ref.params[key], grads[key], state.setdefault(key, {}), lr)
            total += value * len(idx)
            correct += int(np.sum(np.argmax(out, axis=1) == yb))
        ref_losses.append(total / 50)
        ref_accs.append(correct / 50)
    assert hist.train_loss == ref_losses
    assert hist.train_acc == ref_accs
    params = model.parameters()
    for key in ref.params:
        assert_bits_equal(params[key], ref.params[key], f"学習後のパラメータ {key}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(300, 200), (513, 129), (70000,)])
def test_sgd_on_large_arrays_is_bit_identical(dtype, shape):
    """大きな配列（分けて更新する場合）でも、SGD の更新は ``p -= lr * g`` と同じビットです。"""
    rng = np.random.default_rng(0)
    p = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    ref_p = p.copy()
    opt = nnreg.SGD(lr=0.013)
    for _ in range(3):
        opt.step({"0.W": p}, {"0.W": g})
        ref_sgd(ref_p, g, {}, 0.013)
        assert_bits_equal(p, ref_p, "SGD の更新")
    view = np.zeros((shape[0], 2, *shape[1:]), dtype=dtype)[:, 0]  # 連続でない配列もそのまま更新
    ref_view = view.copy()
    opt.step({"1.W": view}, {"1.W": p})
    ref_sgd(ref_view, p, {}, 0.013)
    assert_bits_equal(view, ref_view, "連続でない配列の SGD の更新")


@pytest.mark.parametrize("kind", ["plain", "dropout", "bn"])
def test_backward_for_fit_writes_the_same_gradients_as_backward(kind):
    """fit が使う ``_backward_for_fit``（最初の層の入力の勾配を省く）は ``backward`` と同じ勾配を書きます。"""
    x = np.random.default_rng(2).standard_normal((10, 12))
    grads = []
    for use_fit_path in (False, True):
        model, _ = build(kind, np.float64, seed=4)
        out = model.forward(x)
        dy = np.ones_like(out) / out.size
        model._backward_for_fit(dy) if use_fit_path else model.backward(dy)
        grads.append({k: v.copy() for k, v in model.gradients().items()})
    for key in grads[0]:
        assert_bits_equal(grads[1][key], grads[0][key], f"勾配 {key}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_is_bit_identical_to_the_where_formula(dtype):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((50, 40)) * 8).astype(dtype)
    x.flat[:8] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e4, -1e4, 1e-30]
    e = np.exp(-np.abs(x))
    with np.errstate(invalid="ignore"):
        want = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(dtype, copy=False)
        got = nnreg.Sigmoid().forward(x)
    assert got.dtype == want.dtype
    assert got.tobytes() == want.tobytes()
