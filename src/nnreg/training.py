"""学習ループ（「nnreg の使い方」）: すべての章が使う ``fit`` と、その記録 ``History``。"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ._validation import as_float_array, as_generator, check_int, check_labels, check_positive
from .model import Sequential
from .optimizers import clip_grad_norm
from .schedules import multiplier

SCHEDULE_PER = ("step", "epoch")


@dataclass
class History:
    """エポックごとの記録。エポック番号は 1 から数えます。

    - ``train_loss``: そのエポックのミニバッチ損失の平均（正則化項を含む。学習中のモードで計算）。
    - ``penalty``: そのうち正則化項の平均（正則化なしなら 0）。
    - ``train_acc``: ミニバッチ予測の正解率（ラベルが整数のときだけ）。
    - ``val_loss`` / ``val_acc``: エポック終了時に推論モード（``train=False``）で計算した検証データの値。
    - ``diverged`` / ``diverged_epoch``: 損失が NaN/inf になって打ち切ったかどうかと、そのエポック。
    - ``stopped_epoch``: コールバックが学習を止めたエポック（止めなければ None）。
    """

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    penalty: list[float] = field(default_factory=list)
    diverged: bool = False
    diverged_epoch: int | None = None
    stopped_epoch: int | None = None

    @property
    def epochs(self) -> list[int]:
        return list(range(1, len(self.train_loss) + 1))

    def best_epoch(self, metric: str = "val_loss") -> int:
        """``metric`` が最良（loss なら最小、acc なら最大）になったエポック（1 始まり）。"""
        values = getattr(self, metric, None)
        if not values:
            raise ValueError(f"History に {metric!r} の記録がありません")
        arr = np.asarray(values, dtype=float)
        idx = np.nanargmax(arr) if metric.endswith("acc") else np.nanargmin(arr)
        return int(idx) + 1

    def summary(self) -> str:
        """最後のエポックの値を 1 行にまとめた文字列（本のコード欄に収まる 80 桁以内）。

        例: ``エポック 30 / 損失 訓練 0.0821・検証 0.1401 / 正解率 訓練 0.993・検証 0.967``
        """
        if not self.train_loss:
            return "記録なし"
        loss = f"損失 訓練 {self.train_loss[-1]:.4f}"
        if self.val_loss:
            loss += f"・検証 {self.val_loss[-1]:.4f}"
        parts = [f"エポック {len(self.train_loss)}", loss]
        if self.train_acc or self.val_acc:
            acc = [f"訓練 {self.train_acc[-1]:.3f}"] if self.train_acc else []
            acc += [f"検証 {self.val_acc[-1]:.3f}"] if self.val_acc else []
            parts.append("正解率 " + "・".join(acc))
        if self.diverged:
            parts.append(f"発散（エポック {self.diverged_epoch}）")
        return " / ".join(parts)

    def __repr__(self) -> str:
        return f"History({self.summary()})"


def accuracy(y_pred: np.ndarray, t: np.ndarray) -> float:
    """ロジット (N, C) と整数ラベル (N,) の正解率。"""
    y_pred = np.asarray(y_pred)
    t = check_labels(t, y_pred.shape[1], y_pred.shape[0])
    return float(np.mean(np.argmax(y_pred, axis=1) == t))


def evaluate(model: Sequential, loss, X: np.ndarray, y: np.ndarray) -> tuple[float, float | None]:
    """推論モードでの (損失, 正解率)。ラベルが整数でなければ正解率は None。"""
    out = model.predict(X)
    value = loss.forward(out, y)
    acc = accuracy(out, y) if _is_label_vector(y) and out.shape[1] > 1 else None
    return value, acc


def _is_label_vector(y: np.ndarray) -> bool:
    return y.ndim == 1 and y.dtype.kind in "iu"


def _check_xy(X, y, name_x: str, name_y: str) -> tuple[np.ndarray, np.ndarray]:
    X = as_float_array(X, name_x, ndim=2)
    y = np.asarray(y)
    if y.shape[:1] != X.shape[:1]:
        raise ValueError(
            f"{name_y} の先頭の長さは {name_x} と同じ {X.shape[0]} を期待しています"
            f"（受け取った形状: {y.shape}）"
        )
    if y.dtype.kind == "f":
        as_float_array(y, name_y)
    return X, y


def fit(
    model: Sequential,
    loss,
    optimizer,
    X_train: np.ndarray,
    y_train: np.ndarray,
    *,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    epochs: int,
    batch_size: int,
    regularizer=None,
    callbacks: Sequence = (),
    augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
    rng: np.random.Generator | None = None,
    progress: bool = False,
    drop_last: bool = False,
    schedule: Callable[[int], float] | None = None,
    schedule_per: str = "step",
    clip_norm: float | None = None,
) -> History:
    """ミニバッチ SGD の学習ループ。

    各エポックで ``rng`` を使って訓練データを非復元抽出でシャッフルし、``batch_size`` ごとに
    順伝播 → 損失（+ 正則化項）→ 逆伝播 → ``optimizer.step`` を行います。
    ``augment(X_batch, rng)`` を渡すと、各ミニバッチにデータ拡張を施してから使います。
    ``drop_last=True`` なら、割り切れずに余った最後の小さなミニバッチを使いません（バッチ正規化で
    最後のミニバッチが 1 サンプルになるのを避けるときなど。そのエポックで使わなかったサンプルは次のエポックで使われえます）。

    損失が NaN/inf になったら、その時点で学習を止め、``History.diverged`` と
    ``History.diverged_epoch`` に記録し、その旨を表示します（黙って続けることはありません）。

    コールバックは各エポックの終わりに ``on_epoch_end(epoch, history, model)`` が呼ばれ、どれかが True を
    返すとそのエポックで止めます（``History.stopped_epoch``）。``on_train_end(history, model)`` を持つ
    コールバックは、学習の最後（止めたとき・エポックを使い切ったとき・発散したとき）に一度だけ呼ばれます
    （第7章の ``EarlyStopping`` が最良のパラメータを書き戻すのに使います）。

    学習率のスケジュール（第6章。:mod:`nnreg.schedules`）: ``schedule`` を渡すと、学習の最初に
    ``optimizer.lr`` を基準の学習率 ``base_lr`` として一度だけ読み、各ステップの直前に
    ``optimizer.lr = base_lr * schedule(t)`` と書き換えます。``schedule_per="step"``（既定）なら t は
    それまでに済んだオプティマイザのステップ数（0 始まり）、``"epoch"`` なら エポック番号 − 1 で、
    1 エポックの間は同じ学習率です。学習の後も ``optimizer.lr`` は最後に使った値のままです（元に戻しません）。

    勾配クリッピング: ``clip_norm`` を渡すと、各ステップで逆伝播の後（正則化項の勾配も足した後）、
    ``optimizer.step`` の前に :func:`nnreg.optimizers.clip_grad_norm` で勾配全体の大域ノルムを
    ``clip_norm`` 以下に切り詰めます。PyTorch で正則化項を損失に足して ``backward`` し、
    ``clip_grad_norm_`` を呼んでから ``optimizer.step()`` するのと同じ順序です
    （PyTorch の ``weight_decay`` は ``step`` の中で足されるので、切り詰めの対象に入りません）。
    ``schedule`` と ``clip_norm`` を渡さなければ、学習の計算は以前の版とまったく同じです。
    """
    X_train, y_train = _check_xy(X_train, y_train, "X_train", "y_train")
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val と y_val は両方とも渡すか、両方とも省略してください")
    if X_val is not None:
        X_val, y_val = _check_xy(X_val, y_val, "X_val", "y_val")
        if X_val.shape[1] != X_train.shape[1]:
            raise ValueError(
                f"X_val の特徴量の数は X_train と同じ {X_train.shape[1]} を期待しています"
                f"（受け取った形状: {X_val.shape}）"
            )
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    if drop_last and batch_size > X_train.shape[0]:
        raise ValueError(
            f"drop_last=True では batch_size は訓練データの数 {X_train.shape[0]} 以下を期待しています"
            f"（受け取った値: {batch_size}）。このままでは 1 つもミニバッチが作れません"
        )
    rng = as_generator(rng)
    callbacks = list(callbacks)
    if schedule_per not in SCHEDULE_PER:
        raise ValueError(
            f"schedule_per は 'step' か 'epoch' を期待しています（受け取った値: {schedule_per!r}）"
        )
    base_lr = None
    if schedule is not None:
        if not callable(schedule):
            raise ValueError(
                "schedule は t を受け取って学習率の倍率を返す関数（nnreg.schedules のスケジュールなど）を"
                f"期待しています（受け取った型: {type(schedule).__name__}）"
            )
        if not hasattr(optimizer, "lr"):
            raise ValueError(
                "schedule を使うには、学習率を属性 lr に持つオプティマイザを期待しています"
                f"（受け取った型: {type(optimizer).__name__}）"
            )
        base_lr = check_positive(optimizer.lr, "optimizer.lr（スケジュールの基準の学習率）")
    if clip_norm is not None:
        clip_norm = check_positive(clip_norm, "clip_norm（勾配の大域ノルムの上限）")
    n_steps = 0  # 済んだオプティマイザのステップ数

    n_all = X_train.shape[0]
    n = n_all - n_all % batch_size if drop_last else n_all  # 1 エポックで使うサンプル数
    with_acc = _is_label_vector(y_train)
    history = History()
    params = model.parameters()
    grads = model.gradients()
    epoch_iter: Iterable[int] = range(1, epochs + 1)
    if progress:
        from tqdm.auto import tqdm

        epoch_iter = tqdm(epoch_iter, total=epochs, desc="学習")

    for epoch in epoch_iter:
        if base_lr is not None and schedule_per == "epoch":
            optimizer.lr = base_lr * multiplier(schedule, epoch - 1, "エポック")
        order = rng.permutation(n_all)[:n]
        total_loss = total_penalty = 0.0
        n_correct = 0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            xb, yb = X_train[idx], y_train[idx]
            if augment is not None:
                xb = augment(xb, rng)
            with np.errstate(over="ignore", invalid="ignore"):
                out = model.forward(xb, train=True)
                if not np.all(np.isfinite(out)):
                    _diverged(history, epoch, float("nan"))
                    break
                value = loss.forward(out, yb)
                dout = loss.backward()
                pen = 0.0
                if regularizer is not None:
                    pen = regularizer.penalty(params)
                    value += pen
                if not np.isfinite(value):
                    _diverged(history, epoch, value)
                    break
                if isinstance(model, Sequential):
                    model._backward_for_fit(dout)  # backward と同じ勾配（使わない入力の勾配を省くだけ）
                else:
                    model.backward(dout)
                if regularizer is not None:
                    for key, g in regularizer.grad(params).items():
                        grads[key] += g
                if clip_norm is not None:
                    clip_grad_norm(grads, clip_norm)
                if base_lr is not None and schedule_per == "step":
                    optimizer.lr = base_lr * multiplier(schedule, n_steps)
                optimizer.step(params, grads)
                n_steps += 1
            total_loss += value * len(idx)
            total_penalty += pen * len(idx)
            if with_acc:
                n_correct += int(np.sum(np.argmax(out, axis=1) == yb))
        if history.diverged:
            break
        history.train_loss.append(total_loss / n)
        history.penalty.append(total_penalty / n)
        if with_acc:
            history.train_acc.append(n_correct / n)
        if X_val is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                out_val = model.forward(X_val, train=False)
            if not np.all(np.isfinite(out_val)):
                _diverged(history, epoch, float("nan"))
                break
            v_loss = loss.forward(out_val, y_val)
            v_acc = accuracy(out_val, y_val) if with_acc and out_val.shape[1] > 1 else None
            history.val_loss.append(v_loss)
            if v_acc is not None:
                history.val_acc.append(v_acc)
        stop = False
        for cb in callbacks:
            stop = bool(cb.on_epoch_end(epoch, history, model)) or stop
        if stop:
            history.stopped_epoch = epoch
            break

    # 止めたとき・エポックを使い切ったとき・発散したときのどれでも、学習の最後に一度だけ呼びます
    for cb in callbacks:
        on_train_end = getattr(cb, "on_train_end", None)
        if on_train_end is not None:
            on_train_end(history, model)
    return history


def _diverged(history: History, epoch: int, value: float) -> None:
    history.diverged = True
    history.diverged_epoch = epoch
    print(
        f"学習が発散したため、エポック {epoch} で打ち切りました（損失 = {value}）。\n"
        "学習率を下げるなどして、もう一度試してください。"
    )
