"""同じ実験を複数のシードで繰り返し、結果を表にまとめる道具（全章）。

1 つのシードの結果は、たまたまの初期値やミニバッチの順番で変わります。学習が不安定な設定では、
同じシードでも CPU（BLAS のカーネル）が違えば最後の桁の違いが増幅されて、別の結果になります。
比べるときは ``over_seeds`` で 5 つ以上のシードを回し、平均 ± 標準偏差（ddof=1）か、
「何シード中いくつが基準を満たしたか」のような、揺れに強い形で報告します。

    runs = over_seeds(lambda s: {"val_acc": train(seed=s).val_acc[-1]}, seeds=range(1, 6))
    print(runs.mean_sd("val_acc"))          # 0.944 ± 0.009
    print(runs.count("val_acc", at_least=0.9))  # 5

2 つの設定を同じシードで比べるときは、``paired_difference`` で差の平均と t 分布の 95% 区間を出します。

シードや設定ごとの実験は互いに独立なので、``parallel_map`` で
CPU のコアに分けて同時に走らせられます（``over_seeds(..., parallel=True)``）。結果は 1 つずつ順に走らせたときとビット単位で同じです。
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import pickle
import sys
import traceback
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import check_int


@dataclass(frozen=True)
class SeedRuns:
    """シードごとの結果。``values[名前]`` はシードの順に並んだ 1 次元配列です。"""

    seeds: tuple[int, ...]
    values: dict[str, np.ndarray]

    def _get(self, key: str) -> np.ndarray:
        if key not in self.values:
            raise KeyError(f"結果に {key!r} はありません（あるのは {sorted(self.values)}）")
        return self.values[key]

    def mean(self, key: str) -> float:
        """シードについての平均。"""
        return float(np.mean(self._get(key)))

    def sd(self, key: str) -> float:
        """シードについての標準偏差（不偏、ddof=1）。"""
        return float(np.std(self._get(key), ddof=1))

    def mean_sd(self, key: str, fmt: str = ".3f") -> str:
        """``"平均 ± 標準偏差"`` の文字列（例: ``0.944 ± 0.009``）。"""
        return format_mean_sd(self._get(key), fmt)

    def count(self, key: str, *, at_least: float | None = None, below: float | None = None) -> int:
        """``at_least`` 以上（かつ ``below`` 未満）だったシードの数。"""
        if at_least is None and below is None:
            raise ValueError("count には at_least か below の少なくとも一方を指定してください")
        v = self._get(key)
        ok = np.ones(v.shape, dtype=bool)
        if at_least is not None:
            ok &= v >= at_least
        if below is not None:
            ok &= v < below
        return int(ok.sum())


def format_mean_sd(values, fmt: str = ".3f") -> str:
    """値の並びの ``"平均 ± 標準偏差（ddof=1）"`` の文字列。``SeedRuns`` を使わずに集めた値にも使えます。"""
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or len(v) < 2:
        raise ValueError(
            f"format_mean_sd は 2 つ以上の値の 1 次元配列を期待しています（受け取った形状: {v.shape}）"
        )
    return f"{v.mean():{fmt}} ± {v.std(ddof=1):{fmt}}"


def over_seeds(
    run: Callable[[int], Mapping[str, float]], seeds: Iterable[int], *, parallel: bool = False
) -> SeedRuns:
    """``run(seed)`` を各シードで呼び、返された ``{名前: 数値}`` をシードごとに集めます。

    ``run`` はシードを受け取り、そのシードで作った ``np.random.default_rng(seed)`` だけを使って
    実験し、数値の dict を返す関数です。標準偏差を出せるよう、シードは 2 つ以上を期待します。
    ``parallel=True`` なら :func:`parallel_map` でシードを CPU のコアに分けて同時に走らせます（結果は同じ。
    ``run`` は戻り値だけで結果を返す関数に限ります。外の変数に書き込む ``run`` には使えません）。
    """
    seeds = tuple(int(s) for s in seeds)
    if len(seeds) < 2:
        raise ValueError(f"over_seeds はシードを 2 つ以上期待しています（受け取った数: {len(seeds)}）")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"シードに重複があります（受け取った値: {seeds}）")
    rows = []
    if not isinstance(parallel, bool):
        raise ValueError(f"parallel は True か False を期待しています（受け取った値: {parallel!r}）")
    results = parallel_map(run, seeds) if parallel else [run(s) for s in seeds]
    for s, row in zip(seeds, results, strict=True):
        if not isinstance(row, Mapping) or not row:
            raise ValueError(
                f"run(seed) は {{名前: 数値}} の空でない dict を返すことを期待しています"
                f"（シード {s} で受け取った値: {type(row).__name__}）"
            )
        if rows and set(row) != set(rows[0]):
            raise ValueError(
                f"シードによって結果の名前が違います（{sorted(rows[0])} と、シード {s} の {sorted(row)}）"
            )
        rows.append(row)
    values = {k: np.array([float(r[k]) for r in rows]) for k in rows[0]}
    return SeedRuns(seeds=seeds, values=values)


def over_configs(
    run: Callable[[Hashable, int], Mapping[str, float]],
    configs: Iterable[Hashable],
    seeds: Iterable[int],
    *,
    parallel: bool = False,
) -> dict[Hashable, SeedRuns]:
    """設定ごとの ``over_seeds``: ``{設定: over_seeds(lambda s: run(設定, s), seeds)}`` と同じ結果を返します。

    ``parallel=True`` なら、設定 × シードのすべての組をまとめて :func:`parallel_map` に渡すので、
    設定ごとに ``over_seeds(..., parallel=True)`` を呼ぶより、コアが遊ぶ時間が短くなります。
    """
    configs = list(configs)
    seeds = tuple(int(s) for s in seeds)
    if len(set(configs)) != len(configs):
        raise ValueError(f"設定に重複があります（受け取った値: {configs}）")
    if not isinstance(parallel, bool):
        raise ValueError(f"parallel は True か False を期待しています（受け取った値: {parallel!r}）")
    pairs = [(c, s) for c in configs for s in seeds]
    if parallel:
        rows = dict(zip(pairs, parallel_map(lambda cs: run(*cs), pairs), strict=True))
    else:
        rows = {cs: run(*cs) for cs in pairs}
    return {c: over_seeds(lambda s, c=c: rows[c, s], seeds) for c in configs}


JOBS_ENV = "NNREG_JOBS"
"""``parallel_map`` の既定のプロセス数を決める環境変数（例: ``NNREG_JOBS=1`` で並列にしません）。"""

_task: tuple[Callable, Sequence] | None = None  # 子プロセスが fork で受け継ぐ「関数と入力の並び」
_in_worker = False  # 子プロセスの中では、さらに子プロセスを作らずに順に走らせます


def default_jobs() -> int:
    """``parallel_map`` の既定のプロセス数: 環境変数 ``NNREG_JOBS``、無ければ使えるコアの数。"""
    env = os.environ.get(JOBS_ENV, "").strip()
    if env:
        try:
            value = int(env)
        except ValueError:
            value = 0
        if value < 1:
            raise ValueError(f"環境変数 {JOBS_ENV} は 1 以上の整数を期待しています（受け取った値: {env!r}）")
        return value
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """子プロセスを fork で作れる環境（Linux。Colab・Binder を含む）か。

    macOS では fork した子で一部のライブラリ（Accelerate など）が落ちることがあり、Windows には fork が
    ないので、どちらでも ``parallel_map`` は 1 つずつ順に走らせます（結果は同じで、遅いだけです）。
    """
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _init_worker() -> None:
    # 子プロセスでは BLAS（OpenBLAS など）のスレッドを 1 本にします。コアの数だけ子プロセスを走らせるので、
    # 子ごとに BLAS が複数のスレッドを使うと、コアを奪い合って何倍も遅くなります（親のスレッド数は変えません）
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn と一緒に入っているはず
        return
    threadpool_limits(limits=1, user_api="blas")


def _run_item(i: int):
    # （子プロセスで）i 番目の入力で関数を呼び、結果と、その間の表示（標準出力・標準エラー）を返します
    global _in_worker
    _in_worker = True
    fn, items = _task
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            result = ("ok", fn(items[i]))
        except Exception as exc:  # 親に伝えて、親で同じ例外として投げ直します
            result = ("error", exc, traceback.format_exc())
    try:
        pickle.dumps(result)
    except Exception as exc:  # 親へ送れない戻り値・例外は、理由を書いた例外に置き換えます
        what = "戻り値" if result[0] == "ok" else f"例外 {type(result[1]).__name__}"
        text = result[2] if result[0] == "error" else ""
        result = (
            "error",
            ValueError(
                f"parallel_map: {i} 番目の入力での{what}を親プロセスへ送れません（pickle できません: {exc}）。"
                "数値・配列・モデルなど pickle できるものを返すか、jobs=1 にしてください"
            ),
            text,
        )
    return result, out.getvalue(), err.getvalue()


def parallel_map(fn: Callable, items: Iterable, *, jobs: int | None = None) -> list:
    """``[fn(x) for x in items]`` を、``jobs`` 個のプロセスに分けて同時に計算します。

    シードや設定ごとの学習のように、互いに独立な計算のためのものです。各プロセスは同じ numpy・同じ BLAS で
    同じ計算をするので、結果は順に計算したときとビット単位で同じです。``fn`` が表示した文字列は、
    入力の順に親のセルへ表示し直します。``fn`` の中で起きた例外は、親で同じ種類の例外として投げ直します。

    守ること: ``fn`` は入力 ``x`` と、自分で作った乱数生成器（``np.random.default_rng(seed)``）だけを使い、
    結果は戻り値で返してください。子プロセスの中でグローバルな変数（dict への書き込みなど）や、外で作った
    乱数生成器を進めても、親には伝わりません。戻り値は pickle できるもの（数値・配列・モデルなど）に限ります。

    ``jobs`` の既定は :func:`default_jobs`（環境変数 ``NNREG_JOBS``、無ければ使えるコアの数）です。
    ``jobs=1`` のとき、fork の使えない環境（macOS・Windows。:func:`can_fork`）、子プロセスの中から呼んだときは、
    1 つずつ順に計算します。子プロセスの中では BLAS のスレッドを 1 本にします（コアの奪い合いを避けるため）。
    """
    global _task
    items = list(items)
    jobs = default_jobs() if jobs is None else check_int(jobs, "jobs（プロセスの数）")
    jobs = min(jobs, len(items))
    if jobs <= 1 or _in_worker or not can_fork():
        return [fn(x) for x in items]
    if _task is not None:
        raise RuntimeError("parallel_map を別のスレッドから同時に呼ぶことはできません")
    _task = (fn, items)
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_init_worker) as pool:
            done = list(pool.imap(_run_item, range(len(items)), chunksize=1))
    finally:
        _task = None
    results = []
    for result, out, err in done:
        sys.stdout.write(out)
        sys.stderr.write(err)
        if result[0] == "error":
            _, exc, text = result
            raise exc from RuntimeError(f"子プロセスでの例外:\n{text}")
        results.append(result[1])
    return results


@dataclass(frozen=True)
class PairedDifference:
    """対応のある差 ``a - b`` の平均と、t 分布による信頼区間。

    ``n_positive`` / ``n_negative`` は差が正／負だったシードの数（差がちょうど 0 のシードはどちらにも数えません）。
    """

    mean: float
    low: float
    high: float
    n: int
    n_positive: int
    level: float
    n_negative: int = 0

    def format(self, fmt: str = "+.3f") -> str:
        """``"+0.012 [-0.003, +0.027]"`` の形の文字列。"""
        return f"{self.mean:{fmt}} [{self.low:{fmt}}, {self.high:{fmt}}]"

    @property
    def excludes_zero(self) -> bool:
        """区間が 0 を含まない（差の向きがはっきりしている）か。"""
        return self.low > 0 or self.high < 0


def paired_difference(a, b, *, level: float = 0.95) -> PairedDifference:
    """同じシード（同じ分割）どうしの差 ``a[i] - b[i]`` の平均と、その ``level`` の信頼区間（t 分布）。

    2 つの設定を同じシードで走らせた結果を比べるときに使います。シードごとの揺れ（分割の難しさなど）は
    両方に同じように効くので、差をとると打ち消し合い、平均 ± 標準偏差を並べるより鋭く比べられます。
    区間は ``mean ± t_{n-1} · sd(ddof=1) / √n`` です。
    """
    # t 分布の分位点。scipy.stats.t.ppf が中で呼ぶのと同じ関数で、値も同じです
    # （scipy.stats は読み込みに 1 秒ほどかかるので、軽い scipy.special だけを読み込みます）
    from scipy.special import stdtrit

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(
            f"a と b は同じ長さの 1 次元配列を期待しています（受け取った形状: {a.shape} と {b.shape}）"
        )
    if len(a) < 2:
        raise ValueError(f"差の区間にはシードが 2 つ以上必要です（受け取った数: {len(a)}）")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level は 0 より大きく 1 より小さい値を期待しています（受け取った値: {level}）")
    d = a - b
    half = float(stdtrit(len(d) - 1, 0.5 + level / 2)) * d.std(ddof=1) / np.sqrt(len(d))
    m = float(d.mean())
    return PairedDifference(
        mean=m,
        low=m - half,
        high=m + half,
        n=len(d),
        n_positive=int((d > 0).sum()),
        level=level,
        n_negative=int((d < 0).sum()),
    )
