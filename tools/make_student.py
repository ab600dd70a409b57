"""学生用ノートブックを作ります: 解答を取り除き、出力を消します。

- コードセルの ``### BEGIN SOLUTION`` から ``### END SOLUTION`` までを
  ``# ここにコードを書いてください`` に置き換えます。
- ``{solution-start}`` から ``{solution-end}`` までのマークダウン（解説）を取り除きます。
- すべての出力と実行回数を消します。

使い方: python tools/make_student.py book _build/student
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

SOLUTION = re.compile(r"^[ \t]*### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*\n?", re.S | re.M)
PLACEHOLDER = "# ここにコードを書いてください\n"


def strip_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cells = []
    in_solution = False
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == "markdown" and "{solution-start}" in src:
            in_solution = True
            continue
        if cell.cell_type == "markdown" and "{solution-end}" in src:
            in_solution = False
            continue
        if cell.cell_type == "code":
            if "### BEGIN SOLUTION" in src:
                cell.source = SOLUTION.sub(PLACEHOLDER, src).rstrip() + "\n"
            cell.outputs = []
            cell.execution_count = None
            cells.append(cell)
        elif not in_solution:
            cells.append(cell)
    nb.cells = cells
    return nb


def main(argv: list[str]) -> int:
    src_dir, out_dir = Path(argv[1]), Path(argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = sorted(src_dir.glob("*.ipynb"))
    for path in paths:
        nb = strip_solutions(nbformat.read(path, as_version=4))
        nbformat.write(nb, out_dir / path.name)
    print(f"学生用ノートブックを {len(paths)} 冊作りました: {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
