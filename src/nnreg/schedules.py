"""学習率のスケジュール（第6章）: 学習の進み具合に応じて学習率を変えます。

スケジュールは ``schedule(t) -> 倍率`` という小さな呼び出し可能オブジェクトです。返すのは **学習率そのもの
ではなく、基準の学習率に掛ける倍率** です（PyTorch の ``LambdaLR`` の ``lr_lambda`` と同じ約束）。
``fit(..., schedule=s)`` は、学習の最初に ``optimizer.lr`` を基準の学習率 ``base_lr`` として一度だけ読み、
その後は ``optimizer.lr = base_lr * s(t)`` と書き換えてから ``optimizer.step`` を呼びます。

``t`` は 0 から数えます。何を数えるかは ``fit`` の ``schedule_per`` で選びます。

- ``schedule_per="step"``（既定）: それまでに済んだ **オプティマイザのステップ数**（ミニバッチの数）。
  最初のステップが ``t = 0`` です。Keras の ``keras.optimizers.schedules`` もステップで数えます。
- ``schedule_per="epoch"``: **エポック番号 − 1**。1 エポックの間、学習率は変わりません
  （PyTorch でエポックの終わりに ``scheduler.step()`` を呼ぶのと同じ）。

``fit`` は学習の後で ``optimizer.lr`` を元に戻しません（最後に使った値のままです）。同じオプティマイザで
もう一度 ``fit`` を呼ぶと、その値が新しい基準の学習率になるので、続きから学習させるときは
``optimizer.lr`` を自分で設定し直してください。

自作のスケジュールは、0 以上の整数 ``t`` を受け取って 0 以上の有限の実数を返す関数なら何でもかまいません
（例: ``lambda t: 0.5 ** (t // 10)``）。
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

from ._validation import check_in_unit_interval, check_int, check_positive


class Schedule:
    """スケジュールの基底クラス。``schedule(t)`` は ``t``（0 始まりの整数）を検査してから倍率を返します。"""

    def __call__(self, t: int) -> float:
        t = check_int(t, "t（0 から数えたステップ数またはエポック数）", minimum=0)
        return float(self._factor(t))

    def _factor(self, t: int) -> float:
        raise NotImplementedError


class Constant(Schedule):
    """いつも 1 を返すスケジュール（学習率を変えません）。"""

    def _factor(self, t: int) -> float:
        return 1.0

    def __repr__(self) -> str:
        return "Constant()"


class StepDecay(Schedule):
    """階段状の減衰 ``gamma ** (t // step_size)``。

    ``step_size`` ごとに学習率を ``gamma`` 倍にします（PyTorch の ``StepLR(step_size, gamma)``、
    Keras の ``ExponentialDecay(decay_steps=step_size, decay_rate=gamma, staircase=True)`` と同じ値）。
    例: ``StepDecay(10, 0.5)`` は t = 0〜9 で 1、10〜19 で 0.5、20〜29 で 0.25。
    """

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_int(step_size, "step_size（何ステップごとに減衰させるか）")
        self.gamma = check_positive(gamma, "gamma（減衰率）")
        if self.gamma > 1.0:
            raise ValueError(
                f"gamma（減衰率）は 0 より大きく 1 以下の値を期待しています（受け取った値: {gamma}）"
            )

    def _factor(self, t: int) -> float:
        return self.gamma ** (t // self.step_size)

    def __repr__(self) -> str:
        return f"StepDecay(step_size={self.step_size}, gamma={self.gamma})"


class CosineDecay(Schedule):
    """コサイン減衰 ``m + (1 - m)·(1 + cos(π·min(t, total)/total))/2``（m = ``min_factor``）。

    t = 0 で 1、t = ``total`` で ``min_factor`` になり、その後は ``min_factor`` のままです
    （Keras の ``CosineDecay(decay_steps=total, alpha=min_factor)`` と同じ値）。PyTorch の
    ``CosineAnnealingLR(T_max=total, eta_min=min_factor*base_lr)`` とは t ≤ total で一致しますが、
    PyTorch のほうは t > total で再び上がり始めます（周期 2·total の余弦）。
    """

    def __init__(self, total: int, min_factor: float = 0.0) -> None:
        self.total = check_int(total, "total（減衰させるステップ数）")
        self.min_factor = check_in_unit_interval(min_factor, "min_factor（最後の倍率）", closed_right=True)

    def _factor(self, t: int) -> float:
        progress = min(t, self.total) / self.total
        return self.min_factor + (1.0 - self.min_factor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def __repr__(self) -> str:
        return f"CosineDecay(total={self.total}, min_factor={self.min_factor})"


class LinearWarmup(Schedule):
    """線形ウォームアップ: 最初の ``warmup_steps`` 回は倍率を ``(t + 1)/warmup_steps`` と直線的に上げ、
    その後は ``after`` に引き継ぎます。

    - ``t < warmup_steps``: ``(t + 1) / warmup_steps``（最初のステップから 0 でない学習率を使い、
      ``t = warmup_steps - 1`` でちょうど 1 になります）。
    - ``t ≥ warmup_steps``: ``after(t - warmup_steps)``。``after`` は **ウォームアップが終わった時点を 0 として**
      数えます（``after=None`` なら 1 のまま）。

    例: ``LinearWarmup(5, after=CosineDecay(95))`` は 5 ステップで 1 まで上げ、残り 95 ステップで 0 まで下げます。
    ウォームアップの部分は PyTorch の ``LinearLR(start_factor=1/warmup_steps, end_factor=1,
    total_iters=warmup_steps - 1)`` と同じ値です。
    """

    def __init__(self, warmup_steps: int, after: Callable[[int], float] | None = None) -> None:
        self.warmup_steps = check_int(warmup_steps, "warmup_steps（ウォームアップのステップ数）")
        if after is not None and not callable(after):
            raise ValueError(
                "after はスケジュール（t を受け取って倍率を返す関数）か None を期待しています"
                f"（受け取った型: {type(after).__name__}）"
            )
        self.after = after

    def _factor(self, t: int) -> float:
        if t < self.warmup_steps:
            return (t + 1) / self.warmup_steps
        if self.after is None:
            return 1.0
        return self.after(t - self.warmup_steps)

    def __repr__(self) -> str:
        return f"LinearWarmup(warmup_steps={self.warmup_steps}, after={self.after!r})"


def multiplier(schedule: Callable[[int], float], t: int, unit: str = "ステップ") -> float:
    """``schedule(t)`` を呼び、0 以上の有限の実数であることを確かめて float で返します（``fit`` が使います）。"""
    value = schedule(t)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"schedule は倍率（0 以上の実数）を返すことを期待しています"
            f"（{unit} t = {t} で受け取った値: {value!r}）"
        )
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"schedule は 0 以上の有限の倍率を返すことを期待しています（{unit} t = {t} で受け取った値: {value}）"
        )
    return float(value)


def values(schedule: Callable[[int], float], n: int) -> np.ndarray:
    """``t = 0, 1, …, n-1`` での倍率を並べた配列（スケジュールを図にするときなどに）。"""
    n = check_int(n, "n（並べる個数）")
    if not callable(schedule):
        raise ValueError(
            f"schedule は呼び出せるオブジェクトを期待しています（受け取った型: {type(schedule).__name__}）"
        )
    return np.array([multiplier(schedule, t) for t in range(n)], dtype=np.float64)
