"""nnreg の速度の計測（``make bench``。テストには含めません。結果は benchmarks/README.md に書きます）。

使い方::

    .venv/bin/python benchmarks/run.py               # 学習ステップの比較（1 分ほど）
    .venv/bin/python benchmarks/run.py --notebooks   # さらに book/*.ipynb の実行時間とメモリ（数分）
    .venv/bin/python benchmarks/run.py --no-write    # README.md を書き換えずに表示だけ

(a) 学習ステップ（順伝播 + 逆伝播 + SGD の 1 ステップ）を、同じ MLP（64-幅-幅-10、ReLU）の PyTorch（CPU）と
    **同じプロセスで交互に** 測り、反復の中央値を比べます。スレッドはどちらも 1 本です
    （``OPENBLAS_NUM_THREADS=1`` を numpy の読み込み前に設定し、``torch.set_num_threads(1)``）。
    PyTorch が無ければ nnreg だけを測ります。
(b) そのステップの行列積の FLOP 数から GFLOP/s を求め、同じ dtype・1 スレッドの大きな ``np.matmul`` の
    速さ（この機械の行列積の実測ピーク）と比べます。
(c) ``--notebooks``: book/*.ipynb を 1 冊ずつ別プロセスで nbclient により実行し、実行時間と
    カーネルの最大メモリ（RSS。``resource.getrusage(RUSAGE_CHILDREN)``）を測ります。
"""

from __future__ import annotations

import os

# numpy（OpenBLAS）を読み込む前にスレッド数を 1 に固定します（PyTorch 側は set_num_threads(1)）
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import nnreg  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
README = Path(__file__).with_name("README.md")
CONFIGS = [(np.float64, 256, 32), (np.float64, 256, 128), (np.float64, 512, 128)]
CONFIGS += [(np.float32, w, b) for _, w, b in CONFIGS]
N_IN, N_OUT = 64, 10
NB_BEGIN, NB_END = "<!-- notebooks:begin -->", "<!-- notebooks:end -->"
BOOK_BUDGET_S, NOTEBOOK_BUDGET_S = 60, 12  # 本全体・1 冊あたりの目標（秒）


def step_flops(width: int, batch: int) -> int:
    """1 ステップの行列積の FLOP 数（積和 = 2 FLOP）。

    順伝播 3 回（x @ W）と、逆伝播の重みの勾配 3 回（x.T @ dy）、入力の勾配 2 回（dy @ W.T。
    最初の層の入力の勾配は学習に要らないので数えません）。
    """
    sizes = [(N_IN, width), (width, width), (width, N_OUT)]
    per_layer = [2 * batch * a * b for a, b in sizes]
    return 2 * sum(per_layer) + sum(per_layer[1:])


def matmul_peak(dtype, n: int = 1024, repeats: int = 5) -> float:
    """n×n の行列積（1 スレッド）の GFLOP/s の最大値。"""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
    np.matmul(a, b, out=out)
    best = min(_timed(lambda: np.matmul(a, b, out=out)) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def make_nnreg_step(dtype, width: int, batch: int):
    """``nnreg.fit`` の内側のループと同じ呼び方の 1 ステップ（検査や記録は除く）。"""
    rng = np.random.default_rng(0)
    model = nnreg.Sequential(
        [
            nnreg.Dense(N_IN, width, rng=rng, dtype=dtype),
            nnreg.ReLU(),
            nnreg.Dense(width, width, rng=rng, dtype=dtype),
            nnreg.ReLU(),
            nnreg.Dense(width, N_OUT, rng=rng, dtype=dtype),
        ]
    )
    loss = nnreg.SoftmaxCrossEntropy()
    opt = nnreg.SGD(lr=0.01)
    x = rng.standard_normal((batch, N_IN)).astype(dtype)
    y = rng.integers(0, N_OUT, batch)
    params, grads = model.parameters(), model.gradients()

    def step() -> None:
        out = model.forward(x, train=True)
        loss.forward(out, y)
        model._backward_for_fit(loss.backward())  # fit と同じ（使わない入力の勾配は計算しない）
        opt.step(params, grads)

    return step, model


def make_torch_step(torch, dtype, width: int, batch: int, model_np):
    """同じ構成・同じ初期値の PyTorch の 1 ステップ。"""
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    lin = [torch.nn.Linear(a, b, dtype=tdtype) for a, b in [(N_IN, width), (width, width), (width, N_OUT)]]
    with torch.no_grad():
        for layer, dense in zip(lin, model_np.layers[::2], strict=True):
            layer.weight.copy_(torch.from_numpy(dense.params["W"].T.copy()))
            layer.bias.copy_(torch.from_numpy(dense.params["b"]))
    model = torch.nn.Sequential(lin[0], torch.nn.ReLU(), lin[1], torch.nn.ReLU(), lin[2])
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((batch, N_IN)).astype(dtype))
    y = torch.from_numpy(rng.integers(0, N_OUT, batch))

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


def time_steps(step, n_steps: int) -> float:
    """1 ステップあたりの **CPU 時間**（秒）。

    壁時計の時間ではなくプロセスの CPU 時間（``time.process_time``）を測ります。ほかのプロセスと CPU を
    分け合う機械でも、待たされた時間が入りません（どちらも 1 スレッドなので、CPU 時間 ≈ 計算の時間）。
    """
    t0 = time.process_time()
    for _ in range(n_steps):
        step()
    return (time.process_time() - t0) / n_steps


def bench_steps(repeats: int, target_s: float = 0.05) -> tuple[list[dict], str | None]:
    """6 つの構成で、nnreg と PyTorch の 1 ステップの時間（中央値）を交互に測ります。"""
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(1)
    rows = []
    for dtype, width, batch in CONFIGS:
        step_np, model_np = make_nnreg_step(dtype, width, batch)
        steps = {"nnreg": step_np}
        if torch is not None:
            steps["torch"] = make_torch_step(torch, dtype, width, batch, model_np)
        for fn in steps.values():  # 暖機（メモリの確保、BLAS のスレッドの起動など）
            time_steps(fn, 20)
        n_steps = max(5, int(target_s / time_steps(step_np, 10)))
        samples: dict[str, list[float]] = {k: [] for k in steps}
        for _ in range(repeats):  # 交互に測るので、機械の負荷の変化は両者にほぼ同じように効きます
            for name, fn in steps.items():
                samples[name].append(time_steps(fn, n_steps))
        row = {"dtype": np.dtype(dtype).name, "width": width, "batch": batch}
        row.update({name: statistics.median(v) for name, v in samples.items()})
        row["gflops"] = step_flops(width, batch) / row["nnreg"] / 1e9
        if torch is not None:
            row["torch_gflops"] = step_flops(width, batch) / row["torch"] / 1e9
        rows.append(row)
    return rows, (torch.__version__ if torch is not None else None)


def machine_info(torch_version: str | None) -> list[str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = "?"
    try:
        from threadpoolctl import threadpool_info

        info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if info:
            i = info[0]
            blas = f"{i.get('internal_api')} {i.get('version')}（カーネル {i.get('architecture')}）"
    except ImportError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"- CPU: {cpu}（論理コア {os.cpu_count()}）、{platform.system()} {platform.machine()}",
        f"- Python {platform.python_version()}、numpy {np.__version__}、BLAS: {blas}",
        f"- PyTorch: {torch_version or '入っていません（nnreg だけを測りました）'}",
        "- スレッド: nnreg・PyTorch とも 1 本（OPENBLAS_NUM_THREADS=1、torch.set_num_threads(1)）",
        f"- 計測開始時のロードアベレージ（1, 5, 15 分）: {load}",
    ]


def step_table(rows: list[dict], peaks: dict[str, float]) -> list[str]:
    has_torch = "torch" in rows[0]
    head = "| dtype | 幅 | バッチ | nnreg (µs) |"
    sep = "|---|---:|---:|---:|"
    if has_torch:
        head += " PyTorch (µs) | nnreg / PyTorch |"
        sep += "---:|---:|"
    head += (
        " nnreg GFLOP/s | PyTorch GFLOP/s | 行列積のピーク GFLOP/s |"
        if has_torch
        else (" nnreg GFLOP/s | 行列積のピーク GFLOP/s |")
    )
    sep += "---:|---:|---:|" if has_torch else "---:|---:|"
    lines = [head, sep]
    for r in rows:
        line = f"| {r['dtype']} | {r['width']} | {r['batch']} | {r['nnreg'] * 1e6:.0f} |"
        if has_torch:
            line += f" {r['torch'] * 1e6:.0f} | **{r['nnreg'] / r['torch']:.2f}** |"
        line += f" {r['gflops']:.1f} |"
        if has_torch:
            line += f" {r['torch_gflops']:.1f} |"
        line += f" {peaks[r['dtype']]:.1f} |"
        lines.append(line)
    return lines


# ---- (c) ノートブック ----


def run_one_notebook(path: str) -> None:
    """（子プロセスで）1 冊を実行し、結果を 1 行の JSON で表示します。カーネルはこのプロセスの子です。

    実行時間の内訳も返します: セルの外（カーネルの起動と終了など）、図を出力したセル、最も遅いセル。
    """
    import json
    from datetime import datetime

    import nbformat
    from nbclient import NotebookClient

    p = Path(path)
    nb = nbformat.read(p, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(
        nb,
        timeout=1200,
        kernel_name="python3",
        resources={"metadata": {"path": str(p.parent)}},
        record_timing=True,
    ).execute()
    elapsed = time.perf_counter() - t0
    cells, figures, slowest = 0.0, 0.0, (0.0, -1)
    for i, cell in enumerate(nb.cells):
        timing = cell.metadata.get("execution", {}) if cell.cell_type == "code" else {}
        if "iopub.execute_input" not in timing or "shell.execute_reply" not in timing:
            continue
        start, end = (
            datetime.fromisoformat(timing[k]) for k in ("iopub.execute_input", "shell.execute_reply")
        )
        seconds = (end - start).total_seconds()
        cells += seconds
        if any("image/png" in out.get("data", {}) for out in cell.get("outputs", [])):
            figures += seconds
        slowest = max(slowest, (seconds, i))
    # 終了を待った子プロセス（= カーネル）の最大 RSS。Linux では KiB 単位
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "outside": elapsed - cells,
                "figures": figures,
                "slowest": slowest[0],
                "slowest_cell": slowest[1],
                "maxrss_kib": maxrss,
            }
        )
    )


def _warm_up() -> None:
    """計測の前に、小さなノートブックを 1 回だけ実行します（計測には含めません）。

    最初に起動するカーネルだけは、ファイルのキャッシュが冷えているので数秒余計にかかります（1 冊目の
    「セルの外」が 4 秒になりました）。どのノートブックにもかかる時間ではないので、先に払っておきます。
    """
    import tempfile

    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import matplotlib.pyplot, matplotlib_fontja, numpy, nnreg")]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warm_up.ipynb"
        nbformat.write(nb, path)
        subprocess.run(
            [sys.executable, __file__, "--one-notebook", str(path)], capture_output=True, check=False
        )


def bench_notebooks() -> list[str]:
    import json

    lines = [
        "| ノートブック | 実行時間 (s) | うちセルの外 (s) | うち図のセル (s) | 最も遅いセル (s) | カーネルの最大メモリ (MiB) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    sums = {"seconds": 0.0, "outside": 0.0, "figures": 0.0}
    n_ok, over = 0, []
    _warm_up()
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        proc = subprocess.run(
            [sys.executable, __file__, "--one-notebook", str(nb)], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            lines.append(f"| {nb.name} | 失敗 | — | — | — | — |")
            print(proc.stderr[-2000:], file=sys.stderr)
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        for k in sums:
            sums[k] += r[k]
        n_ok += 1
        if r["seconds"] > NOTEBOOK_BUDGET_S:
            over.append(f"{nb.stem}（{r['seconds']:.2f} 秒）")
        lines.append(
            f"| {nb.name} | {r['seconds']:.1f} | {r['outside']:.1f} | {r['figures']:.1f} "
            f"| {r['slowest']:.1f}（セル {r['slowest_cell']}） | {r['maxrss_kib'] / 1024:.0f} |"
        )
        print(lines[-1], flush=True)
    lines.append(f"| 合計 | {sums['seconds']:.1f} | {sums['outside']:.1f} | {sums['figures']:.1f} | | |")
    lines += [
        "",
        f"{n_ok} 冊の合計 {sums['seconds']:.1f} 秒（目標 {BOOK_BUDGET_S} 秒）。"
        f"{NOTEBOOK_BUDGET_S} 秒を超えたノートブック: {len(over)} 冊{'（' + '、'.join(over) + '）' if over else ''}。"
        f"セルの外（カーネルの起動・終了）だけで {sums['outside']:.1f} 秒、図を出力したセルで {sums['figures']:.1f} 秒です。",
        f"ノートブックの中の `parallel_map` は既定のプロセス数（この機械では {_jobs_text()}）で走らせています。",
    ]
    return lines


def _jobs_text() -> str:
    from nnreg.experiments import can_fork, default_jobs

    return f"{default_jobs()}" if can_fork() else "1（fork が使えない環境）"


def write_readme(step_lines: list[str], nb_lines: list[str] | None) -> None:
    old = README.read_text(encoding="utf-8") if README.exists() else ""
    if nb_lines is None and NB_BEGIN in old:  # 今回はノートブックを測らなかった: 前回の表を残す
        nb_block = old[old.index(NB_BEGIN) : old.index(NB_END) + len(NB_END)]
    else:
        body = nb_lines or ["（まだ測っていません。`python benchmarks/run.py --notebooks`）"]
        today = datetime.date.today().isoformat()
        nb_block = "\n".join([NB_BEGIN, f"計測日: {today}", "", *body, NB_END])
    text = "\n".join(
        [
            "# 速度の計測（benchmarks/）",
            "",
            "`make bench`（= `.venv/bin/python benchmarks/run.py`）で測り、このファイルを書き直します。",
            "`make test` には含めません。`benchmarks/bench_fit.py` は手書き数字 1 エポックの簡単な計測です。",
            "",
            "## 学習ステップ: nnreg と PyTorch（CPU）",
            "",
            "MLP 64-幅-幅-10（ReLU）、`SoftmaxCrossEntropy`、`SGD(lr=0.01)` の 1 ステップ"
            "（順伝播 + 逆伝播 + 更新）と、同じ構成の PyTorch"
            "（`nn.Sequential(Linear, ReLU, Linear, ReLU, Linear)` + `CrossEntropyLoss` + `torch.optim.SGD`）。"
            "同じプロセスで交互に測った反復の中央値（CPU 時間。ほかのプロセスに待たされた時間を含みません）です。GFLOP/s はステップの行列積の FLOP 数"
            "（順伝播 3 回 + 重みの勾配 3 回 + 入力の勾配 2 回）を時間で割ったもの、"
            "ピークは同じ dtype・1 スレッドの 1024×1024 の `np.matmul` です。",
            "",
            *step_lines,
            "",
            "## ノートブックの実行時間とメモリ",
            "",
            "`python benchmarks/run.py --notebooks`。book/*.ipynb を 1 冊ずつ別プロセスで nbclient により実行し、"
            "カーネルの最大 RSS を `resource.getrusage(RUSAGE_CHILDREN)` で測ります（BLAS は 1 スレッド）。"
            "「セルの外」は実行時間からセルの実行時間の和を引いたもの（カーネルの起動と終了など、どのノートブックにも"
            "かかる時間）、「図のセル」は図（PNG）を出力したセルの実行時間の和（図の中の計算も含みます）です。"
            "計測の前に、小さなノートブックを 1 回だけ実行してファイルのキャッシュを温めます（計測には含めません）。",
            "",
            nb_block,
            "",
        ]
    )
    README.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebooks", action="store_true", help="book/*.ipynb の実行時間とメモリも測る（数分）")
    ap.add_argument("--repeats", type=int, default=15, help="1 構成あたりの反復回数（中央値をとる）")
    ap.add_argument("--no-write", action="store_true", help="README.md を書き換えない")
    ap.add_argument("--one-notebook", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one_notebook:
        run_one_notebook(args.one_notebook)
        return 0

    peaks = {np.dtype(dt).name: matmul_peak(dt) for dt in (np.float64, np.float32)}
    rows, torch_version = bench_steps(args.repeats)
    info = machine_info(torch_version)
    step_lines = [f"計測日: {datetime.date.today().isoformat()}", "", *info, "", *step_table(rows, peaks)]
    print("\n".join(step_lines), flush=True)
    nb_lines = bench_notebooks() if args.notebooks else None
    if not args.no_write:
        write_readme(step_lines, nb_lines)
        print(f"書きました: {README.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
