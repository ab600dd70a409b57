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
