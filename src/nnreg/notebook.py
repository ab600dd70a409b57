"""ノートブック用の小物（全章）: 本文に数値を埋め込む ``glue`` と、日本語を含む表の桁そろえ（``pad``）。

本の中では ``glue`` で値を登録し、本文の ``{glue:text}`名前``` で参照します（myst-nb の glue と同じ出力の形）。
これで「本文の数値」と「コードが出力した数値」が食い違うことはありません。
"""

from __future__ import annotations

import unicodedata

GLUE_PREFIX = "application/papermill.record/"
"""myst-nb が本文に埋め込む値だと見分ける MIME 型の接頭辞（papermill・scrapbook と同じ約束）。"""


def glue(name: str, value, *, display: bool = False) -> None:
    """``value`` を ``name`` という名前で本文から参照できるようにします。

    myst-nb の ``glue`` と同じ形の出力（``display=False`` なら MIME 型に :data:`GLUE_PREFIX` を付けた
    表示データと、メタデータ ``scrapbook``）をセルに残します。myst-nb 自体は読み込みません
    （読み込むと nbformat と jsonschema まで付いてきて、ノートブックごとに 1 秒ほどかかるため）。
    IPython の外（普通の python など）では、埋め込む先が無いので何もしません。
    """
    try:
        from IPython import get_ipython
    except ImportError:  # IPython の無い環境: 埋め込む先もありません
        get_ipython = None
    shell = get_ipython() if get_ipython is not None else None
    if shell is None:
        if display:
            print(value)
        return
    from IPython.display import display as ipy_display

    bundle, metadata = shell.display_formatter.format(value)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    ipy_display({prefix + k: v for k, v in bundle.items()}, raw=True, metadata=metadata)


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
