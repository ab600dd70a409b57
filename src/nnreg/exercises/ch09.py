"""第9章 総合演習の確認（``book/ch09-capstone.ipynb`` の確認セルから呼びます）。

確認は、学生の ``train(config, seed)`` と、``nnreg.capstone.load_task()`` の ``task`` に残った記録
（比べた設定とシード、選んだ設定、テストを評価した回数と順番）を読みます。

- :func:`check_pipeline`: 同じシードなら同じモデルになる（決定的）か。
- :func:`check_seeds`: 比べたどの設定も 5 つ以上のシードで測ったか。
- :func:`check_choice`: 検証の平均が最良の設定（または、その 1 標準誤差以内の設定）を、テストを見る前に選んだか。
- :func:`check_test_once`: テストを 1 回だけ、選んだ後に評価したか。
- :func:`check_reach`: テストの正解率が基準（講師の解答の設定を 5 シードで学習したテスト正解率の平均 − 2 標準偏差）に
  届いたか。
"""

from __future__ import annotations

import os

import numpy as np

from .. import capstone
from . import Unanswered, call, expect, grade

__all__ = ["check_choice", "check_pipeline", "check_reach", "check_seeds", "check_test_once"]


def _task(task) -> capstone.Task:
    if not isinstance(task, capstone.Task):
        raise Unanswered(
            "task には nnreg.capstone.load_task() で作った課題を渡してください"
            f"（受け取った型: {type(task).__name__}）"
        )
    return task


def _config_to_check(task: capstone.Task):
    if task.choice is not None:
        return task.choice, task.comparisons[task.choice].config
    if task.comparisons:
        name = next(iter(task.comparisons))
        return name, task.comparisons[name].config
    raise Unanswered("まだ何も比べていません。task.compare(train, configs) を実行してください。")


def check_pipeline(train, task) -> None:
    """``train(config, seed)`` が動き、同じシードで 2 回学習すると同じ予測になることを確かめます。"""

    def test():
        t = _task(task)
        name, config = _config_to_check(t)
        where = f"train({name} の設定, seed)"
        preds = []
        for seed in (0, 0):
            model = call(train, config, seed, name=where)
            expect(
                hasattr(model, "predict"),
                f"train は predict を持つモデルを返してください（受け取った型: {type(model).__name__}）。",
            )
            out = np.asarray(call(model.predict, t.X_val, name="model.predict"))
            expect(
                out.shape == (len(t.y_val), t.n_classes),
                f"model.predict(task.X_val) の形は ({len(t.y_val)}, {t.n_classes}) のはずです"
                f"（あなたのモデル: {out.shape}）。",
            )
            preds.append(out)
        expect(
            np.array_equal(preds[0], preds[1]),
            "同じシードで 2 回学習したのに、予測が変わりました。モデルの初期値・fit の rng・データ拡張・"
            "ドロップアウトの乱数を、すべて np.random.default_rng(seed) で作った rng から引いていますか"
            "（シードなしの default_rng() や、関数の外で作った rng を使い回していませんか）。",
        )

    grade("パイプライン（決定的か）", test)


def check_seeds(task) -> None:
    """比べたどの設定も、異なる ``MIN_SEEDS`` 個以上のシードで測ったことを確かめます。"""

    def test():
        t = _task(task)
        expect(
            t.comparisons, "まだ何も比べていません。task.compare(train, configs, seeds) を実行してください。"
        )
        few = {
            n: len(set(r.seeds)) for n, r in t.comparisons.items() if len(set(r.seeds)) < capstone.MIN_SEEDS
        }
        listed = "、".join(f"{n}（{k} シード）" for n, k in few.items())
        expect(
            not few,
            f"シードが {capstone.MIN_SEEDS} つ未満の設定があります: {listed}。1 つのシードの結果は初期値や"
            "ミニバッチの順番でたまたま良く（悪く）なります。seeds=range(5) のように 5 つ以上で測り、"
            "平均 ± 標準偏差で比べてください（第5章・第8章）。",
        )

    grade(f"{capstone.MIN_SEEDS} つ以上のシード", test)


def _first(events, kind):
    return next((i for i, (k, _) in enumerate(events) if k == kind), None)


def check_choice(task) -> None:
    """検証の平均が最良（または 1 標準誤差以内）の設定を、テストを評価する前に選んだことを確かめます。"""

    def test():
        t = _task(task)
        if t.choice is None:
            raise Unanswered("まだ設定を選んでいません。task.choose(名前) で選んでください。")
        i_choose = max(i for i, (k, _) in enumerate(t.events) if k == "choose")
        i_test = _first(t.events, "test")
        expect(
            i_test is None or i_test > i_choose,
            "テストデータを評価した後で、設定を選んでいます（選び直しています）。テストの成績を見て選ぶと、"
            "その成績は楽観的になり、本番の性能の見積もりになりません。選ぶのは検証データの成績だけで行い、"
            "テストは選んだ後に 1 回だけ使ってください（第7章）。",
        )
        best = t.comparisons[t.best()]
        chosen = t.comparisons[t.choice]
        floor = best.mean - best.se
        expect(
            chosen.mean >= floor - 1e-12,
            f"検証の正解率の平均が最も高いのは {best.name}（{best.mean:.3f}、標準誤差 {best.se:.3f}）です。"
            f"選んだ {chosen.name}（{chosen.mean:.3f}）は、その 1 標準誤差（{floor:.3f}）より下です。"
            "検証の平均が最良の設定か、その 1 標準誤差以内でより単純な設定を選んでください"
            "（テストの成績や 1 つのシードの結果で選んでいませんか）。",
        )

    grade("検証データでの選択", test)


def check_test_once(task) -> None:
    """テストデータを、設定を選んだ後にちょうど 1 回だけ評価したことを確かめます。"""

    def test():
        t = _task(task)
        if t.test_attempts == 0:
            raise Unanswered(
                "まだテストデータを評価していません。選んだモデルで task.evaluate_test(model) を 1 回呼んでください。"
            )
        expect(
            t.test_attempts == 1,
            f"テストデータを {t.test_attempts} 回評価しようとしました。テストは最後に 1 回だけです。"
            "何度も測って良いものを報告すると、テストの成績が楽観的になります。",
        )
        i_choose = _first(t.events, "choose")
        i_test = _first(t.events, "test")
        expect(
            i_choose is not None and i_choose < i_test,
            "テストデータを、設定を選ぶ前に評価しています。先に task.choose で選び、"
            "そのあと選んだ設定のモデルでテストを 1 回だけ評価してください。",
        )

    grade("テストは 1 回だけ", test)


def check_reach(task, *, strict: bool = True) -> None:
    """テストの正解率が基準（``nnreg.capstone.reference().threshold``。講師の解答の平均 − 幅）に届いたかを確かめます。

    ``strict=False`` なら、届いていなくても例外は出さず、判定を表示するだけです
    （本のページはベースラインのままで実行するため）。環境変数 ``NNREG_GRADING=1`` のもと（採点）では、
    ``strict=False`` と書かれていても厳密に判定します。
    """
    strict = strict or os.environ.get("NNREG_GRADING") == "1"
    if not isinstance(task, capstone.Task):
        grade("基準への到達", lambda: _task(task))
    t = task
    ref = capstone.reference()
    # 基準の内訳: 講師の解答のテスト正解率（平均 ± 標準偏差）から、幅（標準偏差の 2 倍。下限つき）を引きます
    if ref.margin > capstone.MARGIN_SDS * ref.test_sd:
        width = f"最小の幅 {ref.margin:.3f}"
    else:
        width = f"{capstone.MARGIN_SDS:g}×標準偏差 {ref.margin:.3f}"
    basis = (
        f"基準 = 講師の解答のテスト {ref.test_mean:.3f} ± {ref.test_sd:.3f}"
        f"（{len(ref.seeds)} シード）− {width}"
    )
    threshold = f"基準 {ref.threshold:.3f}"
    if strict:

        def test():
            if t.test_accuracy is None:
                raise Unanswered("まだテストデータを評価していません。")
            expect(
                t.test_accuracy >= ref.threshold,
                f"まだ基準に届いていません（テスト {t.test_accuracy:.3f} < {threshold}。{basis}）。"
                "学習曲線とデータを見直し、どの問題（データの少なさ・ラベルの誤り・位置のずれ）に"
                "どの方法が効くかを考えて、検証データで比べ直してください。",
            )

        grade("基準への到達", test)
        return
    if t.test_accuracy is None:
        print("… 基準への到達: まだテストデータを評価していません")
        return
    if t.test_accuracy >= ref.threshold:
        print(f"✔ 基準への到達: 届きました（テスト {t.test_accuracy:.3f} ≥ {threshold}）\n  {basis}")
        return
    print(
        f"… 基準への到達: まだ基準に届いていません（テスト {t.test_accuracy:.3f} < {threshold}）\n  {basis}"
    )
