"""本のリポジトリの URL を 1 か所（_config.yml の repository.url）で決め、ほかの場所をそろえます。

URL が書かれているのは次の場所です。

- ``_config.yml`` の ``repository.url``（ページ上部の GitHub・issue・編集・起動ボタンが使う。**これが正**）
- 各ノートブックの最初のコードセル（Colab で開いたときに ``%pip install "nnreg @ git+<URL>"`` する）

使い方:
    python tools/set_repository.py --check                  # すべてが _config.yml の URL とそろっているか
    python tools/set_repository.py https://github.com/you/your-book   # _config.yml とノートブックを書き換える

本をフォークして自分のコピーを公開するときに使います（README の「自分のコピーを公開する」）。
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
URL_RE = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+$")
CONFIG_RE = re.compile(r"(?m)^(repository:\n(?:[ \t]+.*\n)*?[ \t]+url:[ \t]*)(\S+)")
PIP_RE = re.compile(r'(git\+)(https://github\.com/[\w.-]+/[\w.-]+)(")')


def config_url(root: Path = ROOT) -> str:
    """_config.yml の repository.url。"""
    m = CONFIG_RE.search((root / "_config.yml").read_text(encoding="utf-8"))
    if not m:
        raise ValueError("_config.yml に repository.url が見つかりません")
    return m.group(2)


def notebook_urls(root: Path = ROOT) -> dict[str, list[str]]:
    """ノートブックごとの、最初のコードセルの pip の行に書かれた URL。"""
    out = {}
    for path in sorted((root / "book").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        out[path.name] = [m.group(2) for m in PIP_RE.finditer(first.source)]
    return out


def mismatches(root: Path = ROOT) -> list[str]:
    """_config.yml の URL とそろっていない場所の説明（そろっていれば空）。"""
    url = config_url(root)
    bad = []
    for name, urls in notebook_urls(root).items():
        if not urls:
            bad.append(f"{name}: 最初のコードセルに git+<URL> の pip の行がありません")
        bad += [f"{name}: {u}（期待: {url}）" for u in urls if u != url]
    return bad


def set_url(url: str, root: Path = ROOT) -> int:
    """_config.yml とすべてのノートブックの URL を ``url`` に書き換え、書き換えたファイルの数を返します。"""
    url = url.rstrip("/")
    if not URL_RE.match(url):
        raise ValueError(
            f"URL は https://github.com/<ユーザー>/<リポジトリ> の形を期待しています（受け取った値: {url!r}）"
        )
    changed = 0
    cfg = root / "_config.yml"
    text = cfg.read_text(encoding="utf-8")
    new = CONFIG_RE.sub(lambda m: m.group(1) + url, text, count=1)
    if new != text:
        cfg.write_text(new, encoding="utf-8")
        changed += 1
    for path in sorted((root / "book").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        src = PIP_RE.sub(lambda m: m.group(1) + url + m.group(3), first.source)
        if src != first.source:
            first.source = src
            nbformat.write(nb, path)
            changed += 1
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "url", nargs="?", help="新しいリポジトリの URL（https://github.com/<ユーザー>/<リポジトリ>）"
    )
    group.add_argument("--check", action="store_true", help="そろっているかを確かめるだけ")
    args = parser.parse_args(argv)
    if args.check:
        bad = mismatches()
        if bad:
            print("リポジトリの URL がそろっていません:\n  " + "\n  ".join(bad))
            return 1
        print(f"リポジトリの URL はすべて {config_url()} でそろっています。")
        return 0
    n = set_url(args.url)
    print(f"{n} 個のファイルを書き換えました（URL: {args.url.rstrip('/')}）。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
