"""ノートブック用の小物（全章）: 本文に数値を埋め込む ``glue`` と、日本語を含む表の桁そろえ（``pad``）。

本の中では myst-nb の ``glue`` で値を登録し、本文の ``{glue:text}`名前``` で参照します。
これで「本文の数値」と「コードが出力した数値」が食い違うことはありません。
myst-nb の無い環境（Colab など）では何もしません。
"""

from __future__ import annotations

import unicodedata


def glue(name: str, value, *, display: bool = False) -> None:
    """``value`` を ``name`` という名前で本文から参照できるようにします。"""
    try:
        from myst_nb import glue as _glue
    except ImportError:  # Colab などでは本文への埋め込みは不要
        if display:
            print(value)
        return
    _glue(name, value, display=display)


def display_width(text: str) -> int:
    """端末やページのコード欄での表示幅。全角の文字（East Asian Width が W か F）を 2 桁と数えます。"""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def pad(text: str, width: int, *, align: str = "left") -> str:
    """``text`` を表示幅 ``width`` にそろえます（日本語を含む表の列をそろえるため）。

    ``str.ljust`` は全角の文字も 1 桁と数えるので、日本語の列がずれます。幅を超える文字列はそのまま返します。
    """
    if align not in ("left", "right"):
        raise ValueError(f"align は 'left' か 'right' を期待しています（受け取った値: {align!r}）")
    fill = " " * max(0, width - display_width(text))
    return str(text) + fill if align == "left" else fill + str(text)
