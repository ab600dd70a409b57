"""演習の採点（各章の演習ページの「確認」セルから呼びます）。

確認のしかたは、どの章でも同じです::

    from nnreg.exercises import ch02
    ch02.check_l2_gradient(l2_grad)     # 学生の答え（関数や値）を渡す

各章のモジュール（``nnreg.exercises.chNN``）の ``check_*`` 関数は、中で :func:`grade` を使い、

- 正しければ「✔ 名前: 正解です」と表示します。
- 答えがまだ無い（``None`` や ``NotImplementedError``）なら、そう伝えます。
- 違えば、よくある間違い（形が違う、1/(1-p) を忘れた、バイアスまで減衰させた…）を名指しするヒントを表示します。
- 学生のコードが例外を出したら、それを「あなたのコードで起きたエラー」として伝えます（確認する側は落ちません）。

正解でなければ、最後に :class:`ExerciseFailed`（``AssertionError`` の一種）を送出します。nbgrader の
自動採点は、確認セルが例外を出したかどうかで点をつけるためです。ノートブックでは長いトレースバックの代わりに
1 行だけが表示されます（``_render_traceback_``）。
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "ExerciseFailed",
    "Unanswered",
    "Wrong",
    "answered",
    "call",
    "expect",
    "expect_close",
    "grade",
    "is_close",
]


class ExerciseFailed(AssertionError):
    """確認に通らなかったことを表します（nbgrader はこれで 0 点にします）。"""

    def _render_traceback_(self):  # IPython が長いトレースバックの代わりに表示する行
        return [f"✘ {self}"]


class Wrong(Exception):
    """答えが違うことを表します。メッセージはそのまま学生へのヒントになります。"""


class Unanswered(Exception):
    """答えがまだ書かれていないことを表します。"""


class _StudentError(Exception):
    def __init__(self, where: str, error: BaseException):
        super().__init__(f"{where} でエラーが起きました: {type(error).__name__}: {error}")
        self.error = error


def answered(value, name: str):
    """答えの値が書かれているか（None でないか）を確かめて、そのまま返します。"""
    if value is None:
        raise Unanswered(
            f"{name} がまだ None です。解答のセルを書いて実行してから、もう一度確かめてください。"
        )
    return value


def call(func: Callable, *args, name: str = "あなたの関数", **kwargs):
    """学生の関数を呼びます。例外はそのまま伝えず、「あなたのコードで起きたエラー」として包みます。"""
    if func is None:
        raise Unanswered(f"{name} がまだ定義されていません（None）。")
    try:
        return func(*args, **kwargs)
    except NotImplementedError as e:
        raise Unanswered(f"{name} はまだ実装されていません（NotImplementedError）。") from e
    except Exception as e:  # 学生のコードのどんな例外も、採点する側では止めない
        raise _StudentError(name, e) from e


def is_close(a, b, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """``a`` が ``b`` と同じ形で、有限で、十分近いか（よくある間違いの候補と比べるときに使います）。"""
    try:
        a = np.asarray(a, dtype=float)
    except (TypeError, ValueError):
        return False
    b = np.asarray(b, dtype=float)
    return (
        a.shape == b.shape and bool(np.all(np.isfinite(a))) and bool(np.allclose(a, b, rtol=rtol, atol=atol))
    )


def expect(condition: bool, hint: str) -> None:
    """条件が成り立たなければ、ヒント ``hint`` を添えて「違います」とします。"""
    if not condition:
        raise Wrong(hint)


def expect_close(
    actual, expected, *, name: str, rtol: float = 1e-6, atol: float = 1e-9, hint: str = ""
) -> None:
    """形と値が ``expected`` に近いことを確かめます。形が違えば、そのことを名指しします。"""
    answered(actual, name)
    try:
        a = np.asarray(actual, dtype=float)
    except (TypeError, ValueError) as e:
        raise Wrong(f"{name} を数値の配列として読めません（{type(actual).__name__}）。") from e
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        raise Wrong(f"{name} の形が違います: 期待 {e.shape}、あなたの答え {a.shape}。{hint}".rstrip())
    if not np.all(np.isfinite(a)):
        raise Wrong(f"{name} に NaN か inf が含まれています。{hint}".rstrip())
    if not np.allclose(a, e, rtol=rtol, atol=atol):
        err = float(np.max(np.abs(a - e)))
        raise Wrong(f"{name} が期待と一致しません（最大の差 {err:.3g}）。{hint}".rstrip())


def grade(name: str, test: Callable[[], None]) -> bool:
    """``test()`` を実行して判定を表示します。正解なら True を返し、そうでなければ :class:`ExerciseFailed`。"""
    try:
        test()
    except Unanswered as e:
        print(f"… {name}: {e}")
        raise ExerciseFailed(f"{name}: まだ答えがありません") from None
    except Wrong as e:
        print(f"✘ {name}: 違います。{e}")
        raise ExerciseFailed(f"{name}: 違います") from None
    except _StudentError as e:
        print(f"✘ {name}: {e}\n  （確認の前に、あなたのコードを直してください）")
        raise ExerciseFailed(f"{name}: あなたのコードでエラー") from None
    print(f"✔ {name}: 正解です")
    return True
