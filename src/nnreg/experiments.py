"""同じ実験を複数のシードで繰り返し、結果を表にまとめる道具（全章）。

1 つのシードの結果は、たまたまの初期値やミニバッチの順番で変わります。学習が不安定な設定では、
同じシードでも CPU（BLAS のカーネル）が違えば最後の桁の違いが増幅されて、別の結果になります。
比べるときは ``over_seeds`` で 5 つ以上のシードを回し、平均 ± 標準偏差（ddof=1）か、
「何シード中いくつが基準を満たしたか」のような、揺れに強い形で報告します。

    runs = over_seeds(lambda s: {"val_acc": train(seed=s).val_acc[-1]}, seeds=range(1, 6))
    print(runs.mean_sd("val_acc"))          # 0.944 ± 0.009
    print(runs.count("val_acc", at_least=0.9))  # 5

2 つの設定を同じシードで比べるときは、``paired_difference`` で差の平均と t 分布の 95% 区間を出します。
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np


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


def over_seeds(run: Callable[[int], Mapping[str, float]], seeds: Iterable[int]) -> SeedRuns:
    """``run(seed)`` を各シードで呼び、返された ``{名前: 数値}`` をシードごとに集めます。

    ``run`` はシードを受け取り、そのシードで作った ``np.random.default_rng(seed)`` だけを使って
    実験し、数値の dict を返す関数です。標準偏差を出せるよう、シードは 2 つ以上を期待します。
    """
    seeds = tuple(int(s) for s in seeds)
    if len(seeds) < 2:
        raise ValueError(f"over_seeds はシードを 2 つ以上期待しています（受け取った数: {len(seeds)}）")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"シードに重複があります（受け取った値: {seeds}）")
    rows = []
    for s in seeds:
        row = run(s)
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
    from scipy import stats

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
    half = float(stats.t.ppf(0.5 + level / 2, df=len(d) - 1)) * d.std(ddof=1) / np.sqrt(len(d))
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
