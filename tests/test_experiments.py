import numpy as np
import pytest

import nnreg
from nnreg import experiments
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


# --- parallel_map: 独立な実験を複数のプロセスで（結果は順に計算したときと同じ） ---


def _train_one(seed):
    # シードごとの小さな学習（自分の乱数生成器だけを使う）
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 5))
    y = (X[:, 0] > 0).astype(int)
    model = nnreg.mlp((5, 8, 2), rng=rng)
    history = nnreg.fit(
        model,
        nnreg.SoftmaxCrossEntropy(),
        nnreg.Adam(0.01),
        X,
        y,
        epochs=3,
        batch_size=8,
        rng=rng,
    )
    print(f"seed {seed} done")
    return model.parameters()["0.W"].copy(), history.train_loss


needs_fork = pytest.mark.skipif(not experiments.can_fork(), reason="fork は Linux でだけ使います")


@needs_fork
def test_parallel_map_is_bit_identical_to_sequential_and_replays_prints(capsys):
    seq = experiments.parallel_map(_train_one, range(5), jobs=1)
    seq_out = capsys.readouterr().out
    par = experiments.parallel_map(_train_one, range(5), jobs=2)
    par_out = capsys.readouterr().out
    assert par_out == seq_out == "".join(f"seed {s} done\n" for s in range(5))
    for (w_s, loss_s), (w_p, loss_p) in zip(seq, par, strict=True):
        assert w_s.tobytes() == w_p.tobytes()
        assert loss_s == loss_p


@needs_fork
def test_parallel_map_reraises_the_workers_exception():
    def fail_on_three(x):
        if x == 3:
            raise KeyError("three")
        return x

    with pytest.raises(KeyError, match="three") as info:
        experiments.parallel_map(fail_on_three, range(5), jobs=2)
    assert "fail_on_three" in str(info.value.__cause__)


@needs_fork
def test_parallel_map_names_an_unpicklable_return_value():
    with pytest.raises(ValueError, match="pickle できません"):
        experiments.parallel_map(lambda x: lambda: x, range(3), jobs=2)


@needs_fork
def test_nested_parallel_map_runs_in_order_inside_a_worker():
    def inner(x):
        return experiments.parallel_map(lambda y: x * 10 + y, range(3), jobs=2)

    assert experiments.parallel_map(inner, range(3), jobs=2) == [[0, 1, 2], [10, 11, 12], [20, 21, 22]]


@needs_fork
def test_over_seeds_in_parallel_equals_sequential(monkeypatch):
    monkeypatch.setenv(experiments.JOBS_ENV, "2")

    def run(s):
        w, loss = _train_one(s)
        return {"loss": loss[-1], "w": float(w.sum())}

    a = over_seeds(run, range(4))
    b = over_seeds(run, range(4), parallel=True)
    for k in a.values:
        assert a.values[k].tobytes() == b.values[k].tobytes()


def test_parallel_map_checks_jobs_and_the_environment(monkeypatch):
    with pytest.raises(ValueError, match="jobs"):
        experiments.parallel_map(abs, [1, 2], jobs=0)
    monkeypatch.setenv(experiments.JOBS_ENV, "two")
    with pytest.raises(ValueError, match="NNREG_JOBS"):
        experiments.default_jobs()
    monkeypatch.setenv(experiments.JOBS_ENV, "1")
    assert experiments.default_jobs() == 1
    assert experiments.parallel_map(abs, [-1, -2]) == [1, 2]
    assert experiments.parallel_map(abs, []) == []
    with pytest.raises(ValueError, match="parallel"):
        over_seeds(lambda s: {"a": s}, [1, 2], parallel=2)


@pytest.mark.parametrize("parallel", [False, pytest.param(True, marks=needs_fork)])
def test_over_configs_equals_over_seeds_per_config(parallel):
    def run(config, seed):
        _, loss = _train_one(seed + 10 * config)
        return {"loss": loss[-1]}

    got = experiments.over_configs(run, [0, 1, 2], range(3), parallel=parallel)
    assert list(got) == [0, 1, 2]
    for c in got:
        want = over_seeds(lambda s, c=c: run(c, s), range(3))
        assert got[c].seeds == want.seeds
        assert got[c].values["loss"].tobytes() == want.values["loss"].tobytes()
    with pytest.raises(ValueError, match="重複"):
        experiments.over_configs(run, [0, 0], range(3))


@pytest.mark.parametrize("n", [2, 5, 8, 30])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_t_quantile_is_bit_identical_to_scipy_stats(n, level):
    # paired_difference は scipy.stats を読み込まずに scipy.special.stdtrit を使う。t.ppf と同じ値であること
    from scipy import stats
    from scipy.special import stdtrit

    assert float(stdtrit(n - 1, 0.5 + level / 2)) == float(stats.t.ppf(0.5 + level / 2, df=n - 1))


@needs_fork
def test_workers_use_one_blas_thread():
    # 子プロセスを コアの数だけ走らせるので、子の中の BLAS は 1 本のスレッドにする（奪い合わないように）
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads(_):
        return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]

    # 親は 2 本のスレッドにしておく（make test は OPENBLAS_NUM_THREADS=1 で走るので、そのままでは確かめられない）
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        assert all(n == 2 for n in blas_threads(None)), "親の BLAS を 2 本にできませんでした"
        seen = experiments.parallel_map(blas_threads, range(4), jobs=2)
    assert all(seen), "numpy の BLAS が threadpoolctl から見えません"
    assert all(n == 1 for threads in seen for n in threads)
