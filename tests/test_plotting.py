import matplotlib
import numpy as np

matplotlib.use("Agg")

import matplotlib.pyplot as plt

import nnreg
from nnreg.plotting import plot_history, show_images


def test_plot_history_colors_and_best_marker():
    h = nnreg.History(
        train_loss=[3, 2, 1], val_loss=[3, 1.5, 2.0], train_acc=[0.1, 0.5, 0.9], val_acc=[0.1, 0.6, 0.5]
    )
    fig = plot_history(h)
    ax_loss, ax_acc = fig.axes
    lines = {line.get_label(): line for line in ax_loss.get_lines()}
    assert matplotlib.colors.to_hex(lines["訓練"].get_color()) == matplotlib.colors.to_hex("C0")
    assert matplotlib.colors.to_hex(lines["検証"].get_color()) == matplotlib.colors.to_hex("C1")
    assert lines["検証損失が最小"].get_xdata()[0] == 2
    assert ax_acc.get_ylabel() == "正解率"
    plt.close(fig)


def test_japanese_font_is_available():
    from matplotlib import font_manager

    import nnreg.plotting  # noqa: F401

    family = matplotlib.rcParams["font.family"]
    path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert "ipaex" in path.lower() or "noto" in path.lower(), path


def test_show_images_grid():
    fig = show_images(np.zeros((12, 64)), labels=list(range(12)), ncols=6)
    assert len(fig.axes) == 12
    plt.close(fig)
