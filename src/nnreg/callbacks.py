"""コールバック（第7章）: 各エポックの終わりに呼ばれ、学習を止めることができます。

コールバックは ``on_epoch_end(epoch, history, model) -> bool`` を持つオブジェクトです。
``True`` を返すと ``fit`` はそのエポックで学習を打ち切り、``History.stopped_epoch`` に記録します。
``on_train_end(history, model)`` も持っていれば、``fit`` は学習の最後（止めたときも、エポックを
使い切ったときも、発散して打ち切ったときも）に一度だけ呼びます（持っていなくてもかまいません）。

:class:`EarlyStopping` は第7章の早期終了です。:class:`Evaluator` は、決まったデータでの損失と正解率を
毎エポック記録するだけのコールバックです（推論モードの訓練損失や、分析用のテストデータの成績など）。
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ._validation import check_int, check_nonnegative

if TYPE_CHECKING:
    from .model import Sequential
    from .training import History


class Callback(Protocol):
    def on_epoch_end(self, epoch: int, history: History, model: Sequential) -> bool | None: ...


MONITORS = ("val_loss", "val_acc", "train_loss", "train_acc")


class Evaluator:
    """各エポックの終わりに、決まったデータ ``(X, y)`` での損失と正解率を推論モードで記録します（学習は止めません）。

    記録は ``loss`` と ``acc``（ラベルが整数でなければ ``acc`` は None が並びます）のリストです。
    例: 推論モードでの訓練損失（第3章）、分析のためだけのテストデータの成績（第7章）。
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, loss) -> None:
        from ._validation import as_float_array

        self.X = as_float_array(X, "X", ndim=2)
        self.y = np.asarray(y)
        if self.y.shape[:1] != self.X.shape[:1]:
            raise ValueError(
                f"y の先頭の長さは X と同じ {self.X.shape[0]} を期待しています（受け取った形状: {self.y.shape}）"
            )
        self.loss_fn = loss
        self.loss: list[float] = []
        self.acc: list[float | None] = []

    def on_epoch_end(self, epoch: int, history: History, model: Sequential) -> bool:
        from .training import evaluate

        value, acc = evaluate(model, self.loss_fn, self.X, self.y)
        self.loss.append(value)
        self.acc.append(acc)
        return False


def _state_arrays(model: Sequential) -> dict[str, np.ndarray]:
    """モデルの「学習で変わる配列」: パラメータと、バッチ正規化の移動平均（あれば）。"""
    arrays = dict(model.parameters())
    for i, layer in enumerate(model.layers):
        for name in ("running_mean", "running_var"):
            value = getattr(layer, name, None)
            if isinstance(value, np.ndarray):
                arrays[f"{i}.{name}"] = value
    return arrays


class EarlyStopping:
    """早期終了（第7章）。``monitor`` の最良値を追い、改善が ``patience`` エポック続けて無ければ止めます。

    Parameters
    ----------
    monitor : 見守る記録の名前（``History`` の ``"val_loss"``、``"val_acc"``、``"train_loss"``、
        ``"train_acc"``）。名前が ``loss`` で終われば小さいほど、``acc`` で終われば大きいほど良いとみなします。
    patience : 改善しなかったエポックがこの回数だけ続いたら、そのエポックで止めます
        （最良のエポックが ``b`` なら、止まるのはエポック ``b + patience``）。
        0 は「待たない」: 改善しなかった最初のエポック ``b + 1`` で止めます（1 と同じ。Keras と同じ約束）。
    min_delta : 「改善した」とみなすのに必要な最小の幅。損失なら ``value < best - min_delta``、
        正解率なら ``value > best + min_delta`` のときだけ改善とします。
    restore_best : True なら学習の最後に、最良のエポックの終わりのパラメータ（とバッチ正規化の移動平均）を
        モデルの配列そのものへ書き戻します。False なら止めた時点のパラメータのままです。

    学習後の属性: ``best_epoch`` / ``best_value``（最良のエポックと値）、``stopped_epoch``（止めたエポック。
    エポックを使い切ったら None）、``restored``（書き戻したかどうか）。同じオブジェクトを次の ``fit`` に
    渡すと、エポック 1 で状態を初期化し直します。
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best: bool = True,
    ) -> None:
        if monitor not in MONITORS:
            raise ValueError(
                f"monitor は {', '.join(repr(m) for m in MONITORS)} のどれかを期待しています"
                f"（受け取った値: {monitor!r}）"
            )
        if not isinstance(restore_best, bool):
            raise ValueError(
                f"restore_best は True か False を期待しています（受け取った値: {restore_best!r}）"
            )
        self.monitor = monitor
        self.patience = check_int(patience, "patience", minimum=0)
        self.min_delta = check_nonnegative(min_delta, "min_delta")
        self.restore_best = restore_best
        self.mode = "max" if monitor.endswith("acc") else "min"
        self._reset()

    def _reset(self) -> None:
        self.best_value: float | None = None
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.wait = 0
        self.restored = False
        self._best_state: dict[str, np.ndarray] | None = None

    def improved(self, value: float) -> bool:
        """``value`` が今までの最良値より ``min_delta`` を超えて良いか（最初の値は常に改善）。"""
        if self.best_value is None:
            return True
        if self.mode == "min":
            return value < self.best_value - self.min_delta
        return value > self.best_value + self.min_delta

    def on_epoch_end(self, epoch: int, history: History, model: Sequential) -> bool:
        if epoch == 1:
            self._reset()
        values = getattr(history, self.monitor)
        if len(values) < epoch:
            hint = "fit に X_val と y_val を渡してください" if self.monitor.startswith("val") else ""
            hint = hint or "正解率は整数ラベルの分類でだけ記録されます"
            raise ValueError(
                f"EarlyStopping は History.{self.monitor} を見守りますが、エポック {epoch} の値が"
                f"記録されていません（記録の長さ: {len(values)}）。{hint}"
            )
        value = float(values[epoch - 1])
        if math.isnan(value):
            raise ValueError(f"{self.monitor} がエポック {epoch} で NaN です（有限の値を期待しています）")
        if self.improved(value):
            self.best_value, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self._best_state = {k: v.copy() for k, v in _state_arrays(model).items()}
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, history: History, model: Sequential) -> None:
        """``restore_best`` なら、最良のエポックのパラメータをモデルの配列へその場で書き戻します。"""
        if not self.restore_best or self._best_state is None:
            return
        live = _state_arrays(model)
        for key, saved in self._best_state.items():
            live[key][...] = saved
        self.restored = True

    def __repr__(self) -> str:
        state = "" if self.best_epoch is None else f", 最良 エポック {self.best_epoch}"
        return (
            f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
            f"min_delta={self.min_delta}, restore_best={self.restore_best}{state})"
        )
