"""理解度チェック（多肢選択のクイズ）の ``quiz`` ディレクティブ（_config.yml の sphinx.local_extensions から読み込みます）。

カーネルなしの静的な HTML で動きます。書き方（ノートブックの Markdown セルの中に書けます）::

    ```{quiz}
    :label: quiz-ch02-1
    問題文（MyST。数式 $...$ も使えます）
    - [ ] 誤りの選択肢（1 行。MyST のインライン記法と $...$ が使えます）
      : なぜ誤りかの解説（字下げした「: 」で始めます。続きの行も字下げします）
    - [x] 正解の選択肢
      : 正しい理由の解説
    ```

- 正解（``- [x]``）はちょうど 1 つ、すべての選択肢に解説が必要です。守られていなければ、場所と理由を日本語で書いた
  エラーになります（本は -W でビルドするので、ビルドが止まります）。
- HTML では選択肢がボタンになり、_static/nnreg-quiz.js が押した選択肢の解説を表示して正解・不正解の印を付けます。
  JavaScript が動かないときや印刷（PDF 版）では、すべての選択肢と解説を表示し、正解をはっきり示します
  （_static/nnreg-quiz.css）。
- html と singlehtml（PDF 版の元）の両方のビルダーに出力を登録しています。
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

STATIC_DIR = Path(__file__).resolve().parents[1] / "_static"
JS_FILE = "nnreg-quiz.js"
CSS_FILE = "nnreg-quiz.css"
MARKS = "ABCDEFGH"

CHOICE_RE = re.compile(r"^- \[(?P<box>[ xX])\][ \t]+(?P<text>\S.*)$")
EXPLANATION_RE = re.compile(r"^[ \t]+:[ \t]+(?P<text>\S.*)$")


class QuizError(ValueError):
    """クイズの書式の誤り。``offset`` は内容の何行目（0 始まり）か。"""

    def __init__(self, message: str, offset: int = 0):
        super().__init__(message)
        self.offset = offset


@dataclass
class Choice:
    text: str
    correct: bool
    offset: int
    explanation: list[str] = field(default_factory=list)
    explanation_offset: int = 0


@dataclass
class Quiz:
    question: list[str]
    choices: list[Choice]
    question_offset: int = 0

    @property
    def answer(self) -> int:
        return next(i for i, c in enumerate(self.choices) if c.correct)


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def parse_quiz(lines: list[str]) -> Quiz:
    """ディレクティブの内容（オプションを除いた行）をクイズに分けます。誤りは :class:`QuizError`。"""
    question: list[str] = []
    choices: list[Choice] = []
    in_explanation = False
    column = 0
    for i, line in enumerate(lines):
        m = CHOICE_RE.match(line)
        if m:
            choices.append(Choice(m["text"].strip(), m["box"] != " ", i))
            in_explanation = False
            continue
        if not choices:
            if line.startswith("- ["):
                raise QuizError(
                    f"選択肢の行が読めません: {line.strip()!r}（「- [ ] 選択肢」か「- [x] 正解の選択肢」と書きます）",
                    i,
                )
            question.append(line)
            continue
        choice = choices[-1]
        if not line.strip():
            if in_explanation:
                choice.explanation.append("")
            continue
        m = EXPLANATION_RE.match(line)
        if m and not in_explanation:
            in_explanation = True
            choice.explanation_offset = i
            choice.explanation.append(m["text"])
            column = m.start("text")
        elif line[:1] in (" ", "\t") and in_explanation:
            # 解説の続きの行は「: 」のあとの桁まで字下げを取り除きます（解説の中の箇条書きなどを保つため）
            indent = len(line) - len(line.lstrip())
            choice.explanation.append(line[min(indent, column) :])
        elif line[:1] in (" ", "\t"):
            choice.text += " " + line.strip()
        else:
            raise QuizError(
                f"選択肢 {MARKS[len(choices) - 1]} のあとの行が読めません: {line.strip()!r}"
                "（解説は字下げした「: 」で始め、続きの行も字下げします）",
                i,
            )
    question_offset = next((i for i, q in enumerate(question) if q.strip()), 0)
    question = _trim(question)
    if not question:
        raise QuizError("問題文がありません（選択肢の前に問題文を書きます）。", 0)
    if len(choices) < 2:
        raise QuizError(
            f"選択肢が {len(choices)} つしかありません（「- [ ] 選択肢」の行を 2 つ以上書きます）。",
            len(lines) - 1,
        )
    if len(choices) > len(MARKS):
        raise QuizError(f"選択肢が多すぎます（{len(MARKS)} つまで）。", choices[len(MARKS)].offset)
    correct = [c for c in choices if c.correct]
    if not correct:
        raise QuizError("正解の選択肢がありません。正解の 1 つを「- [x]」にしてください。", choices[0].offset)
    if len(correct) > 1:
        marks = "・".join(MARKS[choices.index(c)] for c in correct)
        raise QuizError(
            f"正解の選択肢（- [x]）が {len(correct)} つあります（{marks}）。正解はちょうど 1 つにしてください。",
            correct[1].offset,
        )
    for k, c in enumerate(choices):
        c.explanation = _trim(c.explanation)
        if not c.explanation:
            kind = "正しい理由" if c.correct else "なぜ誤りか"
            raise QuizError(
                f"選択肢 {MARKS[k]}「{c.text}」に解説がありません。次の行に字下げして「: 」で始め、{kind}を書いてください。",
                c.offset,
            )
    return Quiz(question, choices, question_offset)


# ---- ノード -------------------------------------------------------------------------------------------


class quiz(nodes.General, nodes.Element):
    """1 問全体（div.nnreg-quiz）。"""


class quiz_choice(nodes.General, nodes.Element):
    """選択肢 1 つ（li）。属性 correct, mark。子はボタンと解説。"""


class quiz_button(nodes.General, nodes.Element):
    """選択肢の文言のボタン。子はインラインのノード。"""


class quiz_explanation(nodes.General, nodes.Element):
    """選択肢の解説（div）。"""


class QuizDirective(SphinxDirective):
    has_content = True
    option_spec: ClassVar[dict] = {"label": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        try:
            parsed = parse_quiz(list(self.content))
        except QuizError as err:
            line = self.content_offset + err.offset + 1
            raise self.error(f"クイズの書式の誤り（{line} 行目付近）: {err}") from None

        number = self.env.temp_data.get("nnreg_quiz_count", 0) + 1
        self.env.temp_data["nnreg_quiz_count"] = number
        label = self.options.get("label") or f"quiz-{self.env.docname}-{number}"
        ident = nodes.make_id(label)
        node = quiz(number=number)
        node["ids"].append(ident)
        self.set_source_info(node)
        self.state.document.note_explicit_target(node, node)

        question = nodes.container(classes=["nnreg-quiz-question"], ids=[f"{ident}-q"])
        source = self.content.source(0)
        self.state.nested_parse(
            StringList(parsed.question, source), self.content_offset + parsed.question_offset, question
        )
        node += question

        for k, c in enumerate(parsed.choices):
            mark = MARKS[k]
            item = quiz_choice(correct=c.correct, mark=mark)
            button = quiz_button(controls=f"{ident}-e{k + 1}", mark=mark)
            inline, messages = self.state.inline_text(c.text, self.lineno + c.offset)
            button.extend(inline)
            item += button
            item.extend(messages)
            explanation = quiz_explanation(correct=c.correct, ids=[f"{ident}-e{k + 1}"])
            self.state.nested_parse(
                StringList(c.explanation, source), self.content_offset + c.explanation_offset, explanation
            )
            item += explanation
            node += item
        return [node]


# ---- HTML（html と singlehtml）------------------------------------------------------------------------


def visit_quiz(self, node: quiz) -> None:
    ident = node["ids"][0]
    self.body.append(
        self.starttag(node, "div", CLASS="nnreg-quiz", role="group", **{"aria-labelledby": f"{ident}-t"})
    )
    self.body.append(f'<p class="nnreg-quiz-title" id="{ident}-t">問 {node["number"]}</p>\n')


def depart_quiz(self, node: quiz) -> None:
    self.body.append("</ol>\n")
    # 押した結果（正解・不正解）を読み上げるための欄
    self.body.append('<p class="nnreg-quiz-feedback" aria-live="polite"></p>\n</div>\n')


def visit_quiz_choice(self, node: quiz_choice) -> None:
    index = node.parent.index(node)
    if index == 0 or not isinstance(node.parent[index - 1], quiz_choice):
        self.body.append('<ol class="nnreg-quiz-choices">\n')
    correct = "true" if node["correct"] else "false"
    self.body.append(self.starttag(node, "li", CLASS="nnreg-quiz-choice", **{"data-correct": correct}))


def depart_quiz_choice(self, node: quiz_choice) -> None:
    self.body.append("</li>\n")


def visit_quiz_button(self, node: quiz_button) -> None:
    attrs = {"type": "button", "aria-expanded": "false", "aria-controls": node["controls"]}
    self.body.append(self.starttag(node, "button", "", CLASS="nnreg-quiz-button", **attrs))
    self.body.append(f'<span class="nnreg-quiz-mark">{node["mark"]}</span> <span class="nnreg-quiz-text">')


def depart_quiz_button(self, node: quiz_button) -> None:
    self.body.append("</span></button>\n")


def visit_quiz_explanation(self, node: quiz_explanation) -> None:
    self.body.append(self.starttag(node, "div", CLASS="nnreg-quiz-explanation"))
    verdict = "○ 正解" if node["correct"] else "× 不正解"
    kind = "right" if node["correct"] else "wrong"
    self.body.append(f'<p class="nnreg-quiz-verdict nnreg-quiz-verdict-{kind}">{verdict}</p>\n')


def depart_quiz_explanation(self, node: quiz_explanation) -> None:
    self.body.append("</div>\n")


HTML_VISITORS = {
    quiz: (visit_quiz, depart_quiz),
    quiz_choice: (visit_quiz_choice, depart_quiz_choice),
    quiz_button: (visit_quiz_button, depart_quiz_button),
    quiz_explanation: (visit_quiz_explanation, depart_quiz_explanation),
}


def add_static_files(app) -> None:
    """JupyterBook は本の _static/ の .js と .css を全ページに読み込みます。それ以外の Sphinx の
    プロジェクト（テスト）でも動くように、まだ登録されていなければここで登録します。"""
    if app.builder.format != "html":
        return
    js = [getattr(f, "filename", f if isinstance(f, str) else f[0]) for f in app.config.html_js_files]
    if JS_FILE in js:
        return
    app.config.html_static_path.append(str(STATIC_DIR))
    app.add_js_file(JS_FILE)
    app.add_css_file(CSS_FILE)


def setup(app):
    for node_class, visitors in HTML_VISITORS.items():
        app.add_node(node_class, html=visitors, singlehtml=visitors)
    app.add_directive("quiz", QuizDirective)
    app.connect("builder-inited", add_static_files)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
