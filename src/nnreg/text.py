"""日本語の文の形態素解析とデータ拡張（第5章 日本語の文のデータ拡張）。

形態素解析には SudachiPy と辞書 sudachidict-core（PyPI の wheel に辞書が入っていて、ダウンロードは
不要）を使います。解析器は最初に ``tokenize`` を呼んだときに 1 度だけ作ります。

- ``tokenize(text)``: 文を ``Token``（表層形・品詞・辞書形・正規化表記・活用）のリストに分ける。
- ``detokenize(tokens)``: ``Token`` か文字列のリストを、間に何も挟まずにつなぐ。
- ``replace_content_words(tokens, synonyms, n, rng=...)``: 活用しない内容語（名詞・形状詞・副詞など）だけを、
  辞書形をキーにした言い換えの候補に置き換える。助詞・助動詞・記号と、活用する語（動詞・形容詞）は変えない。
- ``variant_groups(words)``: 書き方の候補を解析器の正規化表記でまとめ、同じ語の書き方の表（表記ゆれ）を作る。
- ``normalize(tokens)``: 表層形が辞書形と同じ語を正規化表記に書き換える（表記ゆれをそろえる前処理）。
- ``replace_variants(tokens, groups, n, rng=...)``: 語を同じ語の別の書き方に置き換える（表記ゆれの拡張）。

乱数はすべて引数の ``rng``（``np.random.Generator``）から引くので、同じ ``rng`` と同じ辞書の版なら結果は同じです。
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._validation import check_int
from .augment import check_candidate_table

# 活用しない内容語の品詞（SudachiDict の品詞体系の大分類）
CONTENT_POS: tuple[str, ...] = ("名詞", "形状詞", "副詞")


@dataclass(frozen=True)
class Token:
    """形態素 1 つ。``pos`` は品詞の 6 項目（大分類, 中分類, 小分類, 細分類, 活用型, 活用形）。"""

    surface: str  # 表層形（文に現れた文字列）
    pos: tuple[str, ...]
    base: str  # 辞書形（活用する語は終止形。「読ん」→「読む」）
    norm: str  # 正規化表記（表記ゆれをそろえた形。「できる」→「出来る」）

    @property
    def inflects(self) -> bool:
        """活用する語（動詞・形容詞・助動詞など。活用型が ``*`` 以外）なら True。"""
        return self.pos[4] != "*"


@functools.cache
def _tokenizer(mode: str):
    try:
        from sudachipy import Dictionary, SplitMode
    except ImportError as err:  # pragma: no cover - 依存に入っているので通常は起きない
        raise ImportError(
            "形態素解析には sudachipy と sudachidict-core が必要です: pip install sudachipy sudachidict-core"
        ) from err
    return Dictionary(dict="core").tokenizer(getattr(SplitMode, mode))


def tokenize(text: str, *, mode: str = "A") -> list[Token]:
    """文を形態素に分けます。``mode`` は Sudachi の分割単位（"A" = 短い単位, "B" = 中間, "C" = 長い単位）。

    既定の "A" では「取り扱い説明書」は「取り扱い／説明／書」に分かれます（"C" では 1 語）。
    """
    if not isinstance(text, str):
        raise ValueError(f"text は文字列を期待しています（受け取った型: {type(text).__name__}）")
    if mode not in ("A", "B", "C"):
        raise ValueError(f'mode は "A", "B", "C" のどれかを期待しています（受け取った値: {mode!r}）')
    return [
        Token(m.surface(), tuple(m.part_of_speech()), m.dictionary_form(), m.normalized_form())
        for m in _tokenizer(mode).tokenize(text)
    ]


def _check_tokens(tokens) -> list[Token]:
    if isinstance(tokens, str) or not isinstance(tokens, Sequence):
        raise ValueError(
            f"tokens は tokenize の結果（Token のリスト）を期待しています（受け取った型: {type(tokens).__name__}）"
        )
    bad = [t for t in tokens if not isinstance(t, Token)]
    if bad:
        raise ValueError(
            f"tokens の要素は Token を期待しています（受け取った要素: {bad[0]!r}）。先に tokenize で分けてください"
        )
    return list(tokens)


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng には np.random.Generator を渡してください（受け取った型: {type(rng).__name__}）"
        )


_check_candidates = check_candidate_table  # 類義語・表記ゆれの表の形を確かめる（nnreg.augment と共通）


def detokenize(tokens: Sequence[Token | str]) -> str:
    """``Token``（表層形を使う）か文字列のリストを、間に何も挟まずにつなぎます。"""
    return "".join(t.surface if isinstance(t, Token) else str(t) for t in tokens)


def replace_content_words(
    tokens: Sequence[Token],
    synonyms: Mapping[str, Sequence[str]],
    n: int = 1,
    *,
    rng: np.random.Generator,
    pos: Sequence[str] = CONTENT_POS,
) -> list[str]:
    """活用しない内容語のうち ``synonyms`` に辞書形が載っているものから ``n`` 個を選び、候補の一つに置き換えます。

    置き換えの対象は、品詞の大分類が ``pos``（既定は名詞・形状詞・副詞）で、活用しない語だけです。
    助詞・助動詞・記号はもちろん、動詞・形容詞のように活用する語も、辞書に載っていても変えません
    （「眠っ（ていた）」を辞書形の言い換え「寝る」にすると「寝るていた」になるため）。
    返り値は表層形のリスト（``"".join`` で文に戻る）。置き換えられる語が ``n`` 個より少なければ、ある分だけ置き換えます。
    """
    tokens = _check_tokens(tokens)
    n = check_int(n, "n", minimum=0)
    _check_rng(rng)
    _check_candidates(synonyms, "synonyms")
    out = [t.surface for t in tokens]
    where = [i for i, t in enumerate(tokens) if t.pos[0] in pos and not t.inflects and t.base in synonyms]
    for i in rng.permutation(np.asarray(where, dtype=np.int64))[:n]:
        cands = synonyms[tokens[i].base]
        out[i] = cands[int(rng.integers(len(cands)))]
    return out


def variant_groups(words: Sequence[str]) -> dict[str, list[str]]:
    """書き方の候補 ``words`` を解析器の正規化表記でまとめ、正規化表記 → 書き方のリストの辞書を返します。

    各候補は 1 語として解析されるものに限ります（2 語以上に分かれた候補は捨てます）。同じ語だと解析器が
    判定した書き方が 2 つ以上あるまとまりだけを、候補の順に重複なく返します。
    たとえば ["できる", "出来る", "子ども", "子供"] → {"出来る": ["できる", "出来る"], "子供": ["子ども", "子供"]}。
    """
    if isinstance(words, str) or not isinstance(words, Sequence):
        raise ValueError(f"words は文字列のリストを期待しています（受け取った型: {type(words).__name__}）")
    groups: dict[str, list[str]] = {}
    for w in words:
        if not isinstance(w, str) or w == "":
            raise ValueError(f"words の要素は空でない文字列を期待しています（受け取った要素: {w!r}）")
        toks = tokenize(w)
        if len(toks) != 1 or toks[0].surface != toks[0].base:
            continue
        group = groups.setdefault(toks[0].norm, [])
        if w not in group:
            group.append(w)
    return {k: v for k, v in groups.items() if len(v) >= 2}


def normalize(tokens: Sequence[Token]) -> list[str]:
    """表層形が辞書形と同じ語（活用しない語と、終止形・連体形の動詞など）を正規化表記に書き換えます。

    活用して形の変わった語（「でき（ます）」など）は、正規化表記が辞書形なので書き換えずに残します。
    返り値は表層形のリストです。
    """
    tokens = _check_tokens(tokens)
    return [t.norm if t.surface == t.base else t.surface for t in tokens]


def replace_variants(
    tokens: Sequence[Token], groups: Mapping[str, Sequence[str]], n: int = 1, *, rng: np.random.Generator
) -> list[str]:
    """正規化表記が ``groups`` に載っている語から ``n`` 個を選び、同じ語の別の書き方に置き換えます（表記ゆれの拡張）。

    ``groups`` は ``variant_groups`` の返り値（正規化表記 → 書き方のリスト）。対象は表層形が辞書形と同じ語だけで、
    候補からいまの書き方を除いた中から一様に選びます（別の書き方がなければ変えません）。返り値は表層形のリストです。
    """
    tokens = _check_tokens(tokens)
    n = check_int(n, "n", minimum=0)
    _check_rng(rng)
    _check_candidates(groups, "groups")
    out = [t.surface for t in tokens]
    where = [
        i
        for i, t in enumerate(tokens)
        if t.surface == t.base and t.norm in groups and any(v != t.surface for v in groups[t.norm])
    ]
    for i in rng.permutation(np.asarray(where, dtype=np.int64))[:n]:
        cands = [v for v in groups[tokens[i].norm] if v != tokens[i].surface]
        out[i] = cands[int(rng.integers(len(cands)))]
    return out
