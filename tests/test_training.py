import numpy as np
import pytest

import nnreg
from nnreg.datasets import load_digits


@pytest.fixture(scope="module")
def digits():
    return load_digits(seed=0)


def _train(digits, seed=0, epochs=15):
    rng = np.random.default_rng(seed)
    model = nnreg.mlp((64, 64, 10), rng=rng)
    hist = nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.Adam(lr=0.01),
        digits.X_train,
        digits.y_train,
        X_val=digits.X_val,
        y_val=digits.y_val,
        epochs=epochs,
        batch_size=32,
        rng=rng,
    )
    return model, hist


def test_fit_on_digits_reaches_stated_accuracy(digits):
    """64-64-10 の MLP を Adam で 15 エポック: 検証正解率 0.95 以上（実測 0.97 前後）。"""
    _, hist = _train(digits)
    assert len(hist.train_loss) == len(hist.val_loss) == len(hist.val_acc) == 15
    assert hist.val_acc[-1] >= 0.95
    assert hist.train_loss[-1] < hist.train_loss[0]
    assert not hist.diverged


def test_fit_is_deterministic(digits):
    _, a = _train(digits, seed=3, epochs=3)
    _, b = _train(digits, seed=3, epochs=3)
    assert a.train_loss == b.train_loss
    assert a.val_acc == b.val_acc


def test_fit_visits_every_sample_once_per_epoch():
    seen = []

    def augment(xb, rng):
        seen.append(xb[:, 0].copy())
        return xb

    X = np.arange(10, dtype=float)[:, None]
    y = np.zeros(10)
    rng = np.random.default_rng(0)
    model = nnreg.Sequential([nnreg.Dense(1, 1, rng=rng)])
    nnreg.fit(
        model,
        nnreg.MeanSquaredError(),
        nnreg.SGD(0.01),
        X,
        y,
        epochs=1,
        batch_size=3,
        augment=augment,
        rng=rng,
    )
    assert [len(s) for s in seen] == [3, 3, 3, 1]
    assert sorted(np.concatenate(seen)) == list(range(10))


def test_divergence_is_reported_not_hidden(capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 2)) * 10
    y = X @ np.array([3.0, -2.0])
    model = nnreg.Sequential([nnreg.Dense(2, 1, rng=rng)])
    hist = nnreg.fit(
        model, nnreg.MeanSquaredError(), nnreg.SGD(lr=10.0), X, y, epochs=50, batch_size=8, rng=rng
    )
    assert hist.diverged
    assert hist.diverged_epoch is not None and hist.diverged_epoch < 50
    assert hist.train_loss[-1] > 1e100 * hist.train_loss[0]  # 記録された損失は爆発している
    assert len(hist.train_loss) == hist.diverged_epoch - 1
    assert "発散" in capsys.readouterr().out
    assert "発散" in hist.summary()


def test_callback_can_stop_training(digits):
    class StopAt:
        def on_epoch_end(self, epoch, history, model):
            return epoch == 2

    rng = np.random.default_rng(0)
    hist = nnreg.fit(
        nnreg.mlp((64, 10), rng=rng),
        nnreg.SoftmaxCrossEntropy(),
        nnreg.SGD(0.1),
        digits.X_train,
        digits.y_train,
        epochs=10,
        batch_size=64,
        callbacks=[StopAt()],
        rng=rng,
    )
    assert hist.stopped_epoch == 2
    assert len(hist.train_loss) == 2


def test_history_best_epoch():
    h = nnreg.History(train_loss=[3, 2, 1, 0.5], val_loss=[3, 1.5, 1.7, 2.0], val_acc=[0.1, 0.5, 0.6, 0.4])
    assert h.best_epoch() == 2
    assert h.best_epoch("val_acc") == 3
    assert h.epochs == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 2.5}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"X_val": np.zeros((3, 4))}, "両方"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, pattern):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 4)), np.array([0, 1, 0, 1, 0, 1])
    args = {"epochs": 1, "batch_size": 2, "rng": rng} | kwargs
    with pytest.raises(ValueError, match=pattern):
        nnreg.fit(nnreg.mlp((4, 2), rng=rng), nnreg.SoftmaxCrossEntropy(), nnreg.SGD(0.1), X, y, **args)


def test_fit_rejects_nan_input_and_bad_labels():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 4))
    model = nnreg.mlp((4, 2), rng=rng)
    X_nan = X.copy()
    X_nan[2, 1] = np.nan
    with pytest.raises(ValueError, match="X_train.*NaN"):
        nnreg.fit(
            model,
            nnreg.SoftmaxCrossEntropy(),
            nnreg.SGD(0.1),
            X_nan,
            np.zeros(6, int),
            epochs=1,
            batch_size=2,
            rng=rng,
        )
    with pytest.raises(ValueError, match="0 以上 2 未満"):
        nnreg.fit(
            model,
            nnreg.SoftmaxCrossEntropy(),
            nnreg.SGD(0.1),
            X,
            np.array([0, 1, 2, 0, 1, 0]),
            epochs=1,
            batch_size=6,
            rng=rng,
        )
    with pytest.raises(ValueError, match="y_train.*6"):
        nnreg.fit(
            model,
            nnreg.SoftmaxCrossEntropy(),
            nnreg.SGD(0.1),
            X,
            np.zeros(5, int),
            epochs=1,
            batch_size=2,
            rng=rng,
        )
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        nnreg.fit(
            model,
            nnreg.SoftmaxCrossEntropy(),
            nnreg.SGD(0.1),
            X[:, :3],
            np.zeros(6, int),
            epochs=1,
            batch_size=2,
            rng=rng,
        )


def test_drop_last_skips_the_ragged_final_batch():
    sizes = []

    def augment(xb, rng):
        sizes.append(len(xb))
        return xb

    rng = np.random.default_rng(0)
    X = np.arange(10, dtype=float)[:, None]
    model = nnreg.Sequential([nnreg.Dense(1, 1, rng=rng)])
    nnreg.fit(
        model,
        nnreg.MeanSquaredError(),
        nnreg.SGD(0.01),
        X,
        np.zeros(10),
        epochs=2,
        batch_size=4,
        augment=augment,
        rng=rng,
        drop_last=True,
    )
    assert sizes == [4, 4, 4, 4]
    with pytest.raises(ValueError, match="drop_last"):
        nnreg.fit(
            model,
            nnreg.MeanSquaredError(),
            nnreg.SGD(0.01),
            X,
            np.zeros(10),
            epochs=1,
            batch_size=11,
            rng=rng,
            drop_last=True,
        )


def test_batchnorm_with_batch_of_two_trains_when_dropping_last():
    d = load_digits(n_train=101, seed=0)
    rng = np.random.default_rng(0)
    model = nnreg.mlp((64, 16, 10), rng=rng, norm="batch")
    with pytest.raises(ValueError, match="バッチサイズ 2 以上"):
        nnreg.fit(
            model,
            nnreg.SoftmaxCrossEntropy(),
            nnreg.SGD(0.05),
            d.X_train,
            d.y_train,
            epochs=1,
            batch_size=2,
            rng=rng,
        )
    hist = nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.SGD(0.05),
        d.X_train,
        d.y_train,
        epochs=1,
        batch_size=2,
        rng=rng,
        drop_last=True,
    )
    assert len(hist.train_loss) == 1 and np.isfinite(hist.train_loss[0])


def test_summary_fits_the_book_code_column():
    import unicodedata

    hist = nnreg.History()
    hist.train_loss, hist.val_loss = [2.5, 0.0821], [2.4, 0.1401]
    hist.train_acc, hist.val_acc = [0.1, 0.993], [0.1, 0.967]
    s = hist.summary()
    assert s == "エポック 2 / 損失 訓練 0.0821・検証 0.1401 / 正解率 訓練 0.993・検証 0.967"
    width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
    assert width <= 80


class _GradNormRecorder(nnreg.SGD):
    """optimizer.step に渡された勾配の大域ノルムを記録する SGD。"""

    def __init__(self, lr):
        super().__init__(lr)
        self.norms = []

    def step(self, params, grads):
        self.norms.append(float(np.sqrt(sum(np.sum(g * g) for g in grads.values()))))
        super().step(params, grads)


def _fit_clip(opt, **kw):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3)) * 5
    y = X @ np.array([2.0, -1.0, 0.5])
    model = nnreg.mlp((3, 8, 1), rng=rng)
    nnreg.fit(
        model,
        nnreg.MeanSquaredError(),
        opt,
        X,
        y,
        epochs=3,
        batch_size=8,
        rng=rng,
        regularizer=nnreg.L2(0.01),
        **kw,
    )
    return model


def test_fit_clip_norm_bounds_every_step():
    free = _GradNormRecorder(1e-3)
    _fit_clip(free)
    assert max(free.norms) > 1.0  # 切り詰めなければ 1 を超えるステップがある
    clipped = _GradNormRecorder(1e-3)
    _fit_clip(clipped, clip_norm=1.0)
    assert len(clipped.norms) == 15
    assert max(clipped.norms) <= 1.0  # 正則化項の勾配も含めた全体で 1 以下（1/(1 + 1e-6) 倍）


def test_fit_with_huge_clip_norm_is_bit_identical():
    a = _fit_clip(nnreg.Adam(0.01))
    b = _fit_clip(nnreg.Adam(0.01), clip_norm=1e12)
    for k, v in a.parameters().items():
        np.testing.assert_array_equal(v, b.parameters()[k])
