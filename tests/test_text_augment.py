"""nnreg.text（形態素解析を使った日本語の文の拡張）のテスト。"""

import numpy as np
import pytest

from nnreg.text import (
    CONTENT_POS,
    Token,
    detokenize,
    normalize,
    replace_content_words,
    replace_variants,
    tokenize,
    variant_groups,
)

SENTENCE = "猫が庭で静かに眠っていた。"
SYNONYMS = {"猫": ["子猫", "野良猫"], "庭": ["中庭"], "静か": ["穏やか"], "眠る": ["寝る"], "が": ["は"]}


def test_tokenize_gives_surface_pos_base_and_norm():
    toks = tokenize(SENTENCE)
    assert detokenize(toks) == SENTENCE
    by_surface = {t.surface: t for t in toks}
    assert by_surface["眠っ"].base == "眠る" and by_surface["眠っ"].pos[0] == "動詞"
    assert by_surface["眠っ"].inflects and not by_surface["猫"].inflects
    assert by_surface["が"].pos[0] == "助詞"
    assert all(isinstance(t, Token) and len(t.pos) == 6 for t in toks)


def test_split_mode_changes_the_unit():
    assert [t.surface for t in tokenize("取り扱い説明書", mode="A")] == ["取り扱い", "説明", "書"]
    assert [t.surface for t in tokenize("取り扱い説明書", mode="C")] == ["取り扱い説明書"]
    with pytest.raises(ValueError, match="mode"):
        tokenize("猫", mode="D")
    with pytest.raises(ValueError, match="文字列"):
        tokenize(["猫"])


def test_replace_content_words_changes_only_uninflected_content_words():
    toks = tokenize(SENTENCE)
    changed_any = False
    for seed in range(20):
        out = replace_content_words(toks, SYNONYMS, n=3, rng=np.random.default_rng(seed))
        assert len(out) == len(toks)
        for t, s in zip(toks, out, strict=True):
            if s != t.surface:
                changed_any = True
                assert t.pos[0] in CONTENT_POS and not t.inflects
                assert s in SYNONYMS[t.base]
        # 助詞「が」は辞書に載っていても、活用する「眠っ」も変えない
        assert out[1] == "が" and "眠っ" in out and "寝る" not in out
    assert changed_any


def test_replace_content_words_is_deterministic_and_counts():
    toks = tokenize(SENTENCE)
    a = replace_content_words(toks, SYNONYMS, n=2, rng=np.random.default_rng(5))
    b = replace_content_words(toks, SYNONYMS, n=2, rng=np.random.default_rng(5))
    assert a == b
    diff = sum(x != t.surface for x, t in zip(a, toks, strict=True))
    assert diff == 2  # 候補（猫・庭・静か）はどれも元と違う語なので、ちょうど 2 語変わる
    assert replace_content_words(toks, SYNONYMS, n=0, rng=np.random.default_rng(0)) == [
        t.surface for t in toks
    ]
    many = replace_content_words(toks, SYNONYMS, n=10, rng=np.random.default_rng(0))
    assert sum(x != t.surface for x, t in zip(many, toks, strict=True)) == 3  # 置き換えられるのは 3 語だけ
    # pos を絞ると名詞だけ
    only_nouns = replace_content_words(toks, SYNONYMS, n=3, rng=np.random.default_rng(0), pos=("名詞",))
    assert only_nouns[4] == "静か"


def test_replace_content_words_validates_arguments():
    toks = tokenize(SENTENCE)
    with pytest.raises(ValueError, match="Token"):
        replace_content_words(["猫", "が"], SYNONYMS, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="Generator"):
        replace_content_words(toks, SYNONYMS, rng=0)
    with pytest.raises(ValueError, match="候補"):
        replace_content_words(toks, {"猫": "子猫"}, rng=np.random.default_rng(0))


def test_variant_groups_uses_normalized_forms():
    groups = variant_groups(
        ["出来る", "できる", "取り扱い", "取扱い", "子ども", "子供", "猫", "取り扱い説明書"]
    )
    assert groups["出来る"] == ["出来る", "できる"]
    assert groups["取り扱い"] == ["取り扱い", "取扱い"]
    assert groups["子供"] == ["子ども", "子供"]
    assert "猫" not in groups  # 書き方が 1 つだけのまとまりは返さない
    assert all(len(v) >= 2 for v in groups.values())
    with pytest.raises(ValueError, match="空でない"):
        variant_groups(["できる", ""])


def test_normalize_maps_known_variants_and_keeps_conjugated_forms():
    assert normalize(tokenize("取扱いに注意すれば、子どもでも操作できる。")) == normalize(
        tokenize("取り扱いに注意すれば、子供でも操作出来る。")
    )
    out = normalize(tokenize("操作できます。"))
    assert "でき" in out  # 活用した形（連用形）は辞書形にしない


def test_replace_variants_keeps_the_normalized_sentence():
    groups = variant_groups(["出来る", "できる", "取り扱い", "取扱い", "取扱", "子ども", "子供", "こども"])
    toks = tokenize("取扱いに注意すれば、子どもでも簡単に操作できる。")
    seen = set()
    for seed in range(10):
        out = replace_variants(toks, groups, n=2, rng=np.random.default_rng(seed))
        assert out == replace_variants(toks, groups, n=2, rng=np.random.default_rng(seed))
        assert sum(x != t.surface for x, t in zip(out, toks, strict=True)) == 2
        text = "".join(out)
        seen.add(text)
        # 書き方が変わっても、解析器の正規化表記では元の文と同じ
        assert normalize(tokenize(text)) == normalize(toks)
    assert len(seen) > 1
