"""Issue #2 の公開 API 契約が import できること。"""

import inspect

import pytest

import nnreg


def test_public_api_names():
    for name in [
        "Dense",
        "ReLU",
        "Sigmoid",
        "Tanh",
        "Dropout",
        "SoftmaxCrossEntropy",
        "MeanSquaredError",
        "Sequential",
        "SGD",
        "Momentum",
        "Adam",
        "fit",
        "History",
        # Issue #12: 学習率のスケジュール、勾配クリッピング
        "StepDecay",
        "CosineDecay",
        "LinearWarmup",
        "Constant",
        "clip_grad_norm",
        "schedules",
    ]:
        assert hasattr(nnreg, name), name
    for name in nnreg.__all__:
        assert hasattr(nnreg, name), name
    from nnreg.gradcheck import check_layer, numerical_gradient, relative_error  # noqa: F401
    from nnreg.plotting import plot_history  # noqa: F401


def test_fit_signature_matches_contract():
    params = inspect.signature(nnreg.fit).parameters
    assert list(params)[:5] == ["model", "loss", "optimizer", "X_train", "y_train"]
    for kw in [
        "X_val",
        "y_val",
        "epochs",
        "batch_size",
        "regularizer",
        "callbacks",
        "augment",
        "rng",
        "progress",
        "drop_last",
        "schedule",
        "schedule_per",
        "clip_norm",
    ]:
        assert params[kw].kind is inspect.Parameter.KEYWORD_ONLY, kw
    # 既定値では以前の版と同じ学習（スケジュールなし・クリッピングなし）
    assert params["schedule"].default is None and params["clip_norm"].default is None
    assert params["schedule_per"].default == "step"


def test_layer_contract(rng=None):
    import numpy as np

    rng = np.random.default_rng(0)
    for layer in [
        nnreg.Dense(2, 3, rng=rng),
        nnreg.ReLU(),
        nnreg.Sigmoid(),
        nnreg.Tanh(),
        nnreg.Dropout(0.5, rng=rng),
    ]:
        assert isinstance(layer.params, dict) and set(layer.params) == set(layer.grads)
        assert "0x" not in repr(layer)


def test_pad_counts_japanese_as_two_columns():
    from nnreg.notebook import display_width, pad

    assert display_width("検証 0.9") == 8
    assert pad("検証", 6) == "検証  " and pad("検証", 6, align="right") == "  検証"
    assert pad("長い文字列", 4) == "長い文字列"
    with pytest.raises(ValueError, match="align"):
        pad("a", 3, align="center")
