"""全ノートブックを、この CPU で動く OpenBLAS のカーネルごとに nbval で再実行します（make portability）。

numpy の行列積は OpenBLAS が CPU に合わせて選んだカーネルで計算され、カーネルが違うと足し算の順序や
FMA の使い方が変わって、浮動小数点数の最後の桁が変わります。本書の出力は、その違いで変わってはいけません
（丸め誤差の桁を表示しない、最後の桁で結果が変わる実験をしない。CONTRIBUTING.md を参照）。

確かめるカーネル（``OPENBLAS_CORETYPE`` で選びます）:

- ``Prescott``: SSE3 だけを使う。x86-64 ならどの CPU でも動く
- ``Haswell``: ``/proc/cpuinfo`` に ``avx2`` があるとき
- ``SkylakeX``: ``/proc/cpuinfo`` に ``avx512f`` があるとき

x86-64 の Linux 以外（Mac など）や、numpy が OpenBLAS を使っていない環境では、理由を表示して何もしません。
各カーネルで、本当にそのカーネルが選ばれたかを threadpoolctl で確かめてから nbval を実行します。

使い方:
    python tools/portability.py                  # 動くカーネルすべて
    python tools/portability.py --skip-current   # いま選ばれているカーネルは除く（make test から。make nbval で確認済みのため）
    python tools/portability.py --kernels Haswell book/ch04-normalization.ipynb
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (OPENBLAS_CORETYPE の値, 必要な CPU フラグ)。フラグ None はどの x86-64 でも動く。
KERNELS: list[tuple[str, str | None]] = [("Prescott", None), ("Haswell", "avx2"), ("SkylakeX", "avx512f")]

# threadpoolctl が報告するカーネル名の別名（OpenBLAS は Prescott を選ぶと "Katmai" と名乗ります）
ALIASES = {"prescott": {"prescott", "katmai"}}


def same_kernel(requested: str, reported: str) -> bool:
    """``OPENBLAS_CORETYPE`` に指定した名前と、threadpoolctl が報告した名前が同じカーネルを指すか。"""
    return reported.lower() in ALIASES.get(requested.lower(), {requested.lower()})


PROBE = (
    "import json, numpy, threadpoolctl\n"
    "info = [i for i in threadpoolctl.threadpool_info() if i.get('user_api') == 'blas']\n"
    "print(json.dumps(info[0] if info else {}))\n"
)


def cpu_flags(cpuinfo: str) -> set[str]:
    """``/proc/cpuinfo`` の内容から CPU フラグの集合を返します（最初の ``flags`` 行）。"""
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def available_kernels(flags: set[str]) -> list[str]:
    """この CPU で動く OpenBLAS のカーネル名の一覧。"""
    return [name for name, need in KERNELS if need is None or need in flags]


def blas_info(env: dict[str, str]) -> dict:
    """``env`` の環境変数で Python を起動したとき、numpy が使う BLAS の情報（threadpoolctl）を返します。"""
    import json

    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="対象のノートブック（既定: book/*.ipynb すべて）")
    parser.add_argument("--kernels", help="カンマ区切りのカーネル名（既定: この CPU で動くものすべて）")
    parser.add_argument("--skip-current", action="store_true", help="いま選ばれているカーネルは除く")
    parser.add_argument("-n", "--jobs", default=os.environ.get("JOBS", "2"), help="nbval の並列数")
    args = parser.parse_args(argv)

    cpuinfo = Path("/proc/cpuinfo")
    if platform.machine().lower() not in {"x86_64", "amd64"} or not cpuinfo.exists():
        print(
            f"移植性の検査: x86-64 の Linux ではない（{platform.system()} / {platform.machine()}）ので、"
            "OpenBLAS のカーネルを切り替えられません。検査を省きます。"
        )
        return 0
    base_env = {k: v for k, v in os.environ.items() if k not in {"OPENBLAS_CORETYPE"}}
    current = blas_info(dict(os.environ))
    if current.get("internal_api") != "openblas":
        print(
            f"移植性の検査: numpy が OpenBLAS を使っていません（{current.get('internal_api', '不明')}）。"
            "検査を省きます。"
        )
        return 0
    kernels = available_kernels(cpu_flags(cpuinfo.read_text()))
    if args.kernels:
        wanted = [k.strip() for k in args.kernels.split(",") if k.strip()]
        unknown = [k for k in wanted if k not in {name for name, _ in KERNELS}]
        if unknown:
            parser.error(
                f"--kernels には {[n for n, _ in KERNELS]} を期待しています（受け取った値: {unknown}）"
            )
        missing = [k for k in wanted if k not in kernels]
        if missing:
            parser.error(f"この CPU では動かないカーネルです: {missing}（動くもの: {kernels}）")
        kernels = wanted
    cur_arch = str(current.get("architecture", ""))
    if args.skip_current:
        skipped = [k for k in kernels if same_kernel(k, cur_arch)]
        kernels = [k for k in kernels if not same_kernel(k, cur_arch)]
        for k in skipped:
            print(f"移植性の検査: いまのカーネル {k} は make nbval で確認済みなので省きます。")
    notebooks = args.notebooks or sorted(str(p.relative_to(ROOT)) for p in (ROOT / "book").glob("*.ipynb"))
    print(f"移植性の検査: この CPU で確かめるカーネル {kernels}（いま選ばれているのは {cur_arch or '不明'}）")

    failed, unavailable = [], []
    for kernel in kernels:
        env = dict(base_env, OPENBLAS_CORETYPE=kernel)
        arch = str(blas_info(env).get("architecture", ""))
        if not same_kernel(kernel, arch):
            print(f"✘ OPENBLAS_CORETYPE={kernel} を指定しましたが、選ばれたのは {arch or '不明'} でした。")
            unavailable.append(kernel)
            continue
        start = time.perf_counter()
        cmd = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "-o", "filterwarnings=", "-o", "testpaths=",
            "--nbval", "--nbval-sanitize-with", "book/nbval-sanitize.cfg",
            "-n", str(args.jobs), "--dist", "loadscope", *notebooks,
        ]  # fmt: skip
        print(f"== OPENBLAS_CORETYPE={kernel}: nbval", flush=True)
        rc = subprocess.run(cmd, env=env, cwd=ROOT).returncode
        print(
            f"== OPENBLAS_CORETYPE={kernel}: {'成功' if rc == 0 else '失敗'}（{time.perf_counter() - start:.0f} 秒）"
        )
        if rc != 0:
            failed.append(kernel)
    if unavailable:
        print(f"移植性の検査: カーネル {unavailable} を選べませんでした（OpenBLAS の版を確かめてください）。")
    if failed:
        print(
            f"移植性の検査: カーネル {failed} で出力が変わりました。CONTRIBUTING.md の「出力の移植性」を見てください。"
        )
        return 1
    if unavailable:
        return 1
    print(f"移植性の検査: {len(kernels)} 個のカーネルすべてで、全ノートブックの出力が一致しました。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
