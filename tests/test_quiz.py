"""理解度チェック（_ext/nnreg_quiz.py の quiz ディレクティブ）のテスト。

- 書式の読み取り（問題文・選択肢・解説）と、誤り（正解が 0 個・2 個、解説の欠け）の日本語のメッセージ
- 小さな Sphinx のプロジェクト（MyST）を html と singlehtml でビルドし、-W -n で警告なく出力できること、
  誤りのあるクイズではビルドが止まること
- 各章の本文のページに 3〜5 問あり、すべて正しく書けていること（ラベルは本全体で重複しない）
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location("nnreg_quiz", ROOT / "_ext" / "nnreg_quiz.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["nnreg_quiz"] = mod  # dataclass がモジュールを引けるように
    spec.loader.exec_module(mod)
    return mod


quiz = _load()

GOOD = """\
L2正則化の係数を $\\lambda$、学習率を $\\eta$ とすると、重みに掛かる係数は？

- [ ] $1-\\eta\\lambda$
  : $\\tfrac12$ 付きの慣習の係数です。
    続きの行です。
- [x] $1-2\\eta\\lambda$
  : 正しい理由です。
- [ ] $1-2\\lambda$
  : 学習率が抜けています。

    2 つ目の段落です。
"""


def test_parse_question_choices_and_explanations():
    q = quiz.parse_quiz(GOOD.splitlines())
    assert q.question == ["L2正則化の係数を $\\lambda$、学習率を $\\eta$ とすると、重みに掛かる係数は？"]
    assert [c.text for c in q.choices] == ["$1-\\eta\\lambda$", "$1-2\\eta\\lambda$", "$1-2\\lambda$"]
    assert [c.correct for c in q.choices] == [False, True, False] and q.answer == 1
    assert q.choices[0].explanation == ["$\\tfrac12$ 付きの慣習の係数です。", "続きの行です。"]
    assert q.choices[2].explanation == ["学習率が抜けています。", "", "2 つ目の段落です。"]
    # 行の位置（エラーの場所の表示に使う）
    assert [c.offset for c in q.choices] == [2, 5, 7]


def test_choice_text_may_continue_on_indented_lines():
    q = quiz.parse_quiz(
        ["問い", "- [X] 長い選択肢の", "  つづき", "  : 解説", "- [ ] 別の選択肢", "  : 解説 2"]
    )
    assert q.choices[0].text == "長い選択肢の つづき" and q.choices[0].correct


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("問い\n- [ ] a\n  : x\n- [ ] b\n  : y", "正解の選択肢がありません"),
        (
            "問い\n- [x] a\n  : x\n- [x] b\n  : y\n- [ ] c\n  : z",
            "正解の選択肢（- [x]）が 2 つあります（A・B）",
        ),
        ("問い\n- [ ] a\n  : x\n- [x] b", "選択肢 B「b」に解説がありません"),
        ("問い\n- [ ] a\n- [x] b\n  : y", "選択肢 A「a」に解説がありません"),
        ("- [ ] a\n  : x\n- [x] b\n  : y", "問題文がありません"),
        ("問い\n- [x] a\n  : x", "選択肢が 1 つしかありません"),
        ("問い\n- [x] a\n  : x\n- [ ] b\n  : y\nはみ出した行", "選択肢 B のあとの行が読めません"),
        ("問い\n- [o] a\n  : x", "選択肢の行が読めません"),
    ],
)
def test_parse_errors_are_clear_japanese(text, message):
    with pytest.raises(quiz.QuizError, match=re.escape(message)):
        quiz.parse_quiz(text.splitlines())


# ---- 小さなプロジェクトをビルドする --------------------------------------------------------------------


def _project(tmp_path: Path, body: str) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / '_ext')!r})\n"
        "extensions = ['myst_parser', 'nnreg_quiz']\n"
        "myst_enable_extensions = ['dollarmath', 'amsmath', 'colon_fence', 'deflist']\n"
        "language = 'ja'\n",
        encoding="utf-8",
    )
    (src / "index.md").write_text(f"# テスト\n\n{body}\n", encoding="utf-8")
    return src


def _build(src: Path, builder: str) -> tuple[int, str, Path]:
    """sphinx-build を別のプロセスで実行します（docutils の登録が前のビルドと混ざらないように）。"""
    out = src.parent / "_build" / builder
    cmd = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        builder,
        "-W",
        "-n",
        "--keep-going",
        "-q",
        "-E",
        str(src),
        str(out),
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"}
    )
    return proc.returncode, proc.stderr, out


FENCE = (
    "```{quiz}\n:label: quiz-test-1\n"
    + GOOD
    + "```\n\n```{quiz}\n問い 2 は `code` と **強調**\n- [x] はい\n  : そうです。\n- [ ] いいえ\n  : 違います。\n```"
)


@pytest.mark.parametrize("builder", ["html", "singlehtml"])
def test_build_renders_buttons_math_and_explanations_without_warnings(tmp_path, builder):
    code, warnings, out = _build(_project(tmp_path, FENCE), builder)
    assert code == 0 and warnings == "", warnings
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.count('class="nnreg-quiz"') == 2 and 'id="quiz-test-1"' in html
    assert html.count('<button aria-controls="quiz-test-1-e') == 3
    # 選択肢の数式は MathJax が処理する class="math" の要素で \( \) に囲まれて出る
    assert (
        '<span class="nnreg-quiz-text"><span class="math notranslate nohighlight">\\(1-2\\eta\\lambda\\)</span>'
        in html
    )
    assert html.count('data-correct="true"') == 2 and html.count('data-correct="false"') == 3
    assert html.count("nnreg-quiz-verdict-right") == 2 and "× 不正解" in html
    assert "続きの行です。" in html and "<p>2 つ目の段落です。</p>" in html
    assert 'aria-live="polite"' in html and "問 2" in html
    assert "<strong>強調</strong>" in html
    assert "nnreg-quiz.js" in html and "nnreg-quiz.css" in html and "mathjax" in html.lower()
    assert (out / "_static" / "nnreg-quiz.js").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("```{quiz}\n問い\n- [ ] a\n  : x\n- [ ] b\n  : y\n```", "正解の選択肢がありません"),
        ("```{quiz}\n問い\n- [x] a\n  : x\n- [x] b\n  : y\n```", "正解の選択肢（- [x]）が 2 つあります"),
        ("```{quiz}\n問い\n- [ ] a\n  : x\n- [x] b\n```", "選択肢 B「b」に解説がありません"),
    ],
)
def test_broken_quiz_stops_the_build_with_japanese_message(tmp_path, body, message):
    code, warnings, _ = _build(_project(tmp_path, body), "html")
    assert code != 0
    assert "クイズの書式の誤り" in warnings and message in warnings, warnings
    assert "index.md:" in warnings  # 場所（ファイルと行）も示す


# ---- 本のクイズ ---------------------------------------------------------------------------------------


def _main_pages() -> dict[str, list[str]]:
    # 各章の本文のページ（目次の章と、その下の演習以外の節のページ）。第1〜8章だけ（第9章は総合演習）
    spec = importlib.util.spec_from_file_location("reading_time", ROOT / "tools" / "reading_time.py")
    rt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rt)
    return {
        first[7:9]: [p.removeprefix("book/") for p in pages]
        for first, pages, _ in rt.chapters()
        if first[7:9] in {f"0{n}" for n in range(1, 9)}
    }


MAIN_PAGES = _main_pages()
QUIZ_RE = re.compile(r"^```\{quiz\}\n(.*?)^```$", re.S | re.M)


def _quizzes(stem: str) -> list[str]:
    nb = json.loads((ROOT / "book" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    return [
        q for c in nb["cells"] if c["cell_type"] == "markdown" for q in QUIZ_RE.findall("".join(c["source"]))
    ]


def test_main_pages_are_the_chapter_pages():
    chapters = sorted(
        p.stem for p in (ROOT / "book").glob("ch0[1-8]-*.ipynb") if not p.stem.endswith("-exercises")
    )
    assert sorted(s for pages in MAIN_PAGES.values() for s in pages) == chapters


@pytest.mark.parametrize("chapter", sorted(MAIN_PAGES))
def test_every_chapter_has_three_to_five_valid_quizzes(chapter):
    found = [q for stem in MAIN_PAGES[chapter] for q in _quizzes(stem)]
    assert 3 <= len(found) <= 5, f"第{int(chapter)}章のクイズが {len(found)} 問（3〜5 問）"
    for k, body in enumerate(found, 1):
        lines = body.splitlines()
        assert lines[0] == f":label: quiz-ch{chapter}-{k}", lines[0]
        q = quiz.parse_quiz(lines[1:])
        assert 3 <= len(q.choices) <= 4
        assert all(c.explanation for c in q.choices)
    # クイズは「## 理解度チェック」の下、「## まとめ」の前に置く
    for stem in MAIN_PAGES[chapter]:
        nb = json.loads((ROOT / "book" / f"{stem}.ipynb").read_text(encoding="utf-8"))
        text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
        if "```{quiz}" in text:
            assert (
                text.index("## 理解度チェック")
                < text.index("```{quiz}")
                < text.rindex("```{quiz}")
                < text.index("## まとめ")
            )


def test_quiz_labels_are_unique_in_the_book():
    labels = [q.splitlines()[0] for pages in MAIN_PAGES.values() for s in pages for q in _quizzes(s)]
    assert len(labels) == len(set(labels))
