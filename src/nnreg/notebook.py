"""ノートブック用の小物（全章）: 本文に数値を埋め込む ``glue``。

本の中では myst-nb の ``glue`` で値を登録し、本文の ``{glue:text}`名前``` で参照します。
これで「本文の数値」と「コードが出力した数値」が食い違うことはありません。
myst-nb の無い環境（Colab など）では何もしません。
"""

from __future__ import annotations


def glue(name: str, value, *, display: bool = False) -> None:
    """``value`` を ``name`` という名前で本文から参照できるようにします。"""
    try:
        from myst_nb import glue as _glue
    except ImportError:  # Colab などでは本文への埋め込みは不要
        if display:
            print(value)
        return
    _glue(name, value, display=display)
