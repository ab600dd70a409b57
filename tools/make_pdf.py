"""本全体を 1 冊の PDF にします（make pdf から呼ばれます）。

Jupyter Book の ``singlehtml`` ビルド（全ページを 1 枚の HTML にしたもの）を、ブラウザのテストでも使う
ヘッドレスの Chromium で印刷します。

- なぜこの方法か: Jupyter Book 自身の ``pdfhtml`` ビルダーは実行時にブラウザをダウンロードするので
  ネットのない環境では動きません。LaTeX 経由（``pdflatex``）は日本語の TeX 環境（数 GB）が要ります。
  Chromium なら、HTML 版と同じ数式（ローカルの MathJax）・図・日本語フォント（Noto CJK）がそのまま使え、
  フォントは PDF に埋め込まれます。
- 表紙と目次（ページ番号つき）を先頭に足します。ページ番号は 2 回印刷して決めます: 1 回目の PDF の
  しおり（見出しから Chromium が作る）から各章が何ページ目かを読み、目次に書き込んでから 2 回目を印刷します。
- 印刷中はブラウザから 127.0.0.1 以外への通信をすべて遮断します（ネットなしで作れることの確認）。

使い方: python tools/make_pdf.py _build/singlehtml _build/pdf/nnreg-book.pdf
"""

from __future__ import annotations

import functools
import html
import os
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Chromium の場所（browser のテストと同じ環境変数）。"bundled" なら Playwright が入れたものを使います
# （GitHub Actions の公開用ワークフローなど、Debian の chromium がない環境向け）。
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]

# 印刷用の見た目: サイドバーやボタンを消し、本文を紙の幅に広げ、章ごとに改ページします。
PRINT_CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
html { font-size: 10.5pt; }
.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .bd-header-article, .prev-next-area,
.bd-footer, .bd-footer-article, .bd-footer-content, footer, .headerlink, .copybtn,
.pst-scrollable-table-container::-webkit-scrollbar, #pst-back-to-top, .search-button-field,
.bd-search, .skip-link, .sbt-scroll-pixel-helper, #jb-print-docs-body { display: none !important; }
.bd-main, .bd-content, .bd-article-container, .bd-article, .bd-container, .bd-container__inner,
.bd-page-width { max-width: none !important; width: 100% !important; padding: 0 !important;
  margin: 0 !important; display: block !important; }
span[id^="document-"] { display: block; break-before: page; }
h2, h3 { break-after: avoid; }
figure, img, .cell_output img { break-inside: avoid; }
/* テーマの印刷用 CSS は、最初の h1 を隠し（独自の表題を出すため）、表を途中で改ページしません。
   表紙は自前で作るので h1 は出し、長い表は途中で改ページしてよいことにします。 */
.bd-main .bd-content .bd-article h1:first-of-type { display: block !important; }
.bd-main .bd-content table { break-inside: auto !important; }
div.highlight pre, .output pre { white-space: pre-wrap; font-size: 0.78rem; }
details.hide summary { display: none; }
#nnreg-cover { height: 225mm; display: flex; flex-direction: column; justify-content: center;
  text-align: center; break-after: page; }
#nnreg-cover .cover-title { font-size: 2.1rem; font-weight: bold; margin-bottom: 2.5rem; }
#nnreg-cover p { font-size: 1.1rem; margin: 0.4rem 0; }
#nnreg-toc { break-after: page; }
#nnreg-toc .toc-title { font-size: 1.6rem; font-weight: bold; margin-bottom: 1rem; }
#nnreg-toc ol { list-style: none; padding: 0; }
#nnreg-toc li { display: flex; font-size: 1.05rem; margin: 0.45rem 0; }
#nnreg-toc li.level1 { margin: 0.2rem 0 0.2rem 1.5rem; font-size: 0.95rem; }
#nnreg-toc li .title { flex: 0 0 auto; }
#nnreg-toc li .dots { flex: 1 1 auto; border-bottom: 1px dotted #888; margin: 0 0.4rem 0.35rem; }
#nnreg-toc li .page { flex: 0 0 auto; min-width: 2.2rem; text-align: right; }
"""

FOOTER = (
    '<div style="width:100%; font-size:8pt; color:#555; text-align:center; '
    'font-family: sans-serif;"><span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


def _serve(directory: Path) -> tuple[ThreadingHTTPServer, str]:
    class Quiet(SimpleHTTPRequestHandler):
        def translate_path(self, path):
            # singlehtml は本文を book/intro.html に書きますが、_static と _images への参照は
            # サイトの最上位からの相対パスのままです（Sphinx の singlehtml でルートが
            # サブディレクトリにあるとき）。ここで付け替えて、テーマの CSS・MathJax・図を読み込ませます。
            for asset in ("/book/_static/", "/book/_images/"):
                if path.startswith(asset):
                    path = path[len("/book") :]
            return super().translate_path(path)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def chapter_titles(page) -> list[tuple[str, str, int]]:
    """本文の各ページ（章・節のページ・付録）の見出しを、目次の順に (id, 文字列, 深さ) で返します。

    singlehtml では、章のページの見出しは h2、章の下の節のページ（演習など）は h3 になります。
    """
    return page.evaluate(
        """() => [...document.querySelectorAll('span[id^="document-"]')].map(s => {
            // 見出しの前にラベル用の <span id=...> が入ることがあるので、次の <section> まで進みます
            let el = s.nextElementSibling;
            while (el && el.tagName !== 'SECTION') el = el.nextElementSibling;
            const h = el && el.querySelector('h1, h2, h3, h4');
            return h ? [s.id, h.textContent.replace(/#$/, '').trim(), Math.max(0, +h.tagName[1] - 2)]
                     : null;
        }).filter(x => x)"""
    )


def insert_front_matter(page, title: str, author: str, entries: list[tuple[str, str, int, str]]) -> None:
    """表紙と目次を本文の前に挿入します。entries は (id, 見出し, 深さ, ページ番号の文字列)。"""
    items = "".join(
        f'<li class="level{d}"><span class="title"><a href="#{html.escape(i)}">{html.escape(t)}</a></span>'
        f'<span class="dots"></span><span class="page">{html.escape(p)}</span></li>'
        for i, t, d, p in entries
    )
    front = (
        f'<section id="nnreg-cover"><div class="cover-title">{html.escape(title)}</div>'
        f"<p>{html.escape(author)}</p><p>PDF 版（{time.strftime('%Y 年 %m 月 %d 日')} 作成）</p>"
        "<p>コードは MIT ライセンス、本文と図は CC BY 4.0</p></section>"
        f'<section id="nnreg-toc"><div class="toc-title">目次</div><ol>{items}</ol></section>'
    )
    page.evaluate(
        """(front) => {
            document.getElementById('nnreg-front')?.remove();
            const wrap = document.createElement('div');
            wrap.id = 'nnreg-front';
            wrap.innerHTML = front;
            const article = document.querySelector('article.bd-article') || document.body;
            article.prepend(wrap);
        }""",
        front,
    )


def outline_entries(pdf_path: Path) -> list[tuple[str, int]]:
    """PDF のしおり（見出し）を、出てくる順に (見出しの文字列, ページ番号 1 始まり) で返します。"""
    from pypdf import PdfReader

    reader = PdfReader(pdf_path)
    entries: list[tuple[str, int]] = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                title = str(item.title).replace("#", "").strip()
                entries.append((title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline)
    return entries


def chapter_pages(pdf_path: Path, titles: list[str]) -> dict[str, int]:
    """目次の各見出しのページ番号。同じ文字列の見出し（各章の「参考文献」など）があるので、
    しおりを前から順に読み、ひとつ前の章より後ろで最初に出てくるものを採ります。"""
    entries = outline_entries(pdf_path)
    found: dict[str, int] = {}
    cursor = 0
    for title in titles:
        for k in range(cursor, len(entries)):
            if entries[k][0] == title:
                found[title] = entries[k][1]
                cursor = k + 1
                break
    return found


def make_pdf(site: Path, out: Path) -> int:
    from playwright.sync_api import sync_playwright

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    start = site / "book" / "intro.html"
    if not start.exists():
        print(f"singlehtml のビルドが見つかりません（期待した場所: {start}）。先に make pdf のビルドを。")
        return 1
    if CHROMIUM != "bundled" and not Path(CHROMIUM).exists():
        print(
            f"PDF を作るには chromium が必要です（期待した場所: {CHROMIUM}、見つかりませんでした）。\n"
            "  sudo apt-get install chromium fonts-noto-cjk  か、CHROMIUM=<Chrome のパス> make pdf"
        )
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    server, base = _serve(site)
    blocked: list[str] = []
    try:
        with sync_playwright() as p:
            path = None if CHROMIUM == "bundled" else CHROMIUM
            browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            page = browser.new_page()

            def route(r):
                if urlsplit(r.request.url).hostname == "127.0.0.1":
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.goto(f"{base}/book/intro.html", wait_until="load")
            page.emulate_media(media="print")
            page.add_style_tag(content=PRINT_CSS)
            # MathJax が全部の数式を組み終え、フォントが読み込まれるまで待ちます。
            page.evaluate(
                "async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise;"
                " await document.fonts.ready; }"
            )
            titles = chapter_titles(page)
            # 本の中へのリンク（singlehtml では book/intro.html#... の形）を PDF の中へのリンクにします。
            # そのままだと、印刷に使った 127.0.0.1 の URL が PDF に残ります。
            page.evaluate(
                """() => document.querySelectorAll('a[href]').forEach(a => {
                    const href = a.getAttribute('href');
                    if (/^https?:|^mailto:/.test(href)) return;
                    const hash = href.indexOf('#');
                    a.setAttribute('href', hash >= 0 ? href.slice(hash) : '#');
                })"""
            )
            options = dict(
                format="A4",
                print_background=True,
                outline=True,
                tagged=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER,
                margin={"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"},
            )
            # 1 回目: 目次のページ番号を仮の値（同じ幅）で印刷し、しおりから各章のページを読みます。
            insert_front_matter(
                page, config["title"], config["author"], [(i, t, d, "000") for i, t, d in titles]
            )
            page.pdf(path=str(out), **options)
            found = chapter_pages(out, [t for _, t, _ in titles])
            missing = [t for _, t, _ in titles if t not in found]
            if missing:
                print(f"PDF のしおりに見つからない見出しがあります: {missing}")
                return 1
            # 2 回目: 本当のページ番号を目次に書き込んで印刷します（目次の長さは変わらないので番号もずれません）。
            insert_front_matter(
                page, config["title"], config["author"], [(i, t, d, str(found[t])) for i, t, d in titles]
            )
            page.pdf(path=str(out), **options)
            browser.close()
    finally:
        server.shutdown()
    if blocked:
        print(f"127.0.0.1 以外への通信がありました（遮断しました）: {blocked[:5]}")
        return 1
    again = chapter_pages(out, [t for _, t, _ in titles])
    moved = [t for _, t, _ in titles if again.get(t) != found[t]]
    if moved:
        print(f"目次のページ番号がずれました: {moved}")
        return 1
    from pypdf import PdfReader

    n = len(PdfReader(out).pages)
    print(f"PDF を作りました: {out}（{n} ページ、{out.stat().st_size / 1e6:.1f} MB）")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__)
        return 2
    return make_pdf(Path(argv[1]), Path(argv[2]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
