"""第7章 早期終了: EarlyStopping と fit の on_train_end フック。"""

import numpy as np
import pytest

import nnreg
from nnreg.callbacks import EarlyStopping
from nnreg.datasets import load_digits


class ScriptedModel:
    """パラメータ 1 個のモデル。エポックごとに値をエポック番号に書き換えて、どの時点の重みかを追えるようにします。"""

    def __init__(self):
        self.layers = []
        self.w = np.zeros(3)

    def parameters(self):
        return {"0.W": self.w}


def run_script(es, values, *, metric="val_loss", model=None):
    """検証の値の列を 1 エポックずつ History に足し、fit と同じ順でコールバックを呼びます。"""
    model = model or ScriptedModel()
    hist = nnreg.History()
    for epoch, v in enumerate(values, start=1):
        model.w[...] = epoch
        hist.train_loss.append(0.0)
        getattr(hist, metric).append(v)
        if es.on_epoch_end(epoch, hist, model):
            hist.stopped_epoch = epoch
            break
    es.on_train_end(hist, model)
    return hist, model


VALUES = [1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.9, 0.95, 0.6, 0.5]


@pytest.mark.parametrize(("patience", "stopped"), [(0, 4), (1, 4), (2, 5), (3, 6), (4, 7), (6, None)])
def test_stops_after_patience_epochs_without_improvement(patience, stopped):
    # 最良はエポック 3（0.7）。4〜8 は改善なし、9 で改善
    es = EarlyStopping(patience=patience, restore_best=False)
    hist, _ = run_script(es, VALUES)
    assert es.stopped_epoch == stopped == hist.stopped_epoch
    if stopped is None:
        assert es.best_epoch == 10 and es.best_value == 0.5
    else:
        assert es.best_epoch == 3 and es.best_value == 0.7
        assert len(hist.val_loss) == stopped


def test_restore_best_writes_best_parameters_back_into_live_arrays():
    es = EarlyStopping(patience=2, restore_best=True)
    model = ScriptedModel()
    live = model.w
    _, model = run_script(es, VALUES, model=model)
    assert es.stopped_epoch == 5
    assert model.w is live  # 配列そのものに書き戻す（差し替えない）
    np.testing.assert_array_equal(live, np.full(3, 3.0))
    assert es.restored

    es = EarlyStopping(patience=2, restore_best=False)
    _, model = run_script(es, VALUES)
    np.testing.assert_array_equal(model.w, np.full(3, 5.0))  # 止めた時点のまま
    assert not es.restored


def test_restore_best_also_when_epochs_run_out():
    es = EarlyStopping(patience=10)
    hist, model = run_script(es, [3.0, 1.0, 2.0, 2.5])
    assert es.stopped_epoch is None and hist.stopped_epoch is None
    np.testing.assert_array_equal(model.w, np.full(3, 2.0))


def test_min_delta_requires_improvement_larger_than_delta():
    values = [1.0, 0.95, 0.92, 0.85, 0.84]
    es = EarlyStopping(patience=2, min_delta=0.1, restore_best=False)
    run_script(es, values)
    # 0.95, 0.92 は 1.0 - 0.1 = 0.9 より大きいので改善ではない → エポック 3 で止まる
    assert es.best_epoch == 1 and es.stopped_epoch == 3
    es = EarlyStopping(patience=3, min_delta=0.1, restore_best=False)
    run_script(es, values)
    assert es.best_epoch == 4 and es.best_value == 0.85 and es.stopped_epoch is None
    # ちょうど min_delta だけの改善は改善とみなさない（厳密な不等号）
    es = EarlyStopping(patience=1, min_delta=0.25, restore_best=False)
    run_script(es, [1.0, 0.75])
    assert es.best_epoch == 1 and es.stopped_epoch == 2


def test_accuracy_is_maximized():
    es = EarlyStopping(monitor="val_acc", patience=2, restore_best=True)
    _, model = run_script(es, [0.5, 0.7, 0.9, 0.8, 0.85, 0.95], metric="val_acc")
    assert es.mode == "max"
    assert es.best_epoch == 3 and es.best_value == 0.9 and es.stopped_epoch == 5
    np.testing.assert_array_equal(model.w, np.full(3, 3.0))


def test_reused_callback_resets_at_epoch_one():
    es = EarlyStopping(patience=1, restore_best=False)
    run_script(es, [1.0, 2.0])
    assert es.stopped_epoch == 2
    run_script(es, [5.0, 4.0, 3.0])
    assert es.best_epoch == 3 and es.best_value == 3.0 and es.stopped_epoch is None


@pytest.fixture(scope="module")
def small_digits():
    return load_digits(n_train=100, seed=0)


def _fit(digits, callbacks, epochs=40, with_val=True):
    rng = np.random.default_rng(0)
    model = nnreg.mlp((64, 32, 10), rng=rng)
    val = {"X_val": digits.X_val, "y_val": digits.y_val} if with_val else {}
    hist = nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.Adam(lr=0.03),
        digits.X_train,
        digits.y_train,
        epochs=epochs,
        batch_size=20,
        callbacks=callbacks,
        rng=rng,
        **val,
    )
    return model, hist


def test_fit_early_stopping_restores_best_model_on_real_training(small_digits):
    es = EarlyStopping(patience=3)
    model, hist = _fit(small_digits, [es])
    assert hist.stopped_epoch == es.stopped_epoch is not None
    assert es.stopped_epoch == es.best_epoch + 3 == len(hist.val_loss)
    assert es.best_epoch == hist.best_epoch("val_loss")
    assert es.best_value == hist.val_loss[es.best_epoch - 1] == min(hist.val_loss)
    # 書き戻したモデルの検証損失は、最良エポックの記録と（計算の順序まで同じなので）完全に一致
    v_loss, v_acc = nnreg.evaluate(model, nnreg.SoftmaxCrossEntropy(), small_digits.X_val, small_digits.y_val)
    assert v_loss == hist.val_loss[es.best_epoch - 1]
    assert v_acc == hist.val_acc[es.best_epoch - 1]
    assert v_loss < hist.val_loss[-1]

    # 早期終了はそれまでの学習に口を出さない: 同じ seed の最後までの学習と、止めた所まで記録が一致
    _, full = _fit(small_digits, [], epochs=es.stopped_epoch)
    assert full.val_loss == hist.val_loss


class EndRecorder:
    def __init__(self):
        self.calls = []

    def on_epoch_end(self, epoch, history, model):
        return False

    def on_train_end(self, history, model):
        self.calls.append(len(history.train_loss))


def test_fit_calls_on_train_end_once_and_old_callbacks_still_work(small_digits):
    class OnlyEpochEnd:  # on_train_end を持たない古い形のコールバック
        def __init__(self):
            self.n = 0

        def on_epoch_end(self, epoch, history, model):
            self.n += 1
            return epoch == 4

    rec, old = EndRecorder(), OnlyEpochEnd()
    _, hist = _fit(small_digits, [old, rec], epochs=10)
    assert old.n == 4 and hist.stopped_epoch == 4
    assert rec.calls == [4]
    rec = EndRecorder()
    _fit(small_digits, [rec], epochs=3)
    assert rec.calls == [3]


def test_fit_calls_on_train_end_after_divergence(capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 2)) * 10
    y = X @ np.array([3.0, -2.0])
    rec = EndRecorder()
    hist = nnreg.fit(
        nnreg.Sequential([nnreg.Dense(2, 1, rng=rng)]),
        nnreg.MeanSquaredError(),
        nnreg.SGD(lr=10.0),
        X,
        y,
        epochs=50,
        batch_size=8,
        callbacks=[rec],
        rng=rng,
    )
    assert hist.diverged and rec.calls == [len(hist.train_loss)]
    assert "発散" in capsys.readouterr().out


def test_restore_includes_batchnorm_running_statistics(small_digits):
    rng = np.random.default_rng(1)
    model = nnreg.Sequential(
        [nnreg.Dense(64, 16, rng=rng), nnreg.BatchNorm(16), nnreg.ReLU(), nnreg.Dense(16, 10, rng=rng)]
    )
    snapshots = {}

    class Snap:
        def on_epoch_end(self, epoch, history, model):
            snapshots[epoch] = model.layers[1].running_mean.copy()

    es = EarlyStopping(patience=2)
    nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.Adam(lr=0.05),
        small_digits.X_train,
        small_digits.y_train,
        X_val=small_digits.X_val,
        y_val=small_digits.y_val,
        epochs=40,
        batch_size=20,
        callbacks=[es, Snap()],
        rng=rng,
    )
    assert es.restored and es.best_epoch < max(snapshots)
    np.testing.assert_array_equal(model.layers[1].running_mean, snapshots[es.best_epoch])
    assert not np.array_equal(snapshots[es.best_epoch], snapshots[max(snapshots)])


def test_missing_validation_data_gives_clear_error(small_digits):
    with pytest.raises(ValueError, match="val_loss.*X_val と y_val"):
        _fit(small_digits, [EarlyStopping()], with_val=False)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"monitor": "val_los"}, "monitor.*'val_los'"),
        ({"monitor": "penalty"}, "monitor"),
        ({"patience": -1}, "patience は 0 以上"),
        ({"patience": 2.5}, "patience は整数"),
        ({"patience": True}, "patience は整数"),
        ({"min_delta": -0.1}, "min_delta は 0 以上"),
        ({"min_delta": float("nan")}, "min_delta"),
        ({"restore_best": "yes"}, "restore_best"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        EarlyStopping(**kwargs)


def test_repr_has_no_address():
    es = EarlyStopping(patience=2)
    run_script(es, [1.0, 0.5, 0.6])
    assert "0x" not in repr(es) and "最良 エポック 2" in repr(es)


def test_evaluator_records_inference_mode_metrics_every_epoch():
    from nnreg.callbacks import Evaluator

    d = load_digits(n_train=100, seed=0)
    rng = np.random.default_rng(0)
    model = nnreg.mlp((64, 32, 10), rng=rng, dropout=0.5)
    ev = Evaluator(d.X_train, d.y_train, nnreg.SoftmaxCrossEntropy())
    hist = nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.Adam(0.01),
        d.X_train,
        d.y_train,
        epochs=3,
        batch_size=20,
        callbacks=[ev],
        rng=rng,
    )
    assert len(ev.loss) == len(ev.acc) == 3
    # 最後の記録は学習後のモデルを推論モードで評価した値と一致する（ドロップアウトの雑音を含まない）
    loss, acc = nnreg.evaluate(model, nnreg.SoftmaxCrossEntropy(), d.X_train, d.y_train)
    assert ev.loss[-1] == pytest.approx(loss) and ev.acc[-1] == pytest.approx(acc)
    assert ev.loss[-1] != pytest.approx(hist.train_loss[-1])
    with pytest.raises(ValueError, match="先頭の長さ"):
        Evaluator(d.X_train, d.y_train[:5], nnreg.SoftmaxCrossEntropy())
