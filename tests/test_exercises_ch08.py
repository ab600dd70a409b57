import numpy as np
import pytest
from scipy import stats

from nnreg.exercises import ExerciseFailed, ch08


# ---------------------------------------------------------------- 演習 1
def paired_ci(a, b, level=0.95, *, ddof=1, q=None, unpaired=False):
    d = np.asarray(a) - np.asarray(b)
    n = len(d)
    quant = stats.t.ppf(0.5 + level / 2, df=n - 1) if q is None else q(level, n)
    sd = np.sqrt(np.var(a, ddof=1) + np.var(b, ddof=1)) if unpaired else d.std(ddof=ddof)
    half = quant * sd / np.sqrt(n)
    return d.mean(), d.mean() - half, d.mean() + half


def test_paired_ci(capsys):
    ch08.check_paired_ci(paired_ci)
    assert "✔ paired_ci: 正解です" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda a, b, level: paired_ci(a, b, level, ddof=0), "ddof=0"),
        (
            lambda a, b, level: paired_ci(a, b, level, q=lambda lv, n: stats.norm.ppf(0.5 + lv / 2)),
            "z（1.96）",
        ),
        (lambda a, b, level: paired_ci(a, b, level, unpaired=True), "対応のない"),
        (lambda a, b, level: paired_ci(b, a, level), "向きが逆"),
        (lambda a, b, level: paired_ci(a, b, level, q=lambda lv, n: stats.t.ppf(lv, df=n - 1)), "片側"),
        (
            lambda a, b, level: paired_ci(a, b, level, q=lambda lv, n: stats.t.ppf(0.5 + lv / 2, df=n)),
            "自由度",
        ),
    ],
)
def test_paired_ci_wrong(capsys, wrong, hint):
    with pytest.raises(ExerciseFailed):
        ch08.check_paired_ci(wrong)
    assert hint in capsys.readouterr().out


def test_paired_ci_unanswered_and_error(capsys):
    with pytest.raises(ExerciseFailed):
        ch08.check_paired_ci(lambda a, b, level: None)
    assert "まだ None" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch08.check_paired_ci(lambda a, b, level: (a - b.T[:2]).mean())
    assert "ValueError" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch08.check_paired_ci(lambda a, b, level: (1.0, 2.0))
    assert "3 つ組" in capsys.readouterr().out


# ---------------------------------------------------------------- 演習 2
def z_coverage(n, level=0.95):
    z = stats.norm.ppf(0.5 + level / 2)
    return 2 * stats.t.cdf(z, df=n - 1) - 1


def test_z_coverage(capsys):
    ch08.check_z_coverage(z_coverage)
    assert "正解です" in capsys.readouterr().out
    assert abs(ch08.z_coverage_monte_carlo(5, trials=50_000) - z_coverage(5)) < 0.01


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda n, level: level, "level ちょうどにはなりません"),
        (lambda n, level: 2 * stats.t.cdf(stats.norm.ppf(0.5 + level / 2), df=n) - 1, "自由度"),
        (lambda n, level: stats.t.cdf(stats.norm.ppf(0.5 + level / 2), df=n - 1), "片側"),
        (lambda n, level: 0.5, "被覆率が違います"),
    ],
)
def test_z_coverage_wrong(capsys, wrong, hint):
    with pytest.raises(ExerciseFailed):
        ch08.check_z_coverage(wrong)
    assert hint in capsys.readouterr().out


def test_z_coverage_not_implemented(capsys):
    def todo(n, level):
        raise NotImplementedError

    with pytest.raises(ExerciseFailed):
        ch08.check_z_coverage(todo)
    assert "まだ実装されていません" in capsys.readouterr().out


# ---------------------------------------------------------------- 演習 3
def one_se_choice(scores, *, ddof=1, sd_only=False, last=False, own=False, plain=False):
    s = np.asarray(scores)
    mean = s.mean(axis=1)
    top = int(np.argmax(mean))
    if plain:
        return top
    n = s.shape[1]
    sd = s.std(axis=1, ddof=ddof) if own else s[top].std(ddof=ddof)
    se = sd if sd_only else sd / np.sqrt(n)
    ok = np.flatnonzero(mean >= mean[top] - se)
    return int(ok[-1] if last else ok[0])


def test_one_se_choice(capsys):
    ch08.check_one_se_choice(one_se_choice)
    assert "正解です" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("kw", "hint"),
    [
        ({"plain": True}, "そのまま選んでいます"),
        ({"last": True}, "いちばん複雑な"),
        ({"ddof": 0}, "ddof=0"),
        ({"sd_only": True}, "標準偏差を引いて"),
        ({"own": True}, "平均が最大の候補の SE"),
    ],
)
def test_one_se_choice_wrong(capsys, kw, hint):
    with pytest.raises(ExerciseFailed):
        ch08.check_one_se_choice(lambda s: one_se_choice(s, **kw))
    assert hint in capsys.readouterr().out


# ---------------------------------------------------------------- 演習 4
def combine_answer(key="検証", single_key="検証", base=None):
    names = list(ch08.COMBINE_CONFIGS)
    table = {
        k: np.array(
            [[ch08.tiny_run(s, **kw)[k] for s in ch08.COMBINE_SEEDS] for kw in ch08.COMBINE_CONFIGS.values()]
        )
        for k in ("検証", "テスト")
    }
    val = table[key]
    single = max(["L2", "ドロップアウト"], key=lambda nm: table[single_key][names.index(nm)].mean())
    a, b = val[names.index("両方")], val[names.index(single)]
    if base:
        b = val[names.index(base)]
    gain = paired_ci(a, b)
    return val, single, gain, bool(gain[1] > 0)


def test_combine(capsys):
    val, single, gain, helps = combine_answer()
    ch08.check_combine(val, single, gain, helps)
    assert "正解です" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch08.check_combine(val, single, gain, not helps)
    assert "向きが" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch08.check_combine(*combine_answer(key="テスト"))
    assert "テスト正解率が入っています" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch08.check_combine(*combine_answer(base="なし"))
    assert "「なし」と比べて" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch08.check_combine(val.T, single, gain, helps)
    assert "形は" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch08.check_combine(None, None, None, None)
    assert "まだ None" in capsys.readouterr().out
