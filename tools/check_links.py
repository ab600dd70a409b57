"""ビルドされた HTML の内部リンク検査（make links / make test から呼ばれます）。

``_build/html`` の中のすべての ``.html`` について、``href`` / ``src`` が指すファイルが存在し、
``#アンカー`` がそのページの ``id``（または ``<a name>``）として存在することを確かめます。
外部リンク（``http(s)://``、``mailto:`` など）はネットにつながらない環境でも通るよう、数えるだけで検査しません。

使い方: python tools/check_links.py _build/html
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# 検査するタグと属性。<link> は CSS やアイコン、<script> は JS、<img>/<source> は画像。
LINK_ATTRS = {
    "a": "href",
    "link": "href",
    "img": "src",
    "script": "src",
    "source": "src",
    "iframe": "src",
}
# テーマが _static/ にコピーするテンプレート（Jinja のマクロ）はページではないので除きます。
ASSET_DIRS = {"_static", "_sources", "_images"}
EXTERNAL_SCHEMES = {"http", "https", "mailto", "tel", "ftp", "javascript", "data"}


@dataclass
class Page:
    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, str]] = field(default_factory=list)  # (タグ, URL)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.page.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.page.ids.add(a["name"])
        attr = LINK_ATTRS.get(tag)
        if attr and a.get(attr) is not None:
            self.page.links.append((tag, a[attr]))

    handle_startendtag = handle_starttag


def parse(path: Path) -> Page:
    p = _Parser()
    p.feed(path.read_text(encoding="utf-8"))
    return p.page


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return (bool(parts.scheme) and parts.scheme.lower() in EXTERNAL_SCHEMES) or url.startswith("//")


def check(html_dir: Path) -> tuple[list[str], Counter]:
    """問題の一覧と、数えたリンクの内訳（internal / anchor / external）を返します。"""
    html_dir = html_dir.resolve()
    if not html_dir.is_dir():
        raise ValueError(
            f"HTML のディレクトリが見つかりません（期待: ビルド済みの _build/html、受け取った値: {html_dir}）"
        )
    pages: dict[Path, Page] = {}

    def page_of(path: Path) -> Page:
        if path not in pages:
            pages[path] = parse(path)
        return pages[path]

    problems: list[str] = []
    stats: Counter = Counter()
    files = sorted(
        f for f in html_dir.rglob("*.html") if not ASSET_DIRS & set(f.relative_to(html_dir).parts[:-1])
    )
    if not files:
        raise ValueError(f"{html_dir} に .html がありません（先に本をビルドしてください）")
    for path in files:
        rel = path.relative_to(html_dir)
        for tag, url in page_of(path).links:
            url = url.strip()
            if not url:
                problems.append(f"{rel}: 空のリンク（<{tag}>）")
                continue
            if is_external(url):
                stats["external"] += 1
                continue
            parts = urlsplit(url)
            if parts.scheme:  # file: など、想定していない形
                problems.append(f"{rel}: 想定していない形式のリンク: {url}")
                continue
            if parts.path:
                target = (path.parent / unquote(parts.path)).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.is_relative_to(html_dir):
                    problems.append(f"{rel}: ビルドの外を指すリンク: {url}")
                    continue
                if not target.exists():
                    problems.append(f"{rel}: リンク先のファイルがありません: {url}")
                    continue
                stats["internal"] += 1
            else:
                target = path
            frag = unquote(parts.fragment)
            if frag and target.suffix == ".html":
                stats["anchor"] += 1
                if frag not in page_of(target).ids:
                    problems.append(
                        f"{rel}: アンカーがありません: {url}（{target.relative_to(html_dir)} に id={frag!r} が無い）"
                    )
    stats["pages"] = len(files)
    return problems, stats


def main(argv: list[str]) -> int:
    html_dir = Path(argv[1] if len(argv) > 1 else "_build/html")
    try:
        problems, stats = check(html_dir)
    except ValueError as e:
        print("NG:", e)
        return 1
    for p in problems:
        print("NG:", p)
    summary = (
        f"{stats['pages']} ページ、内部リンク {stats['internal']} 件（うちアンカー付き {stats['anchor']} 件）を確認、"
        f"外部リンク {stats['external']} 件は検査対象外"
    )
    if problems:
        print(f"check_links: 壊れたリンクが {len(problems)} 件あります（{summary}）")
        return 1
    print(f"check_links: 問題なし（{summary}）")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
