"""図（全章）: 学習曲線など。日本語のラベルは matplotlib-fontja で表示します。

色の約束: 訓練 = 青 (C0)、検証 = オレンジ (C1)、テスト = 緑 (C2)。
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import matplotlib_fontja  # noqa: F401  （日本語フォントを登録する副作用のために import）
import numpy as np
from matplotlib.ticker import MaxNLocator

TRAIN_COLOR = "C0"
VAL_COLOR = "C1"
TEST_COLOR = "C2"

matplotlib.rcParams["axes.unicode_minus"] = False

_LABELS = {"loss": "損失", "acc": "正解率"}


def plot_history(
    history,
    *,
    metrics: tuple[str, ...] = ("loss", "acc"),
    axes=None,
    title: str | None = None,
    mark_best: bool = True,
    label_suffix: str = "",
):
    """学習曲線（訓練 = 青、検証 = オレンジ）を描き、``Figure`` を返します。

    ``mark_best=True`` なら検証損失が最小になったエポックに縦線を引きます。
    """
    metrics = tuple(m for m in metrics if getattr(history, f"train_{m}"))
    if axes is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.6), squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(axes)
        fig = axes[0].figure
    for ax, m in zip(axes, metrics, strict=False):
        train = getattr(history, f"train_{m}")
        val = getattr(history, f"val_{m}")
        ax.plot(range(1, len(train) + 1), train, color=TRAIN_COLOR, label=f"訓練{label_suffix}")
        if val:
            ax.plot(range(1, len(val) + 1), val, color=VAL_COLOR, label=f"検証{label_suffix}")
        if mark_best and history.val_loss:
            best = history.best_epoch("val_loss")
            ax.axvline(best, color="gray", linestyle="--", linewidth=1, label="検証損失が最小")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("エポック")
        ax.set_ylabel(_LABELS.get(m, m))
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_images(images: np.ndarray, labels=None, *, ncols: int = 10, shape=(8, 8), cmap="gray_r", axes=None):
    """画像（行ごとに平らにしたもの）を格子状に並べ、``Figure`` を返します。"""
    images = np.asarray(images)
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    if axes is None:
        fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * 0.9, nrows * 1.0), squeeze=False)
    else:
        fig = np.ravel(axes)[0].figure
    flat = np.ravel(axes)
    for i, ax in enumerate(flat):
        ax.axis("off")
        if i < n:
            ax.imshow(images[i].reshape(shape), cmap=cmap, vmin=0, vmax=1)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=9)
    fig.tight_layout()
    return fig
