import numpy as np
import pytest

from nnreg.exercises import ExerciseFailed, ch05


def good_shift(X, max_shift, rng):
    n = len(X)
    dx = rng.integers(-max_shift, max_shift + 1, size=n)
    dy = rng.integers(-max_shift, max_shift + 1, size=n)
    m = max_shift
    pad = np.pad(np.asarray(X).reshape(n, 8, 8), ((0, 0), (m, m), (m, m)))
    out = np.empty((n, 8, 8))
    for i in range(n):
        out[i] = pad[i, m - dy[i] : m - dy[i] + 8, m - dx[i] : m - dx[i] + 8]
    return out.reshape(n, 64)


def roll_shift(X, max_shift, rng):
    n = len(X)
    dx = rng.integers(-max_shift, max_shift + 1, size=n)
    dy = rng.integers(-max_shift, max_shift + 1, size=n)
    imgs = np.asarray(X).reshape(n, 8, 8)
    out = np.stack([np.roll(imgs[i], (dy[i], dx[i]), axis=(0, 1)) for i in range(n)])
    return out.reshape(n, 64)


def swapped_shift(X, max_shift, rng):
    n = len(X)
    dx = rng.integers(-max_shift, max_shift + 1, size=n)
    dy = rng.integers(-max_shift, max_shift + 1, size=n)
    return good_shift_fixed(X, dy, dx)


def good_shift_fixed(X, dx, dy):
    from nnreg.augment import shift_images

    return shift_images(X, dx=dx, dy=dy)


def test_random_shift_correct(capsys):
    ch05.check_random_shift(good_shift)
    assert "✔ my_random_shift: 正解です" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("func", "hint"),
    [
        (roll_shift, "np.roll"),
        (swapped_shift, "縦と横が入れ替わって"),
        (lambda X, m, rng: good_shift(X, m, rng).astype(int), "dtype"),
        (lambda X, m, rng: good_shift(X, m, rng).reshape(-1, 8, 8), "(N, 8, 8)"),
        (lambda X, m, rng: None, "まだ None"),
    ],
)
def test_random_shift_wrong(func, hint, capsys):
    with pytest.raises(ExerciseFailed):
        ch05.check_random_shift(func)
    assert hint in capsys.readouterr().out


def test_random_shift_exception_and_not_implemented(capsys):
    def broken(X, m, rng):
        return X @ np.ones((3, 3))

    def stub(X, m, rng):
        raise NotImplementedError

    with pytest.raises(ExerciseFailed):
        ch05.check_random_shift(broken)
    assert "でエラーが起きました: ValueError" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch05.check_random_shift(stub)
    assert "まだ実装されていません" in capsys.readouterr().out


def good_len(n, p):
    return n * (1 - p) + p**n


def good_lost(n, p):
    return p - p**n / n


def test_deletion_correct(capsys):
    ch05.check_deletion_formulas(good_len, good_lost, n_mc=500)
    out = capsys.readouterr().out
    assert "✔ expected_length: 正解です" in out and "✔ prob_lost: 正解です" in out
    assert "モンテカルロ" in out


def test_deletion_wrong(capsys):
    with pytest.raises(ExerciseFailed):
        ch05.check_deletion_formulas(lambda n, p: n * (1 - p), good_lost, n_mc=10)
    assert "すべて消えたときに 1 語を残します" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch05.check_deletion_formulas(good_len, lambda n, p: p, n_mc=10)
    assert "引き忘れていませんか" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch05.check_deletion_formulas(good_len, lambda n, p: p - p**n, n_mc=10)
    assert "p^n / n" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed):
        ch05.check_deletion_formulas(good_len, lambda n, p: None, n_mc=10)
    assert "まだ None" in capsys.readouterr().out


def _stain_answer(kinds=("消す", "付ける", "混ぜる")):
    augs = {"拡張なし": None, **{k: ch05._ref_aug(k) for k in kinds}}
    return {k: np.array([ch05.healthy3_rate(a, s) for s in ch05.STAIN_SEEDS]) for k, a in augs.items()}


def test_stain_study(capsys):
    val = _stain_answer()
    best = max(val, key=lambda k: val[k].mean())
    ch05.check_stain_study(val, best)
    out = capsys.readouterr().out
    assert "✔ シミだけを変える拡張の比較: 正解です" in out
    # 結論の向き: どのシミの拡張も拡張なしより良く、消すは 5 シードすべてで付けるより良い
    assert all(val[k].mean() > val["拡張なし"].mean() for k in ("消す", "付ける", "混ぜる"))
    assert np.all(val["消す"] > val["付ける"])

    with pytest.raises(ExerciseFailed):
        ch05.check_stain_study(val, "拡張なし")
    assert "平均が最も高い" in capsys.readouterr().out

    wrong = dict(val)
    wrong["付ける"] = val["付ける"] + 0.1
    with pytest.raises(ExerciseFailed):
        ch05.check_stain_study(wrong, best)
    assert "rng.random(len(X)) < 0.5" in capsys.readouterr().out

    with pytest.raises(ExerciseFailed):
        ch05.check_stain_study({"拡張なし": val["拡張なし"]}, best)
    assert "キー" in capsys.readouterr().out

    with pytest.raises(ExerciseFailed):
        ch05.check_stain_study(None, None)
    assert "まだ None" in capsys.readouterr().out


def test_stain_study_detects_test_data(capsys):
    val = {
        k: np.array([ch05.healthy3_rate(None, s, use_test=True) for s in ch05.STAIN_SEEDS])
        for k in ["拡張なし"]
    }
    val.update({k: np.zeros(5) for k in ["消す", "付ける", "混ぜる"]})
    with pytest.raises(ExerciseFailed):
        ch05.check_stain_study(val, "消す")
    assert "テストデータで測っていませんか" in capsys.readouterr().out


def make_insertion(word, position, inserted):
    """挿入のしかたを 3 つの選び方で組み立てます（正しい解答と、わざと間違えた解答を作るため）。

    word(候補, rng) が類義語を探す単語を、position(out, rng) が挿入する位置を、
    inserted(単語, 類義語のリスト, rng) が挿入する語を選びます（乱数はこの順に引きます）。
    """

    def insert(words, synonyms, n, rng):
        out = list(words)
        for _ in range(n):
            cands = [w for w in out if w in synonyms]
            if not cands:
                break
            w = word(cands, rng)
            pos = position(out, rng)
            out.insert(pos, inserted(w, synonyms[w], rng))
        return out

    return insert


def pick(items, rng):
    return items[int(rng.integers(len(items)))]


def first(items, rng):
    return items[0]


def anywhere(out, rng):
    return int(rng.integers(len(out) + 1))


def synonym(word, opts, rng):
    return pick(opts, rng)


good_insertion = make_insertion(pick, anywhere, synonym)
# 間違い: 文末には挿入しない
no_end_insertion = make_insertion(pick, lambda out, rng: int(rng.integers(len(out))), synonym)
# 間違い: 類義語ではなく、選んだ単語そのものを挿入する
self_insertion = make_insertion(first, anywhere, lambda word, opts, rng: word)
# 間違い: いつも最初の候補の、最初の類義語
first_synonym_insertion = make_insertion(first, anywhere, lambda word, opts, rng: opts[0])
# 間違い: 類義語は乱数で選ぶが、単語はいつも最初の候補
first_candidate_insertion = make_insertion(first, anywhere, synonym)
# 間違い: 文頭か文末にしか挿入しない
ends_only_insertion = make_insertion(pick, lambda out, rng: 0 if rng.random() < 0.5 else len(out), synonym)


def mutating_insertion(words, synonyms, n, rng):
    out = good_insertion(words, synonyms, n, rng)
    words.append("x")
    return out


def replacing(words, synonyms, n, rng):
    out = list(words)
    for i, w in enumerate(out):
        if w in synonyms:
            out[i] = synonyms[w][0]
    return out


def random_key_insertion(words, synonyms, n, rng):
    # 間違い: 文中にない単語も含めて、辞書のキーから選ぶ
    out = list(words)
    if not any(w in synonyms for w in out):
        return out
    keys = list(synonyms)
    for _ in range(n):
        opts = synonyms[keys[int(rng.integers(len(keys)))]]
        out.insert(int(rng.integers(len(out) + 1)), opts[int(rng.integers(len(opts)))])
    return out


def test_insertion_correct(capsys):
    ch05.check_random_insertion(good_insertion)
    assert "✔ my_random_insertion: 正解です" in capsys.readouterr().out


def test_insertion_reference_solution_passes(capsys):
    # 演習ページの解答と同じ書き方（rng.choice を使う書き方も通る）
    def choice(items, rng):
        return items[rng.choice(len(items))]

    choice_insertion = make_insertion(
        choice, lambda out, rng: rng.choice(len(out) + 1), lambda word, opts, rng: choice(opts, rng)
    )
    ch05.check_random_insertion(choice_insertion)
    assert "✔ my_random_insertion: 正解です" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("func", "hint"),
    [
        (no_end_insertion, "文末に挿入されることがありません"),
        (self_insertion, "選んだ単語そのもの"),
        (mutating_insertion, "書き換えています"),
        (replacing, "insert で挿入します"),
        (lambda w, s, n, r: good_insertion(w, s, n, r)[::-1], "順番が変わっています"),
        (random_key_insertion, "文中のどの単語の類義語でもない"),
        (first_synonym_insertion, "類義語がいつも"),
        (first_candidate_insertion, "「走る」の類義語が一度も選ばれません"),
        (ends_only_insertion, "文の途中"),
        (lambda w, s, n, r: None, "まだ None"),
    ],
)
def test_insertion_wrong(func, hint, capsys):
    with pytest.raises(ExerciseFailed):
        ch05.check_random_insertion(func)
    assert hint in capsys.readouterr().out
