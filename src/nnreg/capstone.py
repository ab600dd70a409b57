"""総合演習（第9章）: 問題を抱えた手元のデータで、正則化の組み合わせを検証データで選ぶ課題。

:func:`load_task` が返す :class:`Task` は、手書き数字（``nnreg.datasets.load_digits``）から作った
訓練・検証データと、1 回しか使えないテストデータを持ちます。データにはわざと 3 つの問題を入れてあります。

- 訓練データが少ない: 1 クラス 20 枚、全部で ``N_TRAIN`` = 200 枚。
- 訓練データのラベルの ``LABEL_NOISE`` = 20 % が、別のクラスにすり替わっている（検証・テストのラベルは正しい）。
- 検証・テストの画像（本番の条件）は、``SHIFT_FRACTION`` = 30 % が上下左右のどれかに 1 画素ずれている
  （訓練の画像はずれていない）。

学生は ``task.compare(train, configs, seeds)`` で設定を比べ（結果は ``task`` に記録されます）、
``task.choose(名前)`` で 1 つを選び、``task.evaluate_test(model)`` でテストの成績を **1 回だけ** 測ります。
2 回目の ``evaluate_test`` は :class:`TestSetAlreadyUsed` を送出します（試みも記録されます）。
採点（``nnreg.exercises.ch09``）は、この記録を読んで手順を確かめます。

採点の基準（``reference().threshold``）は、講師用の解答（instructor/capstone-solution.ipynb）が検証データで
選んだ設定 ``REFERENCE_CONFIG`` を :func:`reference_pipeline` で 5 つのシードについて学習し直し、そのテスト正解率の
平均から標準偏差の 2 倍を引いて求めます（結果を書き写さず、その場で計算します。同じプロセスの中では 1 回だけ
計算して使い回します）。
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .augment import random_shift, shift_images
from .datasets import corrupt_labels, load_digits
from .experiments import format_mean_sd, over_seeds
from .notebook import display_width, pad
from .training import accuracy

TASK_SEED = 11
N_TRAIN = 200
LABEL_NOISE = 0.2
SHIFT_FRACTION = 0.3
MIN_SEEDS = 5
# 基準（「届いた」とみなすテスト正解率の下限）は、講師の解答の設定のテスト正解率の平均から、この幅を引いた値です。
# 幅は、シード間の標準偏差の 2 倍（下限 0.01）。講師の解答と同じくらい良い手順でも、シードしだいでテストの
# 正解率はこの標準偏差ほど揺れます。
# 1 回の評価が平均 − 2 標準偏差を下回るのは、正規分布で近似して 2.5 % ほどなので、
# 良い手順が運悪く落とされることはまれです。
MARGIN_SDS = 2.0
MIN_MARGIN = 0.01

# 講師用の解答が検証データで選んだ設定（instructor/capstone-solution.ipynb で選び直して一致を確かめます）
REFERENCE_CONFIG = {"hidden": 64, "l2": 0.0, "shift": 1, "patience": 10}
REFERENCE_SEEDS = (0, 1, 2, 3, 4)


class TestSetAlreadyUsed(RuntimeError):
    """テストデータを 2 回評価しようとしたことを表します。"""


@dataclass(frozen=True)
class Comparison:
    """1 つの設定をいくつかのシードで学習した結果（検証データと訓練データでの正解率）。"""

    name: str
    config: object
    seeds: tuple[int, ...]
    val_acc: np.ndarray
    train_acc: np.ndarray

    @property
    def mean(self) -> float:
        return float(np.mean(self.val_acc))

    @property
    def sd(self) -> float:
        return float(np.std(self.val_acc, ddof=1)) if len(self.val_acc) > 1 else float("nan")

    @property
    def se(self) -> float:
        """検証正解率の平均の標準誤差（標準偏差 / √シード数）。"""
        return self.sd / np.sqrt(len(self.val_acc))


def _table(rows: Iterable[Comparison]) -> str:
    rows = list(rows)
    width = max([display_width(r.name) for r in rows] + [4])
    lines = [f"{pad('設定', width)}  シード  {pad('検証の正解率', 13)}  訓練の正解率"]
    for r in rows:
        val = format_mean_sd(r.val_acc) if len(r.val_acc) > 1 else f"{r.val_acc[0]:.3f}"
        tr = format_mean_sd(r.train_acc) if len(r.train_acc) > 1 else f"{r.train_acc[0]:.3f}"
        lines.append(f"{pad(r.name, width)}  {len(r.seeds):>6}  {val}  {tr}")
    return "\n".join(lines)


@dataclass
class Task:
    """総合演習の課題。``X_train`` / ``y_train``（ラベルに誤りを含む）と ``X_val`` / ``y_val`` を公開し、
    テストデータは :meth:`evaluate_test` の中でだけ使います。

    記録: ``comparisons``（名前 → :class:`Comparison`）、``choice``（選んだ設定の名前）、
    ``events``（``("compare", 名前)``・``("choose", 名前)``・``("test", 正解率)`` などの順の記録）、
    ``test_attempts``（``evaluate_test`` を呼んだ回数。2 回目以降の失敗した試みも数えます）。
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    _X_test: np.ndarray = field(repr=False)
    _y_test: np.ndarray = field(repr=False)
    n_classes: int = 10
    image_shape: tuple[int, int] = (8, 8)
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    choice: str | None = None
    test_accuracy: float | None = None
    test_attempts: int = 0
    events: list[tuple[str, object]] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"Task(訓練 {len(self.y_train)}, 検証 {len(self.y_val)}, テスト {len(self._y_test)}（1 回だけ）, "
            f"比べた設定 {len(self.comparisons)}, 選んだ設定 {self.choice!r})"
        )

    # ---- 比べる ----
    def compare(
        self,
        train: Callable[[object, int], object],
        configs: Mapping[str, object],
        seeds: Iterable[int] = range(MIN_SEEDS),
    ) -> str:
        """``configs``（名前 → 設定）のそれぞれを ``seeds`` の各シードで ``train(設定, シード)`` し、
        検証データと訓練データ（与えたラベルのまま）での正解率を記録して、表の文字列を返します。

        同じ名前でもう一度比べると、前の記録を置き換えます。
        """
        if not isinstance(configs, Mapping) or not configs:
            raise ValueError(
                "configs は {名前: 設定} の空でない dict を期待しています"
                f"（受け取った型: {type(configs).__name__}）"
            )
        seeds = tuple(int(s) for s in seeds)
        rows = []
        for name, config in configs.items():
            if not isinstance(name, str):
                raise ValueError(f"設定の名前は文字列を期待しています（受け取った値: {name!r}）")

            def run(seed: int, config=config) -> dict[str, float]:
                model = train(config, seed)
                return {
                    "val": accuracy(_predict(model, self.X_val), self.y_val),
                    "train": accuracy(_predict(model, self.X_train), self.y_train),
                }

            if len(seeds) >= 2:
                runs = over_seeds(run, seeds)
                val, tr = runs.values["val"], runs.values["train"]
            else:
                one = [run(s) for s in seeds]
                val = np.array([r["val"] for r in one])
                tr = np.array([r["train"] for r in one])
            row = Comparison(name, config, seeds, val, tr)
            self.comparisons[name] = row
            self.events.append(("compare", name))
            rows.append(row)
        return _table(rows)

    def table(self) -> str:
        """これまでに比べたすべての設定の表（検証の正解率の平均が高い順）。"""
        if not self.comparisons:
            return "まだ何も比べていません（task.compare を使ってください）"
        return _table(sorted(self.comparisons.values(), key=lambda r: -r.mean))

    def best(self) -> str:
        """検証の正解率の平均が最も高い設定の名前（同じなら先に比べたもの）。"""
        if not self.comparisons:
            raise ValueError("まだ何も比べていません（task.compare を使ってください）")
        names = list(self.comparisons)
        return names[int(np.argmax([self.comparisons[n].mean for n in names]))]

    # ---- 選ぶ ----
    def choose(self, name: str):
        """比べた設定の中から 1 つを選んで記録し、その設定を返します。"""
        if name not in self.comparisons:
            raise ValueError(
                f"{name!r} はまだ比べていません（比べた設定: {list(self.comparisons)}）。"
                "選ぶ前に task.compare で検証データの成績を測ってください"
            )
        self.choice = name
        self.events.append(("choose", name))
        return self.comparisons[name].config

    # ---- テスト（1 回だけ） ----
    def evaluate_test(self, model) -> float:
        """テストデータでの正解率を返します。呼べるのは 1 回だけです。"""
        self.test_attempts += 1
        if self.test_accuracy is not None:
            self.events.append(("test-again", self.test_attempts))
            raise TestSetAlreadyUsed(
                f"テストデータはもう評価しました（1 回目の正解率 {self.test_accuracy:.3f}）。"
                "テストの成績を見てから設定を変えたり選び直したりすると、その成績は本番の性能の"
                "見積もりとして楽観的になります。比べるのは検証データで行い、"
                "テストは最後に選んだモデルで 1 回だけ測ってください"
                f"（この試みも記録しました: {self.test_attempts} 回目）"
            )
        acc = accuracy(_predict(model, self._X_test), self._y_test)
        self.test_accuracy = acc
        self.events.append(("test", acc))
        return acc

    def _test_accuracy_for_reference(self, model) -> float:
        # 講師の解答の成績（基準の計算）にだけ使います（学生の記録には残しません）
        return accuracy(_predict(model, self._X_test), self._y_test)


def _predict(model, X: np.ndarray) -> np.ndarray:
    if not hasattr(model, "predict"):
        raise ValueError(
            "train(config, seed) は predict を持つモデル（nnreg.Sequential など）を返すことを期待しています"
            f"（受け取った型: {type(model).__name__}）"
        )
    out = np.asarray(model.predict(X))
    if out.ndim != 2 or out.shape[0] != len(X):
        raise ValueError(
            f"model.predict の出力は形状 ({len(X)}, クラス数) を期待しています（受け取った形状: {out.shape}）"
        )
    return out


def shift_some(X: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """画像の ``fraction`` の割合を、上下左右のどれか（等確率）に 1 画素ずらしたコピーを返します。"""
    directions = np.array([(1, 0), (-1, 0), (0, 1), (0, -1)])
    k = rng.integers(0, len(directions), size=len(X))
    on = rng.random(len(X)) < fraction
    return shift_images(X, directions[k, 0] * on, directions[k, 1] * on)


def load_task(seed: int = TASK_SEED) -> Task:
    """総合演習の課題を作ります。同じ ``seed`` なら、何度呼んでもまったく同じデータです（記録は空）。"""
    data = load_digits(n_train=N_TRAIN, seed=seed)
    rng = np.random.default_rng(seed)
    y_train = corrupt_labels(data.y_train, LABEL_NOISE, n_classes=10, rng=rng)
    X_val = shift_some(data.X_val, SHIFT_FRACTION, rng)
    X_test = shift_some(data.X_test, SHIFT_FRACTION, rng)
    return Task(data.X_train, y_train, X_val, data.y_val, X_test, data.y_test)


# ---- 講師用の解答の手順と、採点の基準 ----


def reference_pipeline(task: Task) -> Callable[[Mapping, int], object]:
    """講師用の解答の ``train(config, seed)``。

    ``config`` のキー: ``hidden``（隠れ層の幅、既定 64）、``l2``（L2 正則化の係数、0 なら無し）、
    ``shift``（データ拡張で縦横にずらす最大の画素数、0 なら無し）、``patience``（検証損失による早期終了の
    patience、0 なら無し）、``epochs``（既定 100）。Adam（学習率 0.003）、ミニバッチ 32。
    """
    from .callbacks import EarlyStopping
    from .losses import SoftmaxCrossEntropy
    from .model import mlp
    from .optimizers import Adam
    from .regularizers import L2
    from .training import fit

    def train(config: Mapping, seed: int):
        rng = np.random.default_rng(seed)
        model = mlp((64, int(config.get("hidden", 64)), 10), rng=rng)
        patience = int(config.get("patience", 0))
        fit(
            model,
            SoftmaxCrossEntropy(),
            Adam(lr=0.003),
            task.X_train,
            task.y_train,
            X_val=task.X_val,
            y_val=task.y_val,
            epochs=int(config.get("epochs", 100)),
            batch_size=32,
            regularizer=L2(config["l2"]) if config.get("l2") else None,
            augment=random_shift(config["shift"]) if config.get("shift") else None,
            callbacks=[EarlyStopping(patience=patience)] if patience else [],
            rng=rng,
        )
        return model

    return train


@dataclass(frozen=True)
class Reference:
    """講師の解答の設定を各シードで学習したときの、検証とテストの正解率と、そこから決まる基準。"""

    config: Mapping
    seeds: tuple[int, ...]
    val_acc: np.ndarray
    test_acc: np.ndarray

    @property
    def test_mean(self) -> float:
        return float(np.mean(self.test_acc))

    @property
    def test_sd(self) -> float:
        return float(np.std(self.test_acc, ddof=1))

    @property
    def margin(self) -> float:
        return max(MARGIN_SDS * self.test_sd, MIN_MARGIN)

    @property
    def threshold(self) -> float:
        """基準: 「届いた」とみなすテスト正解率の下限（講師の解答の平均 − 幅）。"""
        return self.test_mean - self.margin


@functools.lru_cache(maxsize=4)
def reference(seed: int = TASK_SEED, seeds: tuple[int, ...] = REFERENCE_SEEDS) -> Reference:
    """講師の解答の設定 ``REFERENCE_CONFIG`` を ``seeds`` で学習し、検証・テストの正解率を求めます（プロセス内でキャッシュ）。"""
    task = load_task(seed)
    train = reference_pipeline(task)
    val, test = [], []
    for s in seeds:
        model = train(REFERENCE_CONFIG, s)
        val.append(accuracy(model.predict(task.X_val), task.y_val))
        test.append(task._test_accuracy_for_reference(model))
    return Reference(dict(REFERENCE_CONFIG), tuple(seeds), np.array(val), np.array(test))
