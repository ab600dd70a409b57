"""nbgrader の設定（『ニューラルネットワークの正則化と学習の安定化』の演習の採点キット）。

``make assignments``（tools/make_student.py）が、このファイルを採点用のコースのディレクトリ
（``_build/nbgrader/``）に ``nbgrader_config.py`` として写し、そこで nbgrader を実行します。
手で採点するときも、そのディレクトリで実行してください::

    source .venv/bin/activate        # nbgrader は alembic のコマンドを PATH から探します
    cd _build/nbgrader               # 提出物は submitted/<学生>/chNN/ に置きます
    nbgrader autograde ch01 --create --force

ソースのノートブック（``source/chNN/``）の作り方と、演習のセルの書き方は CONTRIBUTING.md を見てください。
"""

import os

# 総合演習（第9章）の「基準に届いたか」の確認を、採点では厳しく判定します（本のページでは判定の表示だけ）。
# nbgrader が起動するカーネルは、この環境変数を引き継ぎます。
os.environ["NNREG_GRADING"] = "1"

c = get_config()  # noqa: F821 （nbgrader が設定ファイルを読むときに与える関数）

c.CourseDirectory.course_id = "nnreg-book"

# 解答の範囲（### BEGIN SOLUTION 〜 ### END SOLUTION）。nbgrader の既定と同じです。
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
# 範囲を置き換える行。関数の中では BEGIN SOLUTION の行の字下げがそのまま付くので、
# 関数の本体が空にならず、学生用のノートブックもそのまま実行できます（答えは None になり、確認セルが 0 点にします）。
c.ClearSolutions.code_stub = {"python": "pass  # ここにコードを書いてください"}
c.ClearSolutions.text_stub = "ここに解答を書いてください"
# 解答の範囲は、必ず solution のセルに（範囲だけあってメタデータの無いセルは誤りとして止めます）
c.ClearSolutions.enforce_metadata = True

# 隠しテストの範囲（使っていませんが、書くならこの区切りで）
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# 自動採点: 演習ページには小さなモデルの学習を含むセルがあるので、1 セルの時間の上限を長めに。
# nbgrader はエラーが出ても最後のセルまで実行します（確認セルの ExerciseFailed は 0 点になるだけ）。
c.Execute.timeout = 600
# 日本語の出力（確認セルの判定など）を長すぎない範囲で残す
c.LimitOutput.max_lines = 1000
c.LimitOutput.max_traceback = 100

# 学生用（release）の先頭に、使い方の説明（日本語）を 1 セル付けます。
# パスはコースのディレクトリから。make assignments が grading/header.ipynb をそこに写します。
c.IncludeHeaderFooter.header = "header.ipynb"
