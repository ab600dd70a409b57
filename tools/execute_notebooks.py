"""ノートブックを新しいカーネルで上から実行し、出力ごと保存します（make execute から呼ばれます）。

``jupyter execute --inplace`` と同じですが、実行のたびに変わるセルのメタデータ（実行時刻 ``execution``）を
取り除くので、出力が変わらない限り差分が出ません（マージの衝突も防げます）。

使い方: python tools/execute_notebooks.py book/ch01-overfitting.ipynb [...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def coalesce_streams(outputs: list) -> list:
    """続けて出た同じ名前の stream 出力（stdout / stderr）を 1 つにまとめます。

    カーネルが出力をどこで区切って送るかは実行ごとに変わるので、まとめておかないと差分が出ます。
    """
    merged: list = []
    for out in outputs:
        if (
            out.get("output_type") == "stream"
            and merged
            and merged[-1].get("output_type") == "stream"
            and merged[-1].get("name") == out.get("name")
        ):
            merged[-1]["text"] = "".join(merged[-1]["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    return merged


def strip_volatile_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """実行時刻などの、実行ごとに変わるメタデータを取り除き、stream 出力をまとめます。"""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nb.metadata.pop("widgets", None)
    return nb


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    elapsed = time.perf_counter() - start
    nbformat.write(strip_volatile_metadata(nb), path)
    return elapsed


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv[1:]] or sorted(Path("book").glob("*.ipynb"))
    for path in paths:
        print(f"{path}: {execute(path):.1f} 秒", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
