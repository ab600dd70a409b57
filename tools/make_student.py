"""演習ページから nbgrader のコース（採点キット）と学生用ノートブックを作ります（``make assignments``）。

1. ``book/chNN-exercises.ipynb`` を nbgrader の **source**（``_build/nbgrader/source/chNN/``）に写し、
   セルに nbgrader のメタデータ（schema_version 3）を付けます:

   - ``### BEGIN SOLUTION`` 〜 ``### END SOLUTION`` のあるコードセル → 解答のセル（solution）
   - タグ ``exercise-check`` のコードセル → 自動採点のセル（grade、locked。点数はタグ ``points-N``、既定 1 点）
   - それ以外のセル → 読み取り専用（locked）
   - ``{solution-start}`` 〜 ``{solution-end}`` のマークダウン（解説）は取り除き、出力も消します。

2. nbgrader の ``generate_assignment`` を実行して **release**（``_build/nbgrader/release/chNN/``）を作ります。
   解答の範囲は ``pass  # ここにコードを書いてください`` になります（設定は ``grading/nbgrader_config.py``）。

3. release のノートブックを ``_build/student/`` にも写します（学生用のノートブックだけ欲しい人向け）。

使い方: python tools/make_student.py book _build/nbgrader _build/student
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
GRADING = ROOT / "grading"
CONFIG = GRADING / "nbgrader_config.py"
HEADER = GRADING / "header.ipynb"
EXERCISE_PAGES = "ch[0-9][0-9]-exercises.ipynb"

CHECK_TAG = "exercise-check"
POINTS_TAG = re.compile(r"^points-(\d+(?:\.\d+)?)$")
BEGIN, END = "BEGIN SOLUTION", "END SOLUTION"  # grading/nbgrader_config.py と同じ区切り
EXERCISE_LABEL = re.compile(r"```\{exercise(?:-start)?\}[^\n]*\n(?:[^\n]*\n)*?:label:\s*(\S+)")


def _points(cell) -> float | int:
    for tag in cell.metadata.get("tags", []):
        m = POINTS_TAG.match(tag)
        if m:
            value = float(m.group(1))
            return int(value) if value.is_integer() else value
    return 1


def _has_solution(cell) -> bool:
    return cell.cell_type == "code" and any(BEGIN in line for line in cell.source.splitlines())


def _unique(grade_id: str, used: set[str]) -> str:
    candidate, n = grade_id, 1
    while candidate in used:
        n += 1
        candidate = f"{grade_id}-{n}"
    used.add(candidate)
    return candidate


def to_source(nb: nbformat.NotebookNode, name: str = "exercises") -> nbformat.NotebookNode:
    """演習ページを nbgrader の source のノートブックにします（``nb`` を書き換えて返します）。"""
    cells = []
    used: set[str] = set()
    in_explanation = False
    label = None
    n_exercises = 0
    for index, cell in enumerate(nb.cells):
        src = cell.source
        if cell.cell_type == "markdown" and "{solution-start}" in src:
            in_explanation = True
            continue
        if cell.cell_type == "markdown" and "{solution-end}" in src:
            in_explanation = False
            continue
        if cell.cell_type == "markdown" and in_explanation:
            continue  # 解説は学生に配りません
        if cell.cell_type == "markdown":
            m = EXERCISE_LABEL.search(src)
            if m:
                label = m.group(1)
                n_exercises += 1
        exercise = label or f"{name}-{n_exercises}"
        tags = cell.metadata.get("tags", [])
        meta = {"schema_version": 3, "grade": False, "solution": False, "locked": True}
        if _has_solution(cell):
            if CHECK_TAG in tags:
                raise ValueError(f"{name}: 解答の範囲と {CHECK_TAG} のタグが同じセルにあります: {src[:80]!r}")
            meta.update(solution=True, locked=False, grade_id=_unique(f"{exercise}-answer", used))
        elif cell.cell_type == "code" and CHECK_TAG in tags:
            meta.update(grade=True, points=_points(cell), grade_id=_unique(f"{exercise}-check", used))
        else:
            meta["grade_id"] = _unique(f"cell-{cell.get('id') or index}", used)
        cell.metadata["nbgrader"] = meta
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("celltoolbar", None)
    return nb


def _config():
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()


def strip_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """学生用と同じ中身をメモリの上で作ります（source にしてから、nbgrader の ClearSolutions と ClearOutput）。

    ``make assignments`` は同じ設定（grading/nbgrader_config.py）で nbgrader の generate_assignment を
    実行します。こちらは 1 冊をすぐに確かめたいとき（とテスト）のためのものです。
    """
    from nbgrader.preprocessors import ClearOutput, ClearSolutions

    nb = to_source(nb)
    cfg = _config()
    for pp in (ClearSolutions(config=cfg), ClearOutput(config=cfg)):
        nb, _ = pp.preprocess(nb, {})
    return nb


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """コースのディレクトリ ``course`` で nbgrader のコマンドを実行します。

    ノートブックの実行には、この Python（.venv）に登録したカーネル python3 を使います
    （``JUPYTER_PATH`` の先頭に .venv の share/jupyter を置き、ほかの場所の python3 より優先させます）。
    ``make`` から呼ぶときのように .venv が有効になっていなくても動くよう、PATH の先頭に .venv/bin を置きます。
    """
    course = Path(course).resolve()
    env = dict(os.environ)
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(Path(sys.prefix) / "share" / "jupyter"), env.get("JUPYTER_PATH", "")) if p
    )
    # nbgrader は gradebook の版を見るのに alembic のコマンドを PATH から探します
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}"]
    proc = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} が失敗しました:\n{proc.stdout}\n{proc.stderr}")
    return proc


def write_source(pages: list[Path], course: Path) -> list[str]:
    """演習ページを ``course/source/chNN/`` に写し、設定と先頭のセルをコースに置きます。課題名の一覧を返します。"""
    course.mkdir(parents=True, exist_ok=True)
    shutil.copy(CONFIG, course / "nbgrader_config.py")
    shutil.copy(HEADER, course / "header.ipynb")
    assignments = []
    for page in pages:
        assignment = page.stem.split("-")[0]  # ch01-exercises → ch01
        nb = to_source(nbformat.read(page, as_version=4), page.stem)
        out = course / "source" / assignment / page.name
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out)
        assignments.append(assignment)
    return assignments


def main(argv: list[str]) -> int:
    book = Path(argv[1]) if len(argv) > 1 else ROOT / "book"
    course = Path(argv[2]) if len(argv) > 2 else ROOT / "_build" / "nbgrader"
    student = Path(argv[3]) if len(argv) > 3 else ROOT / "_build" / "student"
    pages = sorted(book.glob(EXERCISE_PAGES))
    if not pages:
        print(f"{book} に演習ページ（{EXERCISE_PAGES}）がありません", file=sys.stderr)
        return 1
    # 作り直す部分だけ消します（gradebook.db と提出物・採点結果は残します）
    for sub in ("source", "release"):
        shutil.rmtree(course / sub, ignore_errors=True)
    shutil.rmtree(student, ignore_errors=True)
    assignments = write_source(pages, course)
    student.mkdir(parents=True)
    # source/ は作り直したばかりなので、"*" はちょうど今の章の課題（1 回の起動ですべて作ります）
    nbgrader(course, "generate_assignment", "*", "--force")
    for assignment in assignments:
        for nb in sorted((course / "release" / assignment).glob("*.ipynb")):
            shutil.copy(nb, student / nb.name)
    print(
        f"nbgrader の課題を {len(assignments)} 個作りました: {course}/source（解答つき）, {course}/release（学生用）"
    )
    print(f"学生用ノートブック: {student}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
