"""nnreg: 『ニューラルネットワークの正則化と学習の安定化』のための小さな numpy パッケージ。

各章のノートブックはこのパッケージを import して実験します。
"""

from . import (
    augment,
    baselines,
    callbacks,
    checks,
    curves,
    datasets,
    dropout,
    experiments,
    gradcheck,
    layers,
    losses,
    monitor,
    optimizers,
    regularizers,
    schedules,
    toy,
    training,
)
from .callbacks import EarlyStopping
from .dropout import fold_dropout, predict_mc
from .layers import BatchNorm, Dense, Dropout, Layer, LayerNorm, NoisyShift, ReLU, Sigmoid, Tanh
from .losses import MeanSquaredError, SoftmaxCrossEntropy
from .model import Sequential, mlp
from .notebook import glue
from .optimizers import SGD, AdaGrad, Adam, AdamW, Momentum, RMSprop, clip_grad_norm
from .regularizers import L1, L2
from .schedules import Constant, CosineDecay, LinearWarmup, StepDecay
from .training import History, accuracy, evaluate, fit

__version__ = "0.1.0"


def __getattr__(name: str):
    # nnreg.plotting は matplotlib を読み込むので、使われたときだけ import します。
    if name == "plotting":
        import importlib

        return importlib.import_module(".plotting", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "L1",
    "L2",
    "SGD",
    "AdaGrad",
    "Adam",
    "AdamW",
    "BatchNorm",
    "Constant",
    "CosineDecay",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "History",
    "Layer",
    "LayerNorm",
    "LinearWarmup",
    "MeanSquaredError",
    "Momentum",
    "NoisyShift",
    "RMSprop",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "StepDecay",
    "Tanh",
    "accuracy",
    "augment",
    "baselines",
    "callbacks",
    "checks",
    "clip_grad_norm",
    "curves",
    "datasets",
    "dropout",
    "evaluate",
    "experiments",
    "fit",
    "fold_dropout",
    "glue",
    "gradcheck",
    "layers",
    "losses",
    "mlp",
    "monitor",
    "optimizers",
    "predict_mc",
    "regularizers",
    "schedules",
    "toy",
    "training",
]
