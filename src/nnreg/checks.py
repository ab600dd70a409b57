"""演習の自己チェック（全章）。

演習の解答セルの後に置く「確認セル」から呼びます。正しければ短いメッセージを表示し、
違えば何が違うかを伝える ``AssertionError`` を送出します。
"""

from __future__ import annotations

import numpy as np


def check_close(actual, expected, *, name: str = "答え", rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """``actual`` が ``expected`` に（形状も含めて）十分近いかを確かめます。"""
    if actual is None:
        raise AssertionError(
            f"{name} がまだ計算されていません（None）。解答のコードを書いてから実行してください。"
        )
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        raise AssertionError(f"{name} の形状が違います: 期待 {e.shape}, 実際 {a.shape}")
    if not np.allclose(a, e, rtol=rtol, atol=atol):
        err = float(np.max(np.abs(a - e)))
        raise AssertionError(f"{name} が期待と一致しません（最大の差 {err:.3g}）")
    print(f"✔ {name}: 正解です")


def check_true(condition: bool, message: str, *, name: str = "答え") -> None:
    """条件が成り立つかを確かめます（成り立たなければ ``message`` を添えて失敗）。"""
    if not condition:
        raise AssertionError(f"{name}: {message}")
    print(f"✔ {name}: 正解です")


def check_function(
    func, reference, inputs, *, name: str = "関数", rtol: float = 1e-6, atol: float = 1e-9
) -> None:
    """``func(*args)`` が各入力で ``reference(*args)`` と一致するかを確かめます。"""
    for i, args in enumerate(inputs):
        if not isinstance(args, tuple):
            args = (args,)
        got = func(*args)
        want = reference(*args)
        a = np.asarray(got, dtype=float)
        e = np.asarray(want, dtype=float)
        if a.shape != e.shape or not np.allclose(a, e, rtol=rtol, atol=atol):
            raise AssertionError(
                f"{name}: {i + 1} 番目の入力で期待と一致しません（形状 {a.shape} / 期待 {e.shape}）"
            )
    print(f"✔ {name}: {len(inputs)} 個の入力すべてで正解です")


def _bound_text(bound: float) -> str:
    return f"{bound:.0e}".replace("e-0", "e-").replace("e+0", "e+")


def check_small(value, *, below: float, name: str = "値") -> None:
    """``|value|``（配列なら最大値）が ``below`` 未満であることを確かめ、「✔ name: below 未満」と表示します。

    丸め誤差だけが残るはずの量（式と実装の差、最小点での勾配など）を表示するときに使います。
    ``1.7e-15`` のような丸め誤差の桁は CPU や BLAS の種類で変わるので、値そのものではなく
    上限（``1e-12 未満``）を表示します。上限を超えたときは実際の値を添えて ``AssertionError`` を送出します。
    """
    if not below > 0:
        raise ValueError(f"below は正の数を期待しています（受け取った値: {below}）")
    a = np.abs(np.asarray(value, dtype=float))
    if a.size == 0:
        raise ValueError("value が空です。確かめたい値を 1 つ以上渡してください")
    worst = float(np.max(a))
    if not worst < below:  # NaN もここで失敗にする
        raise AssertionError(f"{name} が {_bound_text(below)} 未満ではありません（実際の値 {worst:.3g}）")
    print(f"✔ {name}: {_bound_text(below)} 未満")


def check_gradients(errors: dict[str, float], *, tol: float = 1e-7, name: str = "勾配") -> None:
    """勾配確認の相対誤差（``check_layer`` / ``check_model`` の戻り値）がすべて ``tol`` 未満かを確かめます。

    成功すると「✔ name: 相対誤差はすべて tol 未満（x, W, b）」と 1 行だけ表示します。相対誤差の値そのもの
    （``2.3e-10`` など）は丸め誤差で決まり、機械によって変わるので表示しません。
    失敗したときは、どのパラメータの誤差がいくつだったかを添えて ``AssertionError`` を送出します。
    """
    if not isinstance(errors, dict) or not errors:
        raise ValueError(
            "errors は {名前: 相対誤差} の空でない dict を期待しています"
            f"（受け取った値: {type(errors).__name__}）"
        )
    bad = {k: v for k, v in errors.items() if not float(v) < tol}
    if bad:
        detail = ", ".join(f"{k}: {float(v):.2g}" for k, v in bad.items())
        raise AssertionError(
            f"{name}: 相対誤差が {_bound_text(tol)} 以上のものがあります（{detail}）。"
            "逆伝播の式、または float64 で計算しているかを確かめてください"
        )
    print(f"✔ {name}: 相対誤差はすべて {_bound_text(tol)} 未満（{', '.join(errors)}）")


def check_fact(condition: bool, message: str, *, name: str) -> None:
    """本文が頼る事実（「5 シードすべてで 0.8 未満」など）が成り立つかを確かめ、「✔ name」と表示します。

    ``check_true`` は演習の答え合わせ用で「正解です」と表示します。こちらは実験の結果を、
    揺れに左右されない形（上限・下限・個数）で報告するときに使います。成り立たなければ
    ``message`` を添えて ``AssertionError`` を送出するので、本文と結果が食い違ったまま本がビルドされることはありません。
    """
    if not condition:
        raise AssertionError(f"{name}: {message}")
    print(f"✔ {name}")
