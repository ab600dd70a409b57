"""第5章 データ拡張 の演習の確認（``book/ch05-exercises.ipynb`` から呼びます）。

- :func:`check_random_shift`: 演習 1（実装）ランダムなずらし。``nnreg.augment.random_shift`` と比べます。
- :func:`check_deletion_formulas`: 演習 2（導出）ランダムな削除で残る単語の数と、ある単語が消える確率。
- :func:`check_stain_study`: 演習 3（調査）シミだけを変える拡張を 5 シードの検証データで比べる。
- :func:`check_random_insertion`: 演習 4（実装）EDA のランダムな挿入。

演習 3 の学習の設定は、解答と確認で同じものを使うように :func:`stain_data`・:func:`healthy3_rate` として
ここに置きます。
"""

from __future__ import annotations

import numpy as np

from ..augment import random_deletion, random_shift
from ..datasets import add_spurious_pixels, load_digits, one_vs_rest
from . import Wrong, answered, call, expect, expect_close, grade

__all__ = [
    "STAIN_PIXELS",
    "STAIN_SEEDS",
    "check_deletion_formulas",
    "check_random_insertion",
    "check_random_shift",
    "check_stain_study",
    "healthy3_rate",
    "stain_data",
]


# ---- 演習 1（実装）: ランダムなずらし ----


def _shift_variant(X, dx, dy, *, wrap=False):
    """画像ごとに右へ dx、下へ dy ずらす素朴な実装（確認用。wrap=True は np.roll の誤り）。"""
    n = len(X)
    imgs = X.reshape(n, 8, 8)
    out = np.zeros_like(imgs)
    for i in range(n):
        if wrap:
            out[i] = np.roll(imgs[i], (dy[i], dx[i]), axis=(0, 1))
            continue
        for r in range(8):
            for c in range(8):
                rs, cs = r - dy[i], c - dx[i]
                if 0 <= rs < 8 and 0 <= cs < 8:
                    out[i, r, c] = imgs[i, rs, cs]
    return out.reshape(n, 64)


def check_random_shift(my_random_shift) -> None:
    """``my_random_shift(X, max_shift, rng)`` が ``random_shift(max_shift)(X, rng)`` と一致するか確かめます。"""

    def test():
        data_rng = np.random.default_rng(5051)
        for max_shift, seed in [(1, 11), (2, 12), (3, 13)]:
            X = data_rng.random((7, 64))
            X_before = X.copy()
            out = call(my_random_shift, X, max_shift, np.random.default_rng(seed), name="my_random_shift")
            answered(out, "my_random_shift の戻り値")
            expect(
                np.array_equal(X, X_before),
                "入力の X を書き換えています。コピーを作ってから（または新しい配列に）書いてください。",
            )
            ref = random_shift(max_shift)(X, np.random.default_rng(seed))
            out = np.asarray(out)
            if out.shape == (7, 8, 8):
                raise Wrong("形が (N, 8, 8) のままです。最後に reshape(N, 64) で平らに戻してください。")
            expect(
                out.dtype.kind == "f",
                f"dtype が {out.dtype} になっています。画素は 0〜1 の実数なので、float のまま返してください"
                "（np.zeros_like(X) などで作ると X と同じ dtype になります）。",
            )
            r = np.random.default_rng(seed)
            dx = r.integers(-max_shift, max_shift + 1, size=7)
            dy = r.integers(-max_shift, max_shift + 1, size=7)
            if out.shape == ref.shape and not np.allclose(out, ref):
                if np.allclose(out, _shift_variant(X, dx, dy, wrap=True)):
                    raise Wrong(
                        "はみ出した画素が反対側から戻ってきています（np.roll の巻き戻し）。"
                        "はみ出した画素は捨て、空いた画素は 0（背景）で埋めます。"
                    )
                if np.allclose(out, _shift_variant(X, dy, dx)):
                    raise Wrong("縦と横が入れ替わっています。dx は列（横）、dy は行（縦）のずれです。")
                if np.allclose(out, _shift_variant(X, -dx, -dy)):
                    raise Wrong("ずらす向きが逆です。out[r, c] = in[r - dy, c - dx] です（dx > 0 で右へ）。")
                if np.allclose(out, _shift_variant(X, dy, dx, wrap=True)):
                    raise Wrong("縦と横が入れ替わり、しかも np.roll で巻き戻しています。")
                raise Wrong(
                    "nnreg.augment.random_shift と一致しません。乱数は dx、dy の順に "
                    "rng.integers(-max_shift, max_shift + 1, size=N) で 1 回ずつ引いていますか。"
                )
            expect_close(out, ref, name=f"max_shift={max_shift} のずらし", rtol=0, atol=1e-12)

    grade("my_random_shift", test)


# ---- 演習 2（導出）: ランダムな削除 ----


def _length_true(n, p):
    return n * (1 - p) + p**n


def _lost_true(n, p):
    return p - p**n / n


def check_deletion_formulas(expected_length, prob_lost, *, n_mc: int = 5000) -> None:
    """残る単語数の期待値 ``expected_length(n, p)`` と、特定の単語が消える確率 ``prob_lost(n, p)`` を確かめます。

    式の値を知らない (n, p) で比べ、最後に ``random_deletion`` のモンテカルロと照らし合わせて表示します。
    """
    cases = [(1, 0.4), (2, 0.5), (3, 0.7), (5, 0.9), (8, 0.25), (12, 0.6)]

    def test_length():
        for n, p in cases:
            got = call(expected_length, n, p, name="expected_length")
            answered(got, "expected_length の戻り値")
            want = _length_true(n, p)
            if np.isclose(got, n * (1 - p)) and not np.isclose(want, n * (1 - p)):
                raise Wrong(
                    f"n={n}, p={p} で n(1-p) = {n * (1 - p):.3g} になっています。"
                    "random_deletion は、すべて消えたときに 1 語を残します（その確率の分が足りません）。"
                )
            if np.isclose(got, n * p) and not np.isclose(want, n * p):
                raise Wrong("消える単語の数の期待値 n·p になっていませんか。残る数を求めます。")
            if np.isclose(got, n * (1 - p) + p) and not np.isclose(want, n * (1 - p) + p):
                raise Wrong("すべて消える確率は p ではなく、n 語すべてが消える確率 p^n です。")
            expect_close(got, want, name=f"n={n}, p={p} の期待値", rtol=1e-9)

    def test_lost():
        for n, p in cases:
            got = call(prob_lost, n, p, name="prob_lost")
            answered(got, "prob_lost の戻り値")
            want = _lost_true(n, p)
            if np.isclose(got, p) and not np.isclose(want, p):
                raise Wrong(
                    f"n={n}, p={p} で p になっています。すべて消えたときに残す 1 語が、"
                    "たまたまその単語になる場合（確率 p^n × 1/n）を引き忘れていませんか。"
                )
            if np.isclose(got, p - p**n) and not np.isclose(want, p - p**n):
                raise Wrong(
                    "すべて消えたときに残る 1 語は n 語から 1 つ選ぶので、その単語が残る確率は p^n / n です。"
                )
            expect_close(got, want, name=f"n={n}, p={p} の確率", rtol=1e-9)

    grade("expected_length", test_length)
    grade("prob_lost", test_lost)
    rng = np.random.default_rng(5052)
    words = [f"w{i}" for i in range(4)]
    runs = [random_deletion(words, 0.6, rng=rng) for _ in range(n_mc)]
    mc_len = np.mean([len(r) for r in runs])
    mc_lost = np.mean(["w0" not in r for r in runs])
    print(
        f"  n=4, p=0.6 のモンテカルロ（{n_mc} 回）: 残る数 {mc_len:.2f}（式 {_length_true(4, 0.6):.2f}）、"
        f"\n  w0 が消える割合 {mc_lost:.3f}（式 {_lost_true(4, 0.6):.3f}）"
    )


# ---- 演習 3（調査）: シミだけを変える拡張 ----

STAIN_PIXELS = np.array([2 * 8, 3 * 8, 4 * 8, 5 * 8])  # 左端の列の 2〜5 行目（本文の第4節と同じ）
STAIN_SEEDS = range(5)
_DATA_CACHE: dict[int, tuple] = {}


def stain_data(seed: int):
    """分け方 ``seed`` の「3 か、3 以外か」: (シミ付き訓練 X, 訓練ラベル, 検証 X, 検証ラベル)。

    訓練データの 3 にだけシミを付け、検証データはシミのない健康な画像のままです。
    """
    if seed not in _DATA_CACHE:
        d = load_digits(seed=seed)
        r = np.random.default_rng(seed)
        X_tr, t_tr = one_vs_rest(d.X_train, d.y_train, 3, rng=r)
        X_va, t_va = one_vs_rest(d.X_val, d.y_val, 3, rng=r)
        X_tr = add_spurious_pixels(X_tr, t_tr, {1: list(STAIN_PIXELS)})
        _DATA_CACHE[seed] = (X_tr, t_tr, X_va, t_va)
    return tuple(a.copy() for a in _DATA_CACHE[seed])


def healthy3_rate(augment, seed: int, *, use_test: bool = False) -> float:
    """拡張 ``augment`` で全結合層 1 枚を学習させ、検証データの健康な 3 を「3」と答えた割合を返します。

    シード ``seed`` で分け方・初期値・ミニバッチ・拡張の乱数をまとめて決めます（Adam 0.01、20 エポック、バッチ 20）。
    """
    from .. import Adam, SoftmaxCrossEntropy, fit, mlp

    X_tr, t_tr, X_va, t_va = stain_data(seed)
    if use_test:  # 確認用: テストデータで測ってしまったときの値
        d = load_digits(seed=seed)
        r = np.random.default_rng(seed)
        one_vs_rest(d.X_train, d.y_train, 3, rng=r)
        one_vs_rest(d.X_val, d.y_val, 3, rng=r)
        X_va, t_va = one_vs_rest(d.X_test, d.y_test, 3, rng=r)
    r = np.random.default_rng(seed)
    model = mlp((64, 2), rng=r)
    fit(
        model,
        SoftmaxCrossEntropy(),
        Adam(lr=0.01),
        X_tr,
        t_tr,
        epochs=20,
        batch_size=20,
        augment=augment,
        rng=r,
    )
    says3 = model.predict(X_va).argmax(axis=1) == 1
    return float(np.mean(says3[t_va == 1]))


def _ref_aug(kind: str):
    def augment(X, rng):
        X = np.array(X, dtype=float)
        chosen = rng.random(len(X)) < 0.5
        if kind == "消す":
            X[np.ix_(chosen, STAIN_PIXELS)] = 0.0
        elif kind == "付ける":
            X[np.ix_(chosen, STAIN_PIXELS)] = 1.0
        else:  # 混ぜる
            X[:, STAIN_PIXELS] = np.where(chosen[:, None], 1.0, 0.0)
        return X

    return augment


STAIN_KINDS = ["拡張なし", "消す", "付ける", "混ぜる"]


def _reference_study(use_test=False):
    augs = {"拡張なし": None, **{k: _ref_aug(k) for k in STAIN_KINDS[1:]}}
    return {
        k: np.array([healthy3_rate(a, s, use_test=use_test) for s in STAIN_SEEDS]) for k, a in augs.items()
    }


def check_stain_study(stain_val, best_stain) -> None:
    """演習 3: 4 通りの 5 シードの検証の割合 ``stain_val`` と、選んだ拡張 ``best_stain`` を確かめます。"""

    def test():
        answered(stain_val, "stain_val")
        expect(
            isinstance(stain_val, dict),
            f"stain_val は辞書（名前 → 5 個の値）にしてください（{type(stain_val).__name__}）。",
        )
        missing = [k for k in STAIN_KINDS if k not in stain_val]
        expect(not missing, f"stain_val にキー {missing} がありません。キーは {STAIN_KINDS} です。")
        ref = _reference_study()
        for k in STAIN_KINDS:
            got = np.asarray(stain_val[k], dtype=float)
            expect(
                got.shape == (5,),
                f"stain_val[{k!r}] はシード 0〜4 の 5 個の値にしてください（形 {got.shape}）。",
            )
            if not np.allclose(got, ref[k], atol=1e-9):
                test_ref = np.array(
                    [
                        healthy3_rate(_ref_aug(k) if k != "拡張なし" else None, s, use_test=True)
                        for s in STAIN_SEEDS
                    ]
                )
                if np.allclose(got, test_ref, atol=1e-9):
                    raise Wrong(
                        "テストデータで測っていませんか。拡張を選ぶための比較は検証データ（healthy3_rate）で行います。"
                    )
                if k == "拡張なし":
                    raise Wrong(
                        "拡張なしの値が参照と違います。healthy3_rate(None, s) を s = 0〜4 で呼んでください。"
                    )
                raise Wrong(
                    f"「{k}」の値が参照の実行と違います（参照の平均 {ref[k].mean():.1%}）。"
                    "乱数は rng.random(len(X)) < 0.5 を 1 回だけ引き、選んだ画像のシミの画素を"
                    "（消すなら 0、付けるなら 1、混ぜるなら選んだものを 1・残りを 0 に）していますか。"
                )
        answered(best_stain, "best_stain")
        means = {k: ref[k].mean() for k in STAIN_KINDS}
        best = max(means, key=means.get)
        expect(
            best_stain == best,
            f"best_stain が {best_stain!r} です。検証の割合の 5 シード平均が最も高い拡張を選びます。",
        )
        print("  参照の実行（検証データの健康な 3 を「3」と答えた割合、5 シードの平均）:")
        print("  " + "  ".join(f"{k} {means[k]:.1%}" for k in STAIN_KINDS))

    grade("シミだけを変える拡張の比較", test)


# ---- 演習 4（実装）: ランダムな挿入 ----


def _insertion_cases():
    rng = np.random.default_rng(5054)
    keys = ["犬", "猫", "走る", "速い", "大きい"]
    syn = {"犬": ["わんこ", "イヌ"], "猫": ["ねこ"], "走る": ["駆ける", "疾走する"], "速い": ["素早い"]}
    plain = ["が", "を", "は", "とても", "た", "の"]
    cases = []
    for _ in range(40):
        m = int(rng.integers(2, 7))
        words = [str(w) for w in rng.choice(keys + plain, size=m)]
        if not any(w in syn for w in words):
            words[int(rng.integers(m))] = "犬"
        cases.append((words, int(rng.integers(1, 4)), int(rng.integers(10_000))))
    return syn, cases


def _inserted(words, out):
    """元の単語を順に取り除いた残り（挿入した単語）と、その位置。順番が崩れていれば None。"""
    rest, positions, j = [], [], 0
    for i, w in enumerate(out):
        if j < len(words) and w == words[j]:
            j += 1
        else:
            rest.append(w)
            positions.append(i)
    return (rest, positions) if j == len(words) else None


def _insertion_spread(my_random_insertion, words, syn, n_seeds=200):
    """``words`` に 1 語だけ挿入するのを ``n_seeds`` 回行い、挿入した単語と位置の集合を返します。"""
    inserted, positions = set(), set()
    for seed in range(n_seeds):
        out = call(
            my_random_insertion, list(words), syn, 1, np.random.default_rng(seed), name="my_random_insertion"
        )
        answered(out, "my_random_insertion の戻り値")
        found = _inserted(words, list(out))
        expect(
            found is not None and len(found[0]) == 1,
            f"{words} に 1 回挿入した結果 {list(out)} が、元の単語に 1 語足しただけの形になっていません。",
        )
        inserted.add(found[0][0])
        positions.add(found[1][0])
    return inserted, positions


def check_random_insertion(my_random_insertion) -> None:
    """``my_random_insertion(words, synonyms, n, rng)`` を、見たことのない文と辞書で確かめます。

    1 回ごとに、挿入した単語が「文中にある単語」の類義語かを確かめ、最後に同じ文で乱数だけを変えて、
    選ぶ単語・類義語・位置がいろいろに変わるか（いつも同じものを選んでいないか）を確かめます。
    """

    def test():
        syn, cases = _insertion_cases()
        all_syn = {s for v in syn.values() for s in v}
        for words, n, seed in cases:
            before = list(words)
            out = call(
                my_random_insertion, words, syn, n, np.random.default_rng(seed), name="my_random_insertion"
            )
            answered(out, "my_random_insertion の戻り値")
            expect(
                words == before,
                "元のリスト words を書き換えています。list(words) でコピーしてから挿入してください。",
            )
            out = list(out)
            if len(out) == len(words):
                raise Wrong("単語の数が増えていません。置き換え（out[i] = …）ではなく、insert で挿入します。")
            expect(
                len(out) == len(words) + n,
                f"{n} 回挿入したら {n} 語増えるはずです（{len(words)} 語 → {len(out)} 語）。",
            )
            # 元の単語を順に取り除いた残りが挿入した単語
            found = _inserted(words, out)
            expect(
                found is not None, "元の単語が消えたか、順番が変わっています。挿入は元の単語を動かしません。"
            )
            rest = found[0]
            if any(w in syn for w in rest) and not all(w in all_syn for w in rest):
                raise Wrong(
                    "類義語ではなく、選んだ単語そのものを挿入していませんか。synonyms[word] の候補から選びます。"
                )
            expect(all(w in all_syn for w in rest), f"挿入した単語 {rest} が辞書の類義語ではありません。")
            # 挿入してよいのは、文中にある単語（先に挿入した単語も含む）の類義語だけ
            allowed = {s for w in words + rest if w in syn for s in syn[w]}
            stray = [w for w in rest if w not in allowed]
            expect(
                not stray,
                f"文 {words} に、文中のどの単語の類義語でもない {stray} を挿入しています。"
                "辞書全体からではなく、文中にある（synonyms に載っている）単語から 1 つ選び、その類義語を挿入します。",
            )
        none = ["が", "を"]
        out = call(my_random_insertion, none, syn, 3, np.random.default_rng(0), name="my_random_insertion")
        answered(out, "my_random_insertion の戻り値")
        expect(list(out) == none, "類義語のある単語が 1 つもない文は、そのまま返してください。")
        expect(out is not none, "候補がないときも、元のリストそのものではなくコピーを返してください。")
        zero = call(
            my_random_insertion, ["犬", "が"], syn, 0, np.random.default_rng(0), name="my_random_insertion"
        )
        expect(list(zero or []) == ["犬", "が"], "n = 0 なら何も挿入しません。")
        # 類義語のある単語が 1 つだけの文: 乱数を変えると、類義語も位置も変わるはず
        one_key = ["大きい", "犬", "が", "鳴く"]
        inserted, positions = _insertion_spread(my_random_insertion, one_key, syn)
        expect(
            inserted <= set(syn["犬"]),
            f"{one_key} で類義語があるのは「犬」だけなのに、{sorted(inserted - set(syn['犬']))} を挿入しています。",
        )
        expect(
            inserted == set(syn["犬"]),
            f"{one_key} に 200 通りの乱数で挿入しても、類義語がいつも {sorted(inserted)} です。"
            f"「犬」の類義語 {syn['犬']} のどれもが選ばれるように、候補から乱数で選びます。",
        )
        # 挿入する位置: 文頭から文末まで（len(out) + 1 通り）のどこでもありうる
        end = len(one_key)
        expect(
            end in positions,
            "文末に挿入されることがありません。位置は rng.integers(len(out) + 1) のように、文末も含めて選びます。",
        )
        expect(0 in positions, "文頭に挿入されることがありません。位置は 0〜len(out) から一様に選びます。")
        missing = sorted(set(range(1, end)) - positions)
        expect(
            not missing,
            f"文の途中（位置 {missing}）に挿入されることがありません。位置は 0〜len(out) から一様に選びます。",
        )
        # 類義語のある単語が 2 つの文: どちらの単語も選ばれるはず
        two_keys = ["猫", "が", "走る"]
        inserted, _ = _insertion_spread(my_random_insertion, two_keys, syn)
        for w in ("猫", "走る"):
            expect(
                inserted & set(syn[w]),
                f"{two_keys} に 200 通りの乱数で挿入しても、「{w}」の類義語が一度も選ばれません。"
                "類義語のある単語（候補）のうち、どれを使うかも乱数で選びます（いつも最初の候補、ではなく）。",
            )

    grade("my_random_insertion", test)
