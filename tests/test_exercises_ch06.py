import numpy as np
import pytest

from nnreg.exercises import ExerciseFailed, ch06


def good_distance(T, g, lr, mu):
    return lr * abs(g) / (1 - mu) * (T - mu * (1 - mu**T) / (1 - mu))


def good_rms(t, g, lr, rho, eps):
    return lr * abs(g) / (np.sqrt(1 - rho**t) * abs(g) + eps)


def test_constant_gradient_correct(capsys):
    ch06.check_constant_gradient(good_distance, good_rms)
    out = capsys.readouterr().out
    assert "✔ momentum_distance: 正解です" in out and "✔ rmsprop_step: 正解です" in out


@pytest.mark.parametrize(
    ("dist", "rms", "hint"),
    [
        (lambda T, g, lr, mu: T * lr * abs(g) / (1 - mu), good_rms, "終端速度"),
        (lambda T, g, lr, mu: T * lr * abs(g), good_rms, "SGD と同じ"),
        (
            lambda T, g, lr, mu: lr * abs(g) / (1 - mu) * (T - (1 - mu**T) / (1 - mu)),
            good_rms,
            "1 つずれています",
        ),
        (good_distance, lambda t, g, lr, rho, eps: lr * abs(g) / (abs(g) + eps), "(1-ρ^t) g²"),
        (
            good_distance,
            lambda t, g, lr, rho, eps: lr * abs(g) / np.sqrt((1 - rho**t) * g * g + eps),
            "平方根の中",
        ),
        (good_distance, lambda t, g, lr, rho, eps: lr / np.sqrt(1 - rho**t), "ε を落とさずに"),
        (lambda *a: None, good_rms, "まだ None"),
    ],
)
def test_constant_gradient_wrong(dist, rms, hint, capsys):
    with pytest.raises(ExerciseFailed):
        ch06.check_constant_gradient(dist, rms)
    assert hint in capsys.readouterr().out


def good_momentum(params, grads, velocity, lr, mu):
    for k, p in params.items():
        v = velocity.setdefault(k, np.zeros_like(p))
        v *= mu
        v -= lr * grads[k]
        p += v


def ascending(params, grads, velocity, lr, mu):
    for k, p in params.items():
        v = velocity.setdefault(k, np.zeros_like(p))
        v *= mu
        v += lr * grads[k]
        p += v


def forgetful(params, grads, velocity, lr, mu):
    for k, p in params.items():
        v = np.zeros_like(p)
        v = mu * v - lr * grads[k]
        p += v


def rebinding(params, grads, velocity, lr, mu):
    for k in list(params):
        v = velocity.setdefault(k, np.zeros_like(params[k]))
        v *= mu
        v -= lr * grads[k]
        params[k] = params[k] + v


def old_velocity_first(params, grads, velocity, lr, mu):
    for k, p in params.items():
        v = velocity.setdefault(k, np.zeros_like(p))
        p += v
        v *= mu
        v -= lr * grads[k]


def test_momentum_correct(capsys):
    ch06.check_momentum_step(good_momentum)
    assert "✔ momentum_step: 正解です" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("func", "hint"),
    [
        (ascending, "上る向き"),
        (forgetful, "SGD と同じ"),
        (rebinding, "その場で書き換えて"),
        (old_velocity_first, "順番が逆"),
        (lambda *a: None, "まだ params も velocity も変えていません"),
    ],
)
def test_momentum_wrong(func, hint, capsys):
    with pytest.raises(ExerciseFailed):
        ch06.check_momentum_step(func)
    assert hint in capsys.readouterr().out


def test_momentum_student_exception(capsys):
    def broken(params, grads, velocity, lr, mu):
        raise KeyError("v")

    with pytest.raises(ExerciseFailed):
        ch06.check_momentum_step(broken)
    assert "でエラーが起きました: KeyError" in capsys.readouterr().out


def make_adam(kind="ok"):
    def adam_update(theta, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
        if not state:
            state.update(t=0, m=np.zeros_like(theta), s=np.zeros_like(theta))
        state["t"] += 1
        t = 1 if kind == "t1" else state["t"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * g
        state["s"] = beta2 * state["s"] + (1 - beta2) * g * g
        if kind == "nobias":
            m_hat, s_hat = state["m"], state["s"]
        else:
            m_hat = state["m"] / (1 - beta1**t)
            s_hat = state["s"] / (1 - beta2**t)
        if kind == "eps_in":
            return theta - lr * m_hat / np.sqrt(s_hat + eps)
        if kind == "inplace":
            theta -= lr * m_hat / (np.sqrt(s_hat) + eps)
            return theta
        return theta - lr * m_hat / (np.sqrt(s_hat) + eps)

    return adam_update


def test_adam_correct(capsys):
    ch06.check_adam_update(make_adam())
    assert "✔ adam_update: 正解です" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("kind", "hint"),
    [
        ("nobias", "バイアス補正"),
        ("t1", "t がずっと 1"),
        ("eps_in", "平方根の中"),
        ("inplace", "theta を書き換えています"),
    ],
)
def test_adam_wrong(kind, hint, capsys):
    with pytest.raises(ExerciseFailed):
        ch06.check_adam_update(make_adam(kind))
    assert hint in capsys.readouterr().out


def test_adam_not_implemented(capsys):
    def stub(*a):
        raise NotImplementedError

    with pytest.raises(ExerciseFailed):
        ch06.check_adam_update(stub)
    assert "まだ実装されていません" in capsys.readouterr().out


def _scale_answer(use_test=False):
    return {
        (m, c): np.array(
            [
                [ch06.scale_val_acc(m, lr, c, s, use_test=use_test) for s in ch06.SCALE_SEEDS]
                for lr in ch06.SCALE_LRS
            ]
        )
        for m, c in ch06.SCALE_KEYS
    }


def test_scale_study(capsys):
    val = _scale_answer()
    best = {k: ch06.SCALE_LRS[int(np.argmax(v.mean(axis=1)))] for k, v in val.items()}
    ch06.check_scale_study(val, best)
    assert "✔ 損失のスケールと学習率の選択: 正解です" in capsys.readouterr().out
    # 結論の向き: SGD の選ぶ学習率は損失 ×100 で小さくなり、Adam は変わらない
    assert best["SGD", 100.0] < best["SGD", 1.0]
    assert best["Adam", 100.0] == best["Adam", 1.0]

    wrong = dict(best)
    wrong["Adam", 1.0] = 1.0
    with pytest.raises(ExerciseFailed):
        ch06.check_scale_study(val, wrong)
    assert "5 シードの平均の検証正解率が最大" in capsys.readouterr().out

    with pytest.raises(ExerciseFailed):
        ch06.check_scale_study({k: v.T for k, v in val.items()}, best)
    assert "行を学習率、列をシード" in capsys.readouterr().out

    with pytest.raises(ExerciseFailed):
        ch06.check_scale_study(_scale_answer(use_test=True), best)
    assert "テストデータで測っていませんか" in capsys.readouterr().out

    with pytest.raises(ExerciseFailed):
        ch06.check_scale_study(None, None)
    assert "まだ None" in capsys.readouterr().out
