"""学習率のスケジュール（nnreg.schedules）と、fit(schedule=..., schedule_per=...) のテスト（Issue #12）。"""

import math

import numpy as np
import pytest

import nnreg
from nnreg.schedules import values

# ---- スケジュールの値（手計算） ------------------------------------------------------------------


def test_constant_is_one():
    assert [nnreg.Constant()(t) for t in (0, 1, 1000)] == [1.0, 1.0, 1.0]


def test_step_decay_values_by_hand():
    s = nnreg.StepDecay(3, gamma=0.5)
    # 0.5 の累乗は 2 進数で正確なので == で比べられます
    assert [s(t) for t in range(8)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert nnreg.StepDecay(1, 0.1)(2) == pytest.approx(0.01, rel=1e-15)


def test_cosine_decay_values_by_hand():
    s = nnreg.CosineDecay(4, min_factor=0.2)
    assert s(0) == 1.0
    # t = 1: 0.2 + 0.8·(1 + cos(π/4))/2 = 0.6 + 0.4·√2/2
    np.testing.assert_allclose(s(1), 0.6 + 0.4 * math.sqrt(2) / 2, rtol=1e-15)
    np.testing.assert_allclose(s(2), 0.6, rtol=1e-15)  # cos(π/2) = 0（丸めで 6e-17 ずれる）
    assert s(4) == pytest.approx(0.2, rel=1e-15)
    assert s(4) == s(5) == s(100)  # total の後は min_factor のまま
    # 既定の min_factor = 0 では t = total でちょうど 0（cos(π) = -1 は正確）
    assert nnreg.CosineDecay(10)(10) == 0.0


def test_linear_warmup_values_by_hand():
    s = nnreg.LinearWarmup(4)
    assert [s(t) for t in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_warmup_then_step_decay_counts_after_from_zero():
    s = nnreg.LinearWarmup(2, after=nnreg.StepDecay(2, gamma=0.5))
    # t = 0, 1 はウォームアップ。t = 2 で after(0) = 1、t = 4 で after(2) = 0.5、t = 6 で after(4) = 0.25
    assert [s(t) for t in range(7)] == [0.5, 1.0, 1.0, 1.0, 0.5, 0.5, 0.25]


def test_warmup_accepts_any_callable_and_nests():
    inner = nnreg.LinearWarmup(2, after=lambda t: 0.1)
    s = nnreg.LinearWarmup(1, after=inner)
    assert [s(t) for t in range(5)] == [1.0, 0.5, 1.0, 0.1, 0.1]


def test_values_lists_the_first_n_factors():
    v = values(nnreg.StepDecay(2, 0.5), 5)
    assert v.dtype == np.float64
    np.testing.assert_array_equal(v, [1.0, 1.0, 0.5, 0.5, 0.25])


def test_reprs_show_the_settings():
    assert repr(nnreg.StepDecay(3, 0.5)) == "StepDecay(step_size=3, gamma=0.5)"
    assert repr(nnreg.LinearWarmup(5, after=nnreg.CosineDecay(10))) == (
        "LinearWarmup(warmup_steps=5, after=CosineDecay(total=10, min_factor=0.0))"
    )


# ---- 不正な入力 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: nnreg.StepDecay(0), "step_size"),
        (lambda: nnreg.StepDecay(2.5), "step_size"),
        (lambda: nnreg.StepDecay(2, gamma=0.0), "gamma"),
        (lambda: nnreg.StepDecay(2, gamma=1.5), "gamma"),
        (lambda: nnreg.CosineDecay(0), "total"),
        (lambda: nnreg.CosineDecay(10, min_factor=1.5), "min_factor"),
        (lambda: nnreg.CosineDecay(10, min_factor=-0.1), "min_factor"),
        (lambda: nnreg.LinearWarmup(0), "warmup_steps"),
        (lambda: nnreg.LinearWarmup(3, after=0.5), "after"),
        (lambda: values("cos", 3), "schedule"),
        (lambda: values(nnreg.Constant(), 0), "n"),
    ],
)
def test_bad_arguments_are_rejected_in_japanese(make, match):
    with pytest.raises(ValueError, match=match) as info:
        make()
    assert "期待" in str(info.value) and "受け取った" in str(info.value)


@pytest.mark.parametrize("t", [-1, 1.5, True, "3"])
def test_schedule_rejects_bad_step(t):
    with pytest.raises(ValueError, match="t（0 から数えた"):
        nnreg.StepDecay(2)(t)


# ---- fit がスケジュールを使うこと ----------------------------------------------------------------


class RecordingSGD(nnreg.SGD):
    """各ステップで使った学習率を記録する SGD。"""

    def __init__(self, lr):
        super().__init__(lr)
        self.used = []

    def step(self, params, grads):
        self.used.append(self.lr)
        super().step(params, grads)


def _fit(optimizer, *, epochs=3, **kw):
    # 10 サンプル・バッチ 3 → 1 エポック 4 ステップ（3, 3, 3, 1）
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 2))
    y = X @ np.array([1.0, -1.0])
    model = nnreg.Sequential([nnreg.Dense(2, 1, rng=rng)])
    model.w0 = model.parameters()["0.W"].copy()  # 学習前の重み
    hist = nnreg.fit(
        model, nnreg.MeanSquaredError(), optimizer, X, y, epochs=epochs, batch_size=3, rng=rng, **kw
    )
    return model, hist


def test_fit_applies_schedule_per_step():
    opt = RecordingSGD(0.1)
    _fit(opt, schedule=nnreg.StepDecay(5, gamma=0.5))
    expected = [0.1 * 0.5 ** (t // 5) for t in range(12)]
    assert opt.used == expected  # t は済んだステップ数（0 始まり）で、エポックをまたいで数え続ける
    assert opt.lr == expected[-1]  # 学習の後も元に戻さない


def test_fit_applies_schedule_per_epoch():
    opt = RecordingSGD(0.2)
    _fit(opt, schedule=nnreg.StepDecay(1, gamma=0.5), schedule_per="epoch")
    # t = エポック番号 − 1。1 エポック（4 ステップ）の間は同じ学習率
    assert opt.used == [0.2] * 4 + [0.1] * 4 + [0.05] * 4


def test_fit_warmup_per_step_reaches_base_lr():
    opt = RecordingSGD(0.3)
    _fit(opt, epochs=2, schedule=nnreg.LinearWarmup(4))
    np.testing.assert_allclose(opt.used, [0.075, 0.15, 0.225, 0.3, 0.3, 0.3, 0.3, 0.3], rtol=1e-15)


def test_constant_schedule_is_bit_identical_to_no_schedule():
    m1, h1 = _fit(nnreg.Momentum(0.05))
    m2, h2 = _fit(nnreg.Momentum(0.05), schedule=nnreg.Constant())
    assert h1.train_loss == h2.train_loss
    for k, v in m1.parameters().items():
        np.testing.assert_array_equal(v, m2.parameters()[k])


def test_zero_factor_means_no_update():
    # 倍率 0 なら学習率 0: パラメータは初期値のまま（スケジュールが本当に効いていることの確認）
    model, _ = _fit(nnreg.SGD(0.1), schedule=lambda t: 0.0)
    np.testing.assert_array_equal(model.parameters()["0.W"], model.w0)
    model, _ = _fit(nnreg.SGD(0.1))
    assert not np.array_equal(model.parameters()["0.W"], model.w0)


def test_fit_schedule_reads_base_lr_once():
    # 2 回目の fit は、1 回目の最後の学習率を新しい基準にする（黙って元に戻したりしない）
    opt = RecordingSGD(0.1)
    _fit(opt, epochs=1, schedule=nnreg.StepDecay(2, gamma=0.5))
    assert opt.used == [0.1, 0.1, 0.05, 0.05]
    _fit(opt, epochs=1, schedule=nnreg.StepDecay(2, gamma=0.5))
    assert opt.used[4:] == [0.05, 0.05, 0.025, 0.025]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"schedule": "cosine"}, "schedule は t を受け取って"),
        ({"schedule": nnreg.Constant(), "schedule_per": "batch"}, "schedule_per"),
        ({"schedule_per": "epochs"}, "schedule_per"),
        ({"schedule": lambda t: -0.5}, r"ステップ t = 0 で受け取った値: -0.5"),
        ({"schedule": lambda t: float("nan") if t == 5 else 1.0}, r"ステップ t = 5"),
        ({"schedule": lambda t: "1", "schedule_per": "epoch"}, r"エポック t = 0"),
        ({"clip_norm": 0.0}, "clip_norm"),
        ({"clip_norm": -1}, "clip_norm"),
    ],
)
def test_fit_rejects_bad_schedule_and_clip_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        _fit(nnreg.SGD(0.1), **kw)


def test_fit_schedule_needs_an_lr_attribute():
    class NoLR:
        def step(self, params, grads):
            pass

    with pytest.raises(ValueError, match="属性 lr"):
        _fit(NoLR(), schedule=nnreg.Constant())
