import numpy as np
import pytest

from nnreg.datasets import make_sine_regression, polynomial_features
from nnreg.exercises import ExerciseFailed, ch07
from nnreg.experiments import over_seeds, paired_difference


# ---------------------------------------------------------------- 演習 1
def early_stop(values, patience, min_delta=0.0, mode="min", restore_best=True):
    sign = 1.0 if mode == "min" else -1.0
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, v in enumerate(values, start=1):
        u = sign * v
        if u < best - min_delta:
            best, best_epoch, wait = u, epoch, 0
        else:
            wait += 1
            if wait >= max(patience, 1):
                return epoch, best_epoch if restore_best else epoch
    return None, best_epoch if restore_best else len(values)


def make_wrong(**change):
    def wrong(values, patience, min_delta=0.0, mode="min", restore_best=True):
        sign = 1.0 if mode == "min" or change.get("flip") else -1.0
        delta = 0.0 if change.get("ignore_delta") else min_delta
        limit = max(patience, 1) + change.get("late", 0)
        best, best_epoch, wait = np.inf, 0, 0
        for epoch, v in enumerate(values, start=1):
            u = sign * v
            better = u <= best - delta if change.get("tie") else u < best - delta
            if better:
                best, best_epoch, wait = u, epoch, 0
            else:
                wait += 1
                if wait >= limit:
                    kept = epoch if change.get("keep_last") or not restore_best else best_epoch
                    return epoch, kept
        last = len(values)
        stop = last if change.get("not_none") else None
        return stop, last if change.get("keep_last") or not restore_best else best_epoch

    return wrong


def test_early_stop_correct(capsys):
    ch07.check_early_stop(early_stop)
    assert "✔ early_stop: 正解です" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "hint"),
    [
        ({"late": 1}, "1 エポック遅れています"),
        ({"tie": True}, "<= ではなく <"),
        ({"ignore_delta": True}, "min_delta を無視"),
        ({"flip": True}, "mode='max'"),
        ({"keep_last": True}, "書き戻すのは最良のエポック"),
        ({"not_none": True}, "None にします"),
    ],
)
def test_early_stop_wrong_variants(capsys, change, hint):
    with pytest.raises(ExerciseFailed):
        ch07.check_early_stop(make_wrong(**change))
    assert hint in capsys.readouterr().out


def test_early_stop_unanswered_and_errors(capsys):
    def stub(values, patience, min_delta=0.0, mode="min", restore_best=True):
        pass

    with pytest.raises(ExerciseFailed):
        ch07.check_early_stop(stub)
    assert "まだ None" in capsys.readouterr().out

    def todo(*args):
        raise NotImplementedError

    with pytest.raises(ExerciseFailed):
        ch07.check_early_stop(todo)
    assert "まだ実装されていません" in capsys.readouterr().out

    def broken(values, *args):
        return values[100], 1

    with pytest.raises(ExerciseFailed):
        ch07.check_early_stop(broken)
    assert "IndexError" in capsys.readouterr().out


def test_early_stop_generic_mismatch_shows_case(capsys):
    def off(values, patience, min_delta=0.0, mode="min", restore_best=True):
        stop, kept = early_stop(values, patience, min_delta, mode, restore_best)
        return stop, kept if len(values) != 1 else 0

    with pytest.raises(ExerciseFailed):
        ch07.check_early_stop(off)
    out = capsys.readouterr().out
    assert "values=[0.5]" in out and "期待" in out


# ---------------------------------------------------------------- 演習 2
def lam_equivalent(h, lr, t):
    r = (1 - lr * np.asarray(h)) ** t
    return np.asarray(h) / 2 * r / (1 - r)


def test_lam_equivalent_correct(capsys):
    ch07.check_lam_equivalent(lam_equivalent)
    assert "正解です" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda h, lr, t: np.full(np.shape(h), 1 / (2 * lr * t)), "近似です"),
        (lambda h, lr, t: 2 * lam_equivalent(h, lr, t), "2 倍の値"),
        (lambda h, lr, t: h / 2 * np.exp(-lr * t * h) / (1 - np.exp(-lr * t * h)), "e^(−η t h)"),
        (lambda h, lr, t: h / 2 * (1 - (1 - lr * h) ** t) / (1 - lr * h) ** t, "逆です"),
        (lambda h, lr, t: float(lam_equivalent(h, lr, t)[0]), "形が違います"),
    ],
)
def test_lam_equivalent_wrong(capsys, wrong, hint):
    with pytest.raises(ExerciseFailed):
        ch07.check_lam_equivalent(wrong)
    assert hint in capsys.readouterr().out


# ---------------------------------------------------------------- 演習 3
def _setup():
    steps, W, b, X_te, y_te = ch07._small_val_path()
    return steps, W, b, X_te, y_te


STEPS, W_PATH, B_PATH, X_TE, Y_TE = _setup()


def choose_on_val(n_val, seed, use_test=False):
    x_v, y_v = make_sine_regression(n_val, noise=0.2, seed=seed)
    X_v = polynomial_features(x_v, 9)
    val = np.mean((X_v @ W_PATH.T + B_PATH - y_v[:, None]) ** 2, axis=0)
    test = np.mean((X_TE @ W_PATH.T + B_PATH - Y_TE[:, None]) ** 2, axis=0)
    i = int(np.argmin(test if use_test else val))
    return {"log10_t": np.log10(STEPS[i]), "val_mse": val[i], "test_mse": test[i]}


def test_choose_on_val(capsys):
    ch07.check_choose_on_val(choose_on_val)
    assert "正解です" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch07.check_choose_on_val(lambda n, s: choose_on_val(n, s, use_test=True))
    assert "テスト MSE が最小のステップ" in capsys.readouterr().out

    def raw_steps(n, s):
        out = choose_on_val(n, s)
        out["log10_t"] = 10 ** out["log10_t"]
        return out

    with pytest.raises(ExerciseFailed):
        ch07.check_choose_on_val(raw_steps)
    assert "log10 を入れて" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch07.check_choose_on_val(lambda n, s: None)
    assert "まだ None" in capsys.readouterr().out


def _small_val_diffs(study):
    def gap(n):
        return study[n].values["test_mse"] - study[n].values["val_mse"]

    opt = paired_difference(gap(5), gap(50))
    test = paired_difference(study[5].values["test_mse"], study[50].values["test_mse"])
    return opt, test


def test_small_val(capsys):
    seeds = range(8)
    study = {n: over_seeds(lambda s, n=n: choose_on_val(n, s), seeds) for n in ch07.SMALL_VAL_SIZES}
    opt, test = _small_val_diffs(study)
    ch07.check_small_val(choose_on_val, study, opt, test)
    assert "正解です" in capsys.readouterr().out
    # 演習 1（第8章）の paired_ci のような (平均, 下端, 上端) の 3 つ組でも通る
    ch07.check_small_val(choose_on_val, study, (opt.mean, opt.low, opt.high), test)
    assert "正解です" in capsys.readouterr().out
    # レビューで確かめた値: 楽観もテスト MSE も、8 シードでは区間が 0 をまたぐ
    assert opt.low < 0 < opt.high and test.low < 0 < test.high
    assert opt.mean > 0 and test.mean > 0

    def gap(n):
        return study[n].values["test_mse"] - study[n].values["val_mse"]

    with pytest.raises(ExerciseFailed):
        ch07.check_small_val(choose_on_val, study, paired_difference(gap(50), gap(5)), test)
    assert "符号が逆です" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch07.check_small_val(choose_on_val, study, test, opt)
    assert "入れ替わっています" in capsys.readouterr().out
    val_only = paired_difference(study[5].values["val_mse"], study[50].values["val_mse"])
    with pytest.raises(ExerciseFailed):
        ch07.check_small_val(choose_on_val, study, val_only, test)
    assert "test_mse − val_mse" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch07.check_small_val(choose_on_val, study, opt, None)
    assert "まだ None" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch07.check_small_val(choose_on_val, study, opt, True)
    assert "paired_difference" in capsys.readouterr().out
    swapped = {5: study[50], 50: study[5]}
    with pytest.raises(ExerciseFailed):
        ch07.check_small_val(choose_on_val, swapped, opt, test)
    assert "期待と一致しません" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch07.check_small_val(choose_on_val, None, opt, test)
    assert "まだ None" in capsys.readouterr().out
