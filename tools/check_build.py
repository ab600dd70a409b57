"""ビルドされた HTML の簡単な検査（make test から呼ばれます）。

- 目次のすべてのページが HTML になっている
- 本文に未解決のロール（``{glue:``、``{cite``、``{term`` など）が文字のまま残っていない
- すべての ``<img>`` に空でない alt がある
- 演習の解答は折りたたみ（dropdown）になっている
- 日本語の検索索引に主要な用語が入っている

使い方: python tools/check_build.py _build/html
"""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import yaml

RAW_ROLE = re.compile(r"\{(glue|glue:text|cite|cite:p|cite:t|term|numref|doc|ref)\}`")
SEARCH_TERMS = ["学習", "勾配", "過学習"]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict[str, str | None]] = []
        self.solutions: list[str] = []
        self._skip = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a)
        if tag in ("script", "style"):
            self._skip += 1
        classes = (a.get("class") or "").split()
        if "solution" in classes:
            self.solutions.append(" ".join(classes))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def toc_files(root: Path) -> list[str]:
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc.get("parts", toc.get("chapters", [])))
    return files


def check(html_dir: Path, repo_root: Path) -> list[str]:
    problems: list[str] = []
    pages = toc_files(repo_root)
    for page in pages:
        path = html_dir / f"{page}.html"
        if not path.exists():
            problems.append(f"{page}: HTML がありません（{path}）")
            continue
        c = _Collector()
        c.feed(path.read_text(encoding="utf-8"))
        text = "".join(c.text)
        for m in RAW_ROLE.finditer(text):
            problems.append(f"{page}: 未解決のロールが文字のまま残っています: {m.group(0)}")
        for img in c.imgs:
            if not (img.get("alt") or "").strip():
                problems.append(f"{page}: alt の無い画像があります: {img.get('src')}")
        for cls in c.solutions:
            if "dropdown" not in cls:
                problems.append(f"{page}: 折りたたまれていない解答があります（class={cls}）")
    index = html_dir / "searchindex.js"
    if not index.exists():
        problems.append("searchindex.js がありません")
    else:
        raw = index.read_text(encoding="utf-8")
        terms = json.loads(raw[raw.index("(") + 1 : raw.rindex(")")])["terms"]
        for term in SEARCH_TERMS:
            if term not in terms:
                problems.append(f"検索索引に「{term}」がありません（日本語の索引が作られていない？）")
    return problems


def main(argv: list[str]) -> int:
    html_dir = Path(argv[1] if len(argv) > 1 else "_build/html")
    problems = check(html_dir, Path(__file__).resolve().parents[1])
    for p in problems:
        print("NG:", p)
    if problems:
        return 1
    print(
        f"check_build: {len(toc_files(Path(__file__).resolve().parents[1]))} ページを確認しました（問題なし）"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
