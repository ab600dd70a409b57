"""ビルドした本を実ブラウザで開いて確かめるテスト（make browser）。

目次のすべてのページについて、コンソールのエラー、画像の読み込みと alt、数式の組版（MathJax をローカルから
1 回だけ読み込み、生の ``$$`` が残らない）、ページの枠（日本語、編集・issue・起動ボタン、著作権表示）を確かめます。
加えて、演習の解答が押すまで隠れていること、日本語の検索が期待したページを返すことを確かめ、
人が見るためのスクリーンショットを ``_build/screenshots/`` に保存します。
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import CONFIG, HTML_DIR, ROOT, SCREENSHOT_DIR, TOC_PAGES, wait_for_math

# 本体のページ（目次）に、Sphinx が作る検索・索引のページを加えたもの。
ALL_PAGES = [*TOC_PAGES, "search", "genindex"]
REPO = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"]["branch"]


def open_page(page, base_url, name: str, query: str = ""):
    page.goto(f"{base_url}/{name}.html{query}", wait_until="load")
    wait_for_math(page)


def source_suffix(name: str) -> str:
    return ".ipynb" if (ROOT / f"{name}.ipynb").exists() else ".md"


@pytest.mark.parametrize("name", ALL_PAGES)
def test_page_loads_cleanly_with_images_and_math(page, base_url, name):
    open_page(page, base_url, name)
    page.wait_for_load_state("networkidle")
    assert page.log.problems() == [], f"{name}: {page.log.problems()}"

    # 画像: すべて読み込めていて（naturalWidth > 0）、alt がある
    imgs = page.evaluate(
        """() => [...document.images].map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0,
                                                 alt: (i.getAttribute('alt') || '').trim()}))"""
    )
    assert [i["src"] for i in imgs if not i["ok"]] == [], f"{name}: 読み込めていない画像"
    assert [i["src"] for i in imgs if not i["alt"]] == [], f"{name}: alt の無い画像"

    # 数式: .math の要素はすべて MathJax で組版され、本文（コード以外）に生の TeX の区切りが残っていない
    math = page.evaluate(
        """() => { const m = [...document.querySelectorAll('.math')];
                   return {total: m.length, typeset: m.filter(e => e.querySelector('mjx-container')).length}; }"""
    )
    assert math["typeset"] == math["total"], f"{name}: 組版されていない数式 {math}"
    text = page.evaluate(
        """() => { const a = (document.querySelector('article') || document.body).cloneNode(true);
                   a.querySelectorAll('pre, code, script, style, mjx-container, .math').forEach(e => e.remove());
                   return a.innerText; }"""
    )
    for raw in ("$$", "\\(", "\\[", "\\begin{"):
        assert raw not in text, f"{name}: 組版されていない数式の記号 {raw!r} が本文に残っています"

    # MathJax はローカルのビルドから、多くても 1 回だけ読み込む
    # （\\boldsymbol などの拡張は MathJax 自身が必要に応じて extensions/ から読み込むので、本体だけを数える）
    all_mj = page.locator("script[src*='mathjax']").evaluate_all("els => els.map(e => e.src)")
    mj_scripts = [u for u in all_mj if u.split("?")[0].rsplit("/", 1)[-1].startswith("tex-")]
    mj_requests = [u for u in page.log.requests if u.split("?")[0].endswith(("tex-chtml.js", "tex-svg.js"))]
    assert len(mj_scripts) <= 1 and len(mj_requests) <= 1, f"{name}: MathJax が 2 回以上: {mj_scripts}"
    assert all(u.startswith(base_url + "/_static/mathjax/") for u in all_mj + mj_requests), all_mj
    if math["total"]:
        assert len(mj_requests) == 1, f"{name}: 数式があるのに MathJax を読み込んでいません"


def test_math_is_actually_rendered_offline(page, base_url):
    """記法のページには数式があり、すべてローカルの MathJax で組版される（CDN への通信は遮断済み）。"""
    open_page(page, base_url, "book/notation")
    n = page.locator("mjx-container").count()
    assert n >= 10, f"組版された数式が少なすぎます: {n}"
    assert page.locator("mjx-container[display='true']").count() >= 1
    # CHTML の出力が MathJax のフォントで描かれている（= フォントもローカルから読めている）
    fonts = [u for u in page.log.requests if "/_static/mathjax/output/chtml/fonts/" in u]
    assert fonts and page.log.problems() == [], (fonts, page.log.problems())


@pytest.mark.parametrize("name", TOC_PAGES)
def test_page_chrome_is_japanese_with_repository_buttons(page, base_url, name):
    open_page(page, base_url, name)
    assert page.locator("html").get_attribute("lang") == "ja"
    hrefs = page.locator("a[href]").evaluate_all("els => els.map(e => e.href)")
    suffix = source_suffix(name)
    assert f"{REPO}/edit/{BRANCH}/{name}{suffix}" in hrefs, "「このページを編集」ボタンがありません"
    assert any(h.startswith(f"{REPO}/issues/new") for h in hrefs), "「issue を開く」ボタンがありません"
    assert REPO in hrefs or f"{REPO}/" in hrefs, "リポジトリへのボタンがありません"
    if suffix == ".ipynb":
        colab = f"https://colab.research.google.com/github/{REPO.removeprefix('https://github.com/')}/blob/{BRANCH}/{name}.ipynb"
        assert colab in hrefs, f"Colab のボタンがありません（期待: {colab}）"
        assert any(h.startswith("https://mybinder.org/v2/gh/") and name in h for h in hrefs), (
            "Binder のボタンがありません"
        )
    footer = page.locator("footer").all_inner_texts()
    assert any(
        f"© Copyright {CONFIG['copyright']}" in t or f"© {CONFIG['copyright']}" in t for t in footer
    ), footer
    # ページの枠（ボタンの説明など）が日本語に翻訳されている
    labels = page.locator("[aria-label], [title], [data-bs-title]").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label') || e.getAttribute('title') || e.getAttribute('data-bs-title'))"
    )
    assert any("検索" in s for s in labels), labels


def test_solutions_are_hidden_until_clicked(page, base_url):
    checked = 0
    for name in TOC_PAGES:
        if 'class="solution' not in (HTML_DIR / f"{name}.html").read_text(encoding="utf-8"):
            continue
        open_page(page, base_url, name)
        solutions = page.locator(".solution.dropdown")
        for i in range(solutions.count()):
            sol = solutions.nth(i)
            body = sol.locator(":scope > section, :scope > :not(.admonition-title)").first
            sol.scroll_into_view_if_needed()
            assert not body.is_visible(), f"{name}: 解答 {i + 1} が最初から見えています"
            sol.locator("button.toggle-button").click()
            body.wait_for(state="visible", timeout=5_000)
            checked += 1
        assert page.log.problems() == [], page.log.problems()
    assert checked >= 1, "解答の折りたたみを 1 つも確かめられませんでした"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("過学習", {"book/intro", "book/glossary"}),
        ("正則化", {"book/intro", "book/glossary", "book/notation"}),
        ("勾配", {"book/nnreg-usage", "book/glossary"}),
        ("記法", {"book/notation"}),
        ("ドロップアウト", {"book/glossary", "book/notation"}),
    ],
)
def test_japanese_search_finds_expected_pages(page, base_url, query, expected):
    open_page(page, base_url, "search", f"?q={query}")
    # 検索が終わると、見出しが「検索中」から「検索結果」に変わります
    page.wait_for_function(
        "() => { const h = document.querySelector('#search-results h2');"
        " return h && h.innerText === Documentation.gettext('Search Results')"
        " && document.querySelector('#search-results ul.search'); }",
        timeout=20_000,
    )
    found = {
        h.split("/", 3)[-1].removesuffix(".html").split("#")[0].removesuffix(".html")
        for h in page.locator("#search-results ul.search li a").evaluate_all("els => els.map(e => e.href)")
    }
    assert expected <= found, (
        f"「{query}」の検索結果に {expected - found} がありません（見つかったページ: {found}）"
    )
    assert page.log.problems() == [], page.log.problems()


@pytest.mark.parametrize(("name", "min_math"), [("book/notation", 10), ("book/nnreg-usage", 1)])
def test_screenshot_shows_math_and_japanese(page, base_url, name, min_math):
    open_page(page, base_url, name)
    page.evaluate("document.fonts.ready.then(() => true)")
    assert page.locator("mjx-container").count() >= min_math
    # 日本語の見出しが、CJK のフォント（豆腐ではなく）で描かれている
    heading = page.locator("article h1").first
    assert any("\u3040" <= ch <= "\u9fff" for ch in heading.inner_text())
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK JP\"', 'あ')")
    # 最初の別行立ての数式が見える位置までスクロールしてから撮ります
    page.locator("mjx-container[display='true']").first.scroll_into_view_if_needed()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    out = SCREENSHOT_DIR / f"{Path(name).name}.png"
    page.screenshot(path=str(out), full_page=False)
    assert out.stat().st_size > 10_000


NOTEBOOK_PAGES = [name for name in TOC_PAGES if (ROOT / f"{name}.ipynb").exists()]


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_code_blocks_fit_without_horizontal_scroll(page, base_url, name):
    # ノート PC（1280 px）: コードと出力の欄は 80 桁に収まり、横スクロールが出ない
    page.set_viewport_size({"width": 1280, "height": 900})
    open_page(page, base_url, name)
    blocks = page.evaluate(
        """() => [...document.querySelectorAll('div.cell div.highlight pre, div.cell_output pre')]
                 .map(e => ({over: e.scrollWidth - e.clientWidth,
                             text: (e.innerText.split('\\n').find(l => l.length > 0) || '').slice(0, 60)}))"""
    )
    assert blocks, f"{name}: コードの欄が見つかりません"
    wide = [b for b in blocks if b["over"] > 1]
    assert wide == [], f"{name}: 横にはみ出すコード・出力の欄が {len(wide)} 個: {wide[:3]}"


def test_japanese_is_exactly_two_columns_in_code_output(page, base_url):
    # 出力の表は日本語 1 文字を 2 桁として nnreg.notebook.pad でそろえます。ブラウザでも、日本語 1 文字が
    # 英数字 2 文字とちょうど同じ幅で表示されること（_static/nnreg.css の等幅フォントの指定）
    open_page(page, base_url, "book/ch05-text")
    widths = page.evaluate(
        """() => {
            const pre = document.querySelector('div.cell_output pre');
            const probe = t => { const s = document.createElement('span'); s.textContent = t;
                                 pre.appendChild(s); const w = s.getBoundingClientRect().width;
                                 s.remove(); return w; };
            return [probe('名詞-普通名詞'), probe('ab-cdefghijkl'), probe('±×→'), probe('abc')];
        }"""
    )
    assert abs(widths[0] - widths[1]) < 1.5, (
        f"日本語 6 文字 + 記号 1 と英数字 13 文字の幅が違います: {widths}"
    )
    # ± × → は 1 桁（nnreg.notebook.pad と同じ数え方）
    assert abs(widths[2] - widths[3]) < 0.5, f"± × → が英数字 1 文字と同じ幅ではありません: {widths}"


@pytest.mark.parametrize("name", [*NOTEBOOK_PAGES, "intro", "glossary", "notation"])
def test_page_never_scrolls_sideways_on_a_phone(page, base_url, name):
    # スマートフォン（390 px）: コードの欄の中は横スクロールしてよいが、ページ全体は横にずれない
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, base_url, name)
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )
    assert sizes["scroll"] <= sizes["client"] + 1, f"{name}: ページが横にはみ出しています {sizes}"


def test_folded_figure_code_shows_the_figure_and_opens_on_click(page, base_url):
    # 図を描くだけのコードは折りたたまれていて（hide-input）、図は見えたまま、クリックでコードが開く
    open_page(page, base_url, "book/ch04-normalization")
    cells = page.locator("div.cell.tag_hide-input")
    assert cells.count() >= 3, "ch04 に折りたたまれたセルがありません"
    first = cells.first
    assert first.locator("img").first.is_visible(), "折りたたんだセルの図が見えていません"
    code = first.locator("div.cell_input")
    assert not code.is_visible(), "コードが最初から開いています"
    first.locator("summary").first.click()
    assert code.is_visible(), "クリックしてもコードが開きません"


def test_exercise_titles_use_the_chapter_numbering():
    # 演習の題名は「演習 N（種類）…」だけ。sphinx-exercise の本全体の通し番号（「練習 12 (…)」）は出さない
    # （_ext/nnreg_html.py の plain_exercise_titles）。
    for name in NOTEBOOK_PAGES:
        html = (HTML_DIR / f"{name}.html").read_text(encoding="utf-8")
        titles = [
            re.sub(r"<[^>]+>", "", t).strip()
            for t in re.findall(r'<p class="admonition-title">(.*?)</p>', html, flags=re.S)
        ]
        for t in titles:
            assert not t.startswith("練習"), f"{name}: {t}"
            if t.startswith("解答"):
                assert re.match(r"解答 演習 \d+", t), f"{name}: {t}"


def test_exercise_links_read_enshu_not_renshu():
    # 演習への参照は「演習 N」と読める（sphinx-exercise の既定の「練習」だけのリンクにしない）
    for name in TOC_PAGES:
        html = (HTML_DIR / f"{name}.html").read_text(encoding="utf-8")
        for text in re.findall(
            r'<a class="reference internal" href="[^"]*#ex-[^"]*">(.*?)</a>', html, flags=re.S
        ):
            plain = re.sub(r"<[^>]+>", "", text).strip()
            assert plain != "練習", f"{name}: 演習へのリンクの文字が「練習」だけです"


def test_printed_output_of_a_cell_is_one_box():
    # glue をはさんだ print の出力が、いくつもの枠に分かれない（_ext/nnreg_html.py の merge_split_streams）
    adjacent = re.compile(
        r'<div class="output stream[^"]*"><div class="highlight"><pre>(?:(?!</pre>).)*</pre></div>\s*</div>'
        r'\s*<div class="output stream',
        flags=re.S,
    )
    for name in NOTEBOOK_PAGES:
        html = (HTML_DIR / f"{name}.html").read_text(encoding="utf-8")
        assert not adjacent.search(html), f"{name}: 1 つのセルの出力が隣り合う枠に分かれています"


def test_solution_title_opens_the_solution_without_leaving_it(page, base_url):
    # スマートフォンで解答の見出し（演習へのリンクを含む）を押すと、演習へ飛ばずに解答が開く
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, base_url, "book/ch02-exercises")
    sol = page.locator(".solution.dropdown").first
    body = sol.locator(":scope > section").first
    link = sol.locator("p.admonition-title a").first
    link.scroll_into_view_if_needed()
    assert not body.is_visible()
    y = page.evaluate("window.scrollY")
    link.click(force=True)
    body.wait_for(state="visible", timeout=5_000)
    assert page.evaluate("window.scrollY") == y, "見出しを押すと演習へ移動してしまいます"
