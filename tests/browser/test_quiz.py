"""理解度チェック（_ext/nnreg_quiz.py と _static/nnreg-quiz.js）を実ブラウザで確かめるテスト（make browser）。

第2章の問 1 で、誤りの選択肢を押すとその解説が表示されて不正解の印が付き、正解を押すと正解の印と解説が出ること、
選択肢の数式が MathJax で組版されていること、スマートフォンの幅でも押せること、印刷では解説がすべて見えることを確かめます。
"""

from __future__ import annotations

from conftest import wait_for_math

PAGE = "book/ch02-weight-decay"
QUIZ = "#quiz-ch02-1"


def _open(page, base_url):
    page.goto(f"{base_url}/{PAGE}.html", wait_until="load")
    wait_for_math(page)
    quiz = page.locator(QUIZ)
    quiz.scroll_into_view_if_needed()
    return quiz


def test_quiz_marks_wrong_then_right_answer_with_explanations(page, base_url):
    quiz = _open(page, base_url)
    choices = quiz.locator(".nnreg-quiz-choice")
    assert choices.count() == 3
    # 数式の選択肢は MathJax で組版されている（生の \( \) ではなく mjx-container）
    assert choices.nth(0).locator(".nnreg-quiz-button mjx-container").count() == 1
    assert quiz.locator(".nnreg-quiz-question mjx-container").count() >= 2
    # 押すまで解説は見えない
    explanations = quiz.locator(".nnreg-quiz-explanation")
    assert [explanations.nth(i).is_visible() for i in range(3)] == [False, False, False]

    wrong, right = choices.nth(0), choices.nth(1)
    wrong.locator(".nnreg-quiz-button").click()
    wrong.locator(".nnreg-quiz-explanation").wait_for(state="visible", timeout=5_000)
    assert "is-wrong" in wrong.get_attribute("class")
    assert "× 不正解" in wrong.locator(".nnreg-quiz-explanation").inner_text()
    assert "慣習" in wrong.locator(".nnreg-quiz-explanation").inner_text()
    assert wrong.locator(".nnreg-quiz-button").get_attribute("aria-expanded") == "true"
    assert not right.locator(".nnreg-quiz-explanation").is_visible()
    feedback = quiz.locator(".nnreg-quiz-feedback")
    assert feedback.get_attribute("aria-live") == "polite"
    assert "A は不正解です" in feedback.inner_text()
    # 解説の中の数式も組版されている
    assert wrong.locator(".nnreg-quiz-explanation mjx-container").count() >= 1

    right.locator(".nnreg-quiz-button").click()
    right.locator(".nnreg-quiz-explanation").wait_for(state="visible", timeout=5_000)
    assert "is-right" in right.get_attribute("class")
    assert "○ 正解" in right.locator(".nnreg-quiz-explanation").inner_text()
    assert "B は正解です" in feedback.inner_text()
    assert "is-solved" in quiz.get_attribute("class")
    # 3 つ目（押していない誤り）の解説は隠れたまま
    assert not choices.nth(2).locator(".nnreg-quiz-explanation").is_visible()
    assert page.log.problems() == [], page.log.problems()


def test_quiz_works_on_a_phone_and_prints_everything(browser, base_url):
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    try:
        page = context.new_page()
        page.goto(f"{base_url}/{PAGE}.html", wait_until="load")
        wait_for_math(page)
        quiz = page.locator(QUIZ)
        button = quiz.locator(".nnreg-quiz-button").nth(1)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box["height"] >= 40 and box["x"] + box["width"] <= 390, box  # 押しやすく、はみ出さない
        button.tap()
        quiz.locator(".nnreg-quiz-choice").nth(1).locator(".nnreg-quiz-explanation").wait_for(state="visible")

        # 印刷（PDF 版）: すべての解説が見え、正解の選択肢には「（正解）」の印
        page.emulate_media(media="print")
        explanations = quiz.locator(".nnreg-quiz-explanation")
        assert all(explanations.nth(i).is_visible() for i in range(explanations.count()))
        after = quiz.locator('.nnreg-quiz-choice[data-correct="true"] .nnreg-quiz-button').evaluate(
            "b => getComputedStyle(b, '::after').content"
        )
        assert "正解" in after
    finally:
        context.close()
