import numpy as np
import pytest

import nnreg
from nnreg.experiments import over_seeds


def test_over_seeds_collects_in_seed_order_and_summarises():
    calls = []

    def run(seed):
        calls.append(seed)
        return {"acc": float(np.random.default_rng(seed).random()), "seed": seed}

    runs = over_seeds(run, range(3, 8))
    assert calls == [3, 4, 5, 6, 7]
    assert runs.seeds == (3, 4, 5, 6, 7)
    np.testing.assert_array_equal(runs.values["seed"], [3, 4, 5, 6, 7])
    acc = runs.values["acc"]
    assert runs.mean("acc") == pytest.approx(acc.mean())
    # ddof=1: 5 個の値の不偏標準偏差（手で計算）
    assert runs.sd("seed") == pytest.approx(np.sqrt(10 / 4))
    assert runs.mean_sd("seed", ".2f") == "5.00 ± 1.58"
    assert runs.count("seed", at_least=5) == 3
    assert runs.count("seed", below=5) == 2
    assert runs.count("seed", at_least=4, below=7) == 3


def test_over_seeds_rejects_bad_input():
    with pytest.raises(ValueError, match="2 つ以上"):
        over_seeds(lambda s: {"a": 1.0}, [1])
    with pytest.raises(ValueError, match="重複"):
        over_seeds(lambda s: {"a": 1.0}, [1, 1])
    with pytest.raises(ValueError, match="dict"):
        over_seeds(lambda s: 0.5, [1, 2])
    with pytest.raises(ValueError, match="名前が違います"):
        over_seeds(lambda s: {"a": 1.0} if s == 1 else {"b": 1.0}, [1, 2])
    runs = over_seeds(lambda s: {"a": float(s)}, [1, 2])
    with pytest.raises(KeyError, match="'b'"):
        runs.mean("b")
    with pytest.raises(ValueError, match="at_least か below"):
        runs.count("a")


def test_exported():
    assert nnreg.experiments.over_seeds is over_seeds


def test_paired_difference_matches_a_hand_computed_t_interval():
    from nnreg.experiments import paired_difference

    a = np.array([0.91, 0.93, 0.90, 0.95, 0.92])
    b = np.array([0.90, 0.90, 0.91, 0.92, 0.90])
    d = a - b  # 0.01, 0.03, -0.01, 0.03, 0.02
    res = paired_difference(a, b)
    half = 2.7764451051977987 * d.std(ddof=1) / np.sqrt(5)  # t 分布（自由度 4）の 97.5% 点
    assert res.mean == pytest.approx(0.016)
    assert (res.low, res.high) == pytest.approx((0.016 - half, 0.016 + half))
    assert res.n == 5 and res.n_positive == 4 and res.n_negative == 1
    assert paired_difference([1.0, 2.0, 3.0], [1.0, 1.0, 4.0]).n_negative == 1  # 差 0 はどちらにも数えない
    assert res.excludes_zero == (0.016 - half > 0)
    assert res.format("+.3f") == f"+0.016 [{0.016 - half:+.3f}, {0.016 + half:+.3f}]"
    # 区間の幅は level とともに広がる
    assert paired_difference(a, b, level=0.99).high > res.high


def test_paired_difference_rejects_bad_input():
    from nnreg.experiments import paired_difference

    with pytest.raises(ValueError, match="同じ長さ"):
        paired_difference([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="2 つ以上"):
        paired_difference([1.0], [1.0])
    with pytest.raises(ValueError, match="level"):
        paired_difference([1.0, 2.0], [0.0, 1.0], level=95)


def test_format_mean_sd_matches_seedruns():
    from nnreg.experiments import format_mean_sd

    assert format_mean_sd([3, 4, 5, 6, 7], ".2f") == "5.00 ± 1.58"
    runs = over_seeds(lambda s: {"a": float(s)}, range(3, 8))
    assert runs.mean_sd("a", ".2f") == format_mean_sd([3, 4, 5, 6, 7], ".2f")
    with pytest.raises(ValueError, match="2 つ以上"):
        format_mean_sd([1.0])
