"""PDF 版（make pdf が作る _build/pdf/nnreg-book.pdf）の検査。

make pdf の最後に実行されます（PDF がまだ無ければ、作り方を書いたエラーで止まります）。
pypdf で開き、ページ数、表紙の書名、目次とそのページ番号、章の見出しが日本語の文字として
取り出せること、数式が組まれていること（生の $$ や \\frac が残っていないこと）、フォントの埋め込み、
しおり、127.0.0.1 へのリンクが残っていないことを確かめます。
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

pypdf = pytest.importorskip("pypdf", reason="pypdf が入っていません（pip install -e '.[test]'）")

ROOT = Path(__file__).resolve().parents[2]
PDF = ROOT / "_build" / "pdf" / "nnreg-book.pdf"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(entries):
        for e in entries:
            files.append(e["file"])
            walk(e.get("sections", []))

    for part in toc["parts"]:
        walk(part["chapters"])
    return files


def _title(file: str) -> str:
    path = ROOT / f"{file}.ipynb"
    if path.exists():
        nb = json.loads(path.read_text(encoding="utf-8"))
        text = "".join(next(c for c in nb["cells"] if c["cell_type"] == "markdown")["source"])
    else:
        text = (ROOT / f"{file}.md").read_text(encoding="utf-8")
    return re.search(r"^# (.+)$", text, flags=re.M).group(1).strip()


def _plain(text: str) -> str:
    # Chromium の PDF では、漢字の一部が康熙部首（⽅ など）として取り出されるので NFKC でそろえ、
    # 空白（pypdf が文字の間に入れることがある）を取り除いてから比べます。
    # 中黒（・）は、フォントによって ‧ や · として取り出されるので、1 つにそろえます。
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", re.sub("[・‧·･]", "・", text))


@pytest.fixture(scope="module")
def reader():
    if not PDF.exists():
        pytest.fail(f"PDF がありません（期待した場所: {PDF}）。先に make pdf を実行してください。")
    return pypdf.PdfReader(PDF)


@pytest.fixture(scope="module")
def texts(reader) -> list[str]:
    return [_plain(p.extract_text() or "") for p in reader.pages]


def test_has_many_pages_and_a_cover(reader, texts):
    assert len(reader.pages) > 100, len(reader.pages)
    assert _plain(CONFIG["title"]) in texts[0]
    assert "CCBY4.0" in texts[0] and "MIT" in texts[0]


def test_table_of_contents_lists_every_page_with_the_right_page_number(texts):
    # 各ページ（章・節・付録）は改ページして見出しから始まるので、本文で見出しから始まるページを
    # 前から順に探し、目次に「見出し + そのページ番号」があることを確かめます。
    toc = texts[1]
    assert toc.startswith("目次")
    start = 2
    for file in _toc_files():
        title = _plain(_title(file))
        # ページは見出しから始まります（参考文献のページだけは、番号 [1][2]… が見出しより先に取り出されます）
        head = re.compile(r"(\[\d+\])*" + re.escape(title))
        page = next((k + 1 for k in range(start, len(texts)) if head.match(texts[k])), None)
        assert page is not None, f"「{title}」で始まるページがありません"
        start = page
        if file == "book/intro":
            continue  # 「はじめに」は目次の直後（目次には載せない）
        assert f"{title}{page}" in toc, f"目次に「{title}」と {page} ページがありません"


def test_chapter_titles_are_extractable_japanese_text(texts):
    body = "".join(texts)
    for n in range(1, 9):
        assert f"第{n}章" in body
    assert "過学習" in body and "正則化" in body and "ドロップアウト" in body


def test_math_is_typeset_not_raw(texts):
    body = "".join(texts)
    # （コードの中の matplotlib のラベルには $\\mathbf{W}$ などがあるので、本文の数式の区切りだけを見ます）
    for raw in ("$$", "\\frac", "\\(", "\\[", "\\begin{"):
        assert raw not in body, f"組まれていない数式（{raw}）が PDF に残っています"


def test_fonts_are_embedded(reader):
    checked = 0
    for page in reader.pages[:20]:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            desc = font.get("/FontDescriptor")
            if desc is None and "/DescendantFonts" in font:
                desc = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            if desc is None or font.get("/Subtype") == "/Type3":
                continue  # Type3 フォントは字形を PDF の中（CharProcs）に持つ
            desc = desc.get_object()
            assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.get("/BaseFont")
            checked += 1
    assert checked > 0


def test_outline_and_links_stay_inside_the_pdf(reader):
    def count(items):
        return sum(count(i) if isinstance(i, list) else 1 for i in items)

    assert count(reader.outline) > 20, "しおり（PDF の目次）がありません"
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            uri = str(action.get("/URI", ""))
            assert "127.0.0.1" not in uri and "localhost" not in uri, uri
