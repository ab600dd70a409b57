"""コールバック（第8章）: 各エポックの終わりに呼ばれ、学習を止めることができます。

コールバックは ``on_epoch_end(epoch, history, model) -> bool`` を持つオブジェクトです。
``True`` を返すと ``fit`` はそのエポックで学習を打ち切ります。
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .model import Sequential
    from .training import History


class Callback(Protocol):
    def on_epoch_end(self, epoch: int, history: History, model: Sequential) -> bool | None: ...
