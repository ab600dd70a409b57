"""各章の冒頭に書く「目安の時間」（本文を読む時間と演習の時間）を、ページの中身から見積もります。

見積もりの決まり（数字はここだけで決めます）:

- 本文: マークダウンの文字数（数式・リンク先・HTML を除く）を 1 分あたり ``CHARS_PER_MINUTE`` 字で読み、
  コードセル 1 つにつき ``MINUTES_PER_CODE_CELL`` 分（コードと出力を読んで実行する時間）を足します。
  章が複数のページに分かれていれば（_toc.yml の sections）、演習のページ以外を合計します。
- 演習: 演習のページ（``*-exercises``）の本文を同じ速さで読む時間に、問題 1 つ（``{exercise}``）につき
  ``MINUTES_PER_EXERCISE`` 分を足します。
- 総合演習（ファイル名が ``-capstone`` で終わる章。演習のページは無い）: 本文は同じように見積もり、
  課題の時間として、確認のセル（タグ ``exercise-check``）1 つにつき ``MINUTES_PER_PROJECT_CHECK`` 分
  （その手順を自分で組み、複数のシードで実行する時間）と、考察を書く ``MINUTES_FOR_WRITING`` 分を足します。
- どれも 5 分単位に切り上げます。

章の最初のページの、表題（``# 第N章 …``）のすぐ下の 1 行に書きます::

    **目安の時間**: 本文 約 35 分・演習 約 50 分（コードの実行を含みます）
    **目安の時間**: 本文 約 20 分・課題 約 120 分（コードの実行を含みます）   ← 総合演習

使い方:
    python tools/reading_time.py          # 見積もりを表示
    python tools/reading_time.py --write  # 各章の 1 行を書き込む（無ければ表題の下に足す）
    python tools/reading_time.py --check  # 書かれた値が見積もりと合っているか（合わなければ終了コード 1）
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CHARS_PER_MINUTE = 400
MINUTES_PER_CODE_CELL = 1.0
MINUTES_PER_EXERCISE = 15
MINUTES_PER_PROJECT_CHECK = 20
MINUTES_FOR_WRITING = 20
LINE = re.compile(r"^\*\*目安の時間\*\*: .*$", re.M)


def _text_chars(markdown: str) -> int:
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", "", markdown, flags=re.S)  # 数式
    text = re.sub(r"```\{(?:bibliography|glue).*?```", "", text, flags=re.S)
    text = re.sub(r"<[^>]+>|\{[a-z:-]+\}|`[^`]*<[^>]+>`|\]\([^)]*\)|^:\w+:.*$", "", text, flags=re.M)
    return len(re.sub(r"\s+", "", text))


def _cells(file: str) -> list[dict]:
    return json.loads((ROOT / f"{file}.ipynb").read_text(encoding="utf-8"))["cells"]


def _round5(minutes: float) -> int:
    return max(5, 5 * math.ceil(minutes / 5))


def chapters() -> list[tuple[str, list[str], str | None]]:
    """(章の最初のページ, 本文のページ, 演習のページ) を目次の順に返します（第N章のページだけ）。"""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = []
    for part in toc["parts"]:
        for ch in part["chapters"]:
            file = ch["file"]
            if not re.match(r"book/ch\d\d-", file) or not (ROOT / f"{file}.ipynb").exists():
                continue
            sections = [s["file"] for s in ch.get("sections", [])]
            exercises = next((s for s in sections if s.endswith("-exercises")), None)
            found.append((file, [file] + [s for s in sections if s != exercises], exercises))
    return found


def estimate(text_pages: list[str], exercise_page: str | None) -> tuple[int, int | None]:
    chars = code = 0
    for page in text_pages:
        for cell in _cells(page):
            src = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                chars += _text_chars(LINE.sub("", src))
            elif not src.lstrip().startswith("# Google Colab"):
                code += 1
    reading = _round5(chars / CHARS_PER_MINUTE + code * MINUTES_PER_CODE_CELL)
    if exercise_page is None:
        return reading, None
    ex_chars = n_ex = 0
    for cell in _cells(exercise_page):
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            ex_chars += _text_chars(src)
            n_ex += len(re.findall(r"^```\{exercise\}", src, flags=re.M))
    return reading, _round5(ex_chars / CHARS_PER_MINUTE + n_ex * MINUTES_PER_EXERCISE)


def project_minutes(first: str) -> int | None:
    """総合演習（``-capstone``）の課題の時間。ほかの章では None。"""
    if not first.endswith("-capstone"):
        return None
    checks = sum(
        1
        for cell in _cells(first)
        if cell["cell_type"] == "code" and "exercise-check" in cell["metadata"].get("tags", [])
    )
    return _round5(checks * MINUTES_PER_PROJECT_CHECK + MINUTES_FOR_WRITING)


def line_for(reading: int, exercises: int | None, project: int | None = None) -> str:
    parts = f"本文 約 {reading} 分"
    if exercises is not None:
        parts += f"・演習 約 {exercises} 分"
    if project is not None:
        parts += f"・課題 約 {project} 分"
    return f"**目安の時間**: {parts}（コードの実行を含みます）"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    # 書き換えるときだけ使います（nbformat の読み込みは 1 秒ほどかかり、講師向けガイドの表は見積もりだけを使うため）
    import nbformat

    wrong = []
    for first, pages, ex in chapters():
        expected = line_for(*estimate(pages, ex), project_minutes(first))
        path = ROOT / f"{first}.ipynb"
        nb = nbformat.read(path, as_version=4)
        cell = nb.cells[0]
        src = cell.source
        current = LINE.search(src)
        if args.write:
            if current:
                src = LINE.sub(expected, src, count=1)
            else:
                # 表題（# で始まる最初の行）のすぐ下に入れます（表題の前にラベル (xxx)= があってもよい）
                lines = src.split("\n")
                at = next(i for i, line in enumerate(lines) if line.startswith("# ")) + 1
                rest = "\n".join(lines[at:])
                head = "\n".join(lines[:at])
                src = f"{head}\n\n{expected}\n" + (rest if rest.startswith("\n") else "\n" + rest)
            cell.source = src
            nbformat.write(nb, path)
        elif current is None or current.group(0) != expected:
            wrong.append((first, current.group(0) if current else "（書かれていません）", expected))
        print(f"{first}: {expected}")
    if args.check and wrong:
        for first, got, want in wrong:
            print(
                f"{first}: 冒頭の目安の時間が見積もりと違います。\n  書かれている: {got}\n  見積もり:     {want}"
            )
        print("python tools/reading_time.py --write で書き直してください。")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
