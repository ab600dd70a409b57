"""採点キット（make assignments = tools/make_student.py + nbgrader）の往復のテスト。

小さな合成の演習ノートブック（関数の答え 1 点・変数の答え 2 点）から nbgrader のコースを作り、
本物の nbgrader で generate_assignment と autograde を実行して、次を確かめます:

1. source（解答つき）をそのまま提出 → 満点
2. release（学生用）を何も書かずに提出 → 自動採点のセルはすべて 0 点、しかも最後のセルまで実行される
3. 片方だけ正しく答えた提出（もう片方はよくある間違い）→ 正しいほうの点だけ

本物の演習ページ（book/ch01-exercises.ipynb）からも generate_assignment で学生用が作れることを確かめます。
"""

import ast
import importlib.util
import json
import os
import shutil
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
STUB = "pass  # ここにコードを書いてください"


def _load_tool():
    spec = importlib.util.spec_from_file_location("make_student", ROOT / "tools" / "make_student.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


tool = _load_tool()


def _check_cell(source, points=None):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["exercise-check"] + ([f"points-{points}"] if points else [])
    return cell


def synthetic_page() -> nbformat.NotebookNode:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.cells = [
        md("# 合成の演習"),
        code("import numpy as np\n\nfrom nnreg.exercises import call, expect_close, grade"),
        md("```{exercise} 二乗和\n:label: ex-square\n\n`sum_of_squares(x)` を書いてください。\n```"),
        code(
            "def sum_of_squares(x):\n"
            "    ### BEGIN SOLUTION\n"
            "    return float(np.sum(np.asarray(x, dtype=float) ** 2))\n"
            "    ### END SOLUTION\n"
        ),
        md("```{solution-start} ex-square\n:class: dropdown\n```\n二乗してから足します（解説）。"),
        md("```{solution-end}\n```"),
        _check_cell(
            'grade("sum_of_squares", lambda: expect_close(\n'
            '    call(sum_of_squares, [1.0, 2.0, 3.0], name="sum_of_squares"), 14.0,\n'
            '    name="sum_of_squares([1, 2, 3])", hint="2 乗してから足しましたか。"))'
        ),
        md("```{exercise} 平均\n:label: ex-mean\n\n`data` の平均を `mean_value` に入れてください。\n```"),
        code(
            "data = np.array([1.0, 2.0, 3.0, 6.0])\n"
            "mean_value = None\n"
            "### BEGIN SOLUTION\n"
            "mean_value = float(np.mean(data))\n"
            "### END SOLUTION\n"
            'print("平均:", mean_value)'
        ),
        md("```{solution-start} ex-mean\n:class: dropdown\n```\n合計を個数で割ります（解説）。"),
        md("```{solution-end}\n```"),
        _check_cell(
            'grade("mean_value", lambda: expect_close(mean_value, 3.0, name="mean_value"))', points=2
        ),
        md("おしまい。"),
        code('print("最後のセルまで実行されました")'),
    ]
    return nb


def _gradebook_scores(course: Path, assignment: str, notebook: str, student: str):
    """gradebook から（合計, 満点, {grade_id: 点}）を読みます。"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            sub = gb.find_submission_notebook(notebook, assignment, student)
            cells = {g.name: g.score for g in sub.grades}
            return sub.score, sub.max_score, cells


def _parses(source: str) -> bool:
    from IPython.core.inputtransformer2 import TransformerManager

    ast.parse(TransformerManager().transform_cell(source))  # %pip などの IPython の書き方も通す
    return True


def _cell(nb, grade_id):
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return cell


@pytest.fixture
def alembic_on_path(monkeypatch):
    # nbgrader の Gradebook は alembic のコマンドを PATH から探します（.venv が有効でなくても動くように）
    monkeypatch.setenv("PATH", os.pathsep.join((str(Path(sys.executable).parent), os.environ["PATH"])))


def test_round_trip_reference_blank_and_partial_submissions(tmp_path, alembic_on_path):
    book = tmp_path / "book"
    book.mkdir()
    nbformat.write(synthetic_page(), book / "syn-exercises.ipynb")
    course = tmp_path / "course"
    (assignment,) = tool.write_source([book / "syn-exercises.ipynb"], course)
    assert assignment == "syn"
    source_path = course / "source" / "syn" / "syn-exercises.ipynb"
    source = nbformat.read(source_path, as_version=4)

    # source: メタデータと、解説を取り除いたこと
    meta = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in source.cells}
    assert meta["ex-square-answer"] == {
        "schema_version": 3,
        "solution": True,
        "grade": False,
        "locked": False,
        "grade_id": "ex-square-answer",
    }
    assert meta["ex-square-check"]["grade"] and meta["ex-square-check"]["locked"]
    assert meta["ex-square-check"]["points"] == 1 and meta["ex-mean-check"]["points"] == 2
    assert not any(m["solution"] or m["grade"] for k, m in meta.items() if k.startswith("cell-"))
    assert all(m["locked"] for k, m in meta.items() if k.startswith("cell-"))
    assert not any("解説" in c.source or "{solution-" in c.source for c in source.cells)

    tool.nbgrader(course, "generate_assignment", "syn", "--force")
    release_path = course / "release" / "syn" / "syn-exercises.ipynb"
    release = nbformat.read(release_path, as_version=4)
    func = _cell(release, "ex-square-answer").source
    assert "np.sum" not in func and f"    {STUB}" in func  # 関数の中では字下げしたまま
    assert _cell(release, "ex-mean-answer").source.startswith(
        f"data = np.array([1.0, 2.0, 3.0, 6.0])\nmean_value = None\n{STUB}"
    )
    assert all(_parses(c.source) for c in release.cells if c.cell_type == "code")
    # 先頭に日本語の使い方（grading/header.ipynb）
    assert release.cells[0].source.startswith("# 演習ノートブックの使い方")

    # 提出物: 解答つきの source、何も書いていない release、片方だけ正しい release
    partial = nbformat.read(release_path, as_version=4)
    wrong = _cell(partial, "ex-square-answer")
    wrong.source = wrong.source.replace(STUB, "return float(np.sum(x))  # よくある間違い: 2 乗を忘れた")
    right = _cell(partial, "ex-mean-answer")
    right.source = right.source.replace(STUB, "mean_value = float(data.sum() / len(data))")
    for student, nb in {"reference": source, "blank": release, "partial": partial}.items():
        out = course / "submitted" / student / "syn"
        out.mkdir(parents=True)
        nbformat.write(nb, out / "syn-exercises.ipynb")

    tool.nbgrader(course, "autograde", "syn", "--create", "--force")

    score, max_score, cells = _gradebook_scores(course, "syn", "syn-exercises", "reference")
    assert (score, max_score) == (3, 3), cells
    score, _, cells = _gradebook_scores(course, "syn", "syn-exercises", "blank")
    assert score == 0 and cells == {"ex-square-check": 0, "ex-mean-check": 0}
    score, _, cells = _gradebook_scores(course, "syn", "syn-exercises", "partial")
    assert score == 2 and cells == {"ex-square-check": 0, "ex-mean-check": 2}

    # 何も書いていない提出も、エラーで止まらずに最後のセルまで実行されている
    graded = nbformat.read(course / "autograded" / "blank" / "syn" / "syn-exercises.ipynb", as_version=4)
    code_cells = [c for c in graded.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code_cells)
    assert "最後のセルまで実行されました" in "".join(o.get("text", "") for o in code_cells[-1].outputs)
    errors = [o for c in code_cells for o in c.outputs if o.output_type == "error"]
    assert {e.ename for e in errors} == {"ExerciseFailed"}
    partial_graded = course / "autograded" / "partial" / "syn" / "syn-exercises.ipynb"
    assert "2 乗してから足しましたか" in json.dumps(
        json.loads(partial_graded.read_text(encoding="utf-8")), ensure_ascii=False
    )


def test_real_exercise_page_generates_an_assignment_and_its_solutions_get_full_marks(
    tmp_path, alembic_on_path
):
    page = ROOT / "book" / "ch01-exercises.ipynb"
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(page, book / page.name)  # 書き直しの途中でも、写した 1 つの版だけを見る
    original = nbformat.read(book / page.name, as_version=4)
    course = tmp_path / "course"
    assert tool.write_source([book / page.name], course) == ["ch01"]
    tool.nbgrader(course, "generate_assignment", "ch01", "--force")
    release = nbformat.read(course / "release" / "ch01" / page.name, as_version=4)

    # 学生用には解答も解説も出力も無く、どのセルも Python として読める
    text = "\n".join(c.source for c in release.cells)
    assert "BEGIN SOLUTION" not in text and "{solution-start}" not in text
    code = "\n".join(c.source for c in release.cells if c.cell_type == "code")
    n_answers = sum("### BEGIN SOLUTION" in c.source for c in original.cells if c.cell_type == "code")
    assert code.count(STUB) == n_answers > 0
    assert all(c.outputs == [] for c in release.cells if c.cell_type == "code")
    assert all(_parses(c.source) for c in release.cells if c.cell_type == "code")

    checks = [c for c in original.cells if "exercise-check" in c.metadata.get("tags", [])]
    graded = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(graded) == len(checks)
    if not checks:
        # 演習ページの書き直しの前（確認セルに exercise-check のタグが無い版）は、学生用が作れることだけを確かめます
        return
    # 解答つきの source をそのまま提出すると満点（各章の check_* が模範解答を正解とする）
    submitted = course / "submitted" / "reference" / "ch01"
    submitted.mkdir(parents=True)
    shutil.copy(course / "source" / "ch01" / page.name, submitted / page.name)
    tool.nbgrader(course, "autograde", "ch01", "--create", "--force")
    score, max_score, cells = _gradebook_scores(course, "ch01", page.stem, "reference")
    assert max_score == sum(tool._points(c) for c in checks)
    assert score == max_score, cells
