"""nnreg.notebook: glue の出力を myst-nb が本文の値として読めること、pad の桁そろえ。"""

from __future__ import annotations

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from myst_nb.ext.glue import extract_glue_data_cell

from nnreg.notebook import GLUE_PREFIX, glue, pad


@pytest.fixture
def shell_outputs(monkeypatch):
    """IPython のシェルの中で glue を呼び、表示された (データ, メタデータ) を集めます。"""
    shell = InteractiveShell.instance()
    shown = []

    def publish(data, metadata=None, **kwargs):
        shown.append((data, metadata or {}))

    monkeypatch.setattr(shell.display_pub, "publish", publish)
    yield shown
    InteractiveShell.clear_instance()


def _as_cell(shown):
    outputs = [nbformat.v4.new_output("display_data", data=data, metadata=meta) for data, meta in shown]
    return nbformat.v4.new_code_cell(outputs=outputs)


def test_glue_is_read_back_by_myst_nb(shell_outputs):
    glue("ch0_value", "0.944 ± 0.009")
    glue("ch0_number", 0.5)
    assert len(shell_outputs) == 2
    data, meta = shell_outputs[0]
    assert set(data) == {GLUE_PREFIX + "text/plain"}
    assert meta["scrapbook"] == {"name": "ch0_value", "mime_prefix": GLUE_PREFIX}
    read = dict(extract_glue_data_cell(_as_cell(shell_outputs)))
    assert set(read) == {"ch0_value", "ch0_number"}
    assert read["ch0_value"]["data"]["text/plain"] == "'0.944 ± 0.009'"
    assert read["ch0_number"]["data"]["text/plain"] == "0.5"


def test_glue_with_display_shows_the_value_unprefixed(shell_outputs):
    glue("shown", 3, display=True)
    ((data, meta),) = shell_outputs
    assert data == {"text/plain": "3"}
    assert meta["scrapbook"] == {"name": "shown", "mime_prefix": ""}


def test_glue_outside_ipython_is_silent_or_prints(capsys):
    InteractiveShell.clear_instance()
    glue("x", 1)
    assert capsys.readouterr().out == ""
    glue("x", 1, display=True)
    assert capsys.readouterr().out == "1\n"


def test_pad_counts_wide_characters_twice():
    assert pad("検証", 6) == "検証  "
    assert pad("ab", 4, align="right") == "  ab"
    with pytest.raises(ValueError, match="align"):
        pad("a", 3, align="center")
