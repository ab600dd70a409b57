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


def plot_trajectories(
    f,
    trajectories: dict,
    *,
    xlim: tuple[float, float] = (-2.0, 2.0),
    ylim: tuple[float, float] = (-2.0, 2.0),
    levels=20,
    colors: dict | None = None,
    marks: dict | None = None,
    ax=None,
    title: str | None = None,
    grid_points: int = 200,
):
    """2 変数関数 ``f``（:mod:`nnreg.toy`）の等高線に、オプティマイザの軌跡を重ねて描き、``Axes`` を返します（第6章）。

    ``trajectories`` は ``{凡例の名前: 形状 (T, 2) の軌跡}``。出発点は ○、終点は × で示します。
    ``marks`` に ``{名前: 点}`` を渡すと、鞍点や最小点などを黒い ★ で示し、名前を添えます。
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    xs = np.linspace(*xlim, grid_points)
    ys = np.linspace(*ylim, grid_points)
    X, Y = np.meshgrid(xs, ys)
    Z = f.value(np.stack([X, Y], axis=-1))
    ax.contour(X, Y, Z, levels=levels, colors="0.75", linewidths=0.7)
    colors = colors or {}
    for i, (label, traj) in enumerate(trajectories.items()):
        traj = np.asarray(traj, dtype=float)
        if traj.ndim != 2 or traj.shape[1] != 2:
            raise ValueError(f"軌跡 {label!r} は形状 (T, 2) を期待しています（受け取った形状: {traj.shape}）")
        color = colors.get(label, f"C{i}")
        finite = traj[np.all(np.isfinite(traj), axis=1)]
        ax.plot(
            finite[:, 0], finite[:, 1], "-", color=color, linewidth=1.3, marker=".", markersize=3, label=label
        )
        ax.plot(*finite[0], "o", color=color, markersize=6, markerfacecolor="white")
        ax.plot(*finite[-1], "x", color=color, markersize=8, markeredgewidth=2)
    for name, point in (marks or {}).items():
        ax.plot(*point, "*", color="black", markersize=12, zorder=5)
        ax.annotate(name, point, textcoords="offset points", xytext=(6, 6), fontsize=9)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    if title:
        ax.set_title(title)
    return ax
