/* 理解度チェック（_ext/nnreg_quiz.py の quiz ディレクティブ）を、カーネルなしの静的な HTML で動かします。
   本書のために書いた小さなスクリプトで、外部のライブラリは使いません。
   選択肢のボタンを押すと、その選択肢の解説を表示し、正解・不正解の印（色と ○ × の文字）を付けて、
   結果を aria-live の欄で読み上げます。押した選択肢の解説は表示したままにするので、見比べられます。
   このスクリプトが動かないとき（と印刷）は、CSS がすべての解説を表示します。 */
(function () {
  "use strict";

  function setup(quiz) {
    var feedback = quiz.querySelector(".nnreg-quiz-feedback");
    quiz.classList.add("nnreg-quiz-ready"); // これが付いてから解説を隠す（nnreg-quiz.css）
    quiz.querySelectorAll(".nnreg-quiz-choice").forEach(function (choice) {
      var button = choice.querySelector(".nnreg-quiz-button");
      var mark = choice.querySelector(".nnreg-quiz-mark").textContent;
      button.addEventListener("click", function () {
        var right = choice.getAttribute("data-correct") === "true";
        quiz.querySelectorAll(".nnreg-quiz-choice.is-selected").forEach(function (other) {
          other.classList.remove("is-selected");
        });
        choice.classList.add("is-selected", "is-answered", right ? "is-right" : "is-wrong");
        button.setAttribute("aria-expanded", "true");
        if (right) {
          quiz.classList.add("is-solved");
        }
        if (feedback) {
          feedback.textContent =
            mark + " は" + (right ? "正解です。" : "不正解です。") + "選択肢の下に解説を表示しました。";
        }
      });
    });
  }

  function init() {
    document.querySelectorAll(".nnreg-quiz").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
