"""tools/ のスクリプト（学生用ノートブック作成、ビルド検査）と、本の設定ファイルのテスト。"""

import importlib.util
import itertools
import json
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_make_student_strips_solutions_and_outputs():
    mod = _load("make_student")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("```{exercise} 問題\n:label: ex\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex\n:class: dropdown\n```\n解説です。"),
        nbformat.v4.new_code_cell("x = 1\n### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\nprint(x)"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
        nbformat.v4.new_code_cell("check(answer)"),
    ]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells[2].execution_count = 3
    nb.cells[4].metadata["tags"] = ["exercise-check", "points-2"]
    out = mod.strip_solutions(nb)
    sources = [c.source for c in out.cells]
    assert not any("answer = 42" in s or "解説" in s for s in sources)
    # nbgrader の ClearSolutions が解答の範囲を置き換える（grading/nbgrader_config.py の code_stub）
    assert sources[1] == "x = 1\npass  # ここにコードを書いてください\nprint(x)"
    assert all(c.outputs == [] and c.execution_count is None for c in out.cells if c.cell_type == "code")
    assert len(out.cells) == 3
    meta = [c.metadata["nbgrader"] for c in out.cells]
    assert [(m["solution"], m["grade"], m["locked"]) for m in meta] == [
        (False, False, True),
        (True, False, False),
        (False, True, True),
    ]
    assert meta[1]["grade_id"] == "ex-answer" and meta[2]["grade_id"] == "ex-check" and meta[2]["points"] == 2


def test_every_book_notebook_has_balanced_solution_markers():
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            src = "".join(cell["source"])
            assert src.count("### BEGIN SOLUTION") == src.count("### END SOLUTION"), path.name


def test_toc_lists_every_notebook_and_page():
    toc = _load("check_build").toc_files(ROOT)
    for page in toc:
        assert (ROOT / f"{page}.ipynb").exists() or (ROOT / f"{page}.md").exists(), page
    listed = set(toc)
    for path in (ROOT / "book").glob("*.ipynb"):
        assert f"book/{path.stem}" in listed, f"{path.name} が _toc.yml にありません"


def test_config_has_japanese_and_strict_execution():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert cfg["language"] == "ja"
    assert cfg["sphinx"]["config"]["language"] == "ja"
    assert cfg["execute"]["stderr_output"] == "warn"
    # ビルドはコミットされた出力を使う。その出力が本物であることは make test の nbval が確かめる
    assert cfg["execute"]["execute_notebooks"] == "off"
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_line = next(line for line in make.splitlines() if line.startswith("test:"))
    assert " nbval " in test_line and " portability-rest " in test_line
    assert "sphinx_exercise" in cfg["sphinx"]["extra_extensions"]


@pytest.mark.parametrize(
    "workflow", sorted((ROOT / ".github" / "workflows").glob("*.yml")), ids=lambda p: p.name
)
def test_workflows_are_valid_yaml(workflow):
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    assert data.get("jobs")
    text = workflow.read_text(encoding="utf-8")
    assert "make test" in text or "make book" in text


def test_notebooks_carry_no_execution_timestamps():
    """実行時刻のメタデータは差分とマージ衝突の元なので、make execute が取り除きます。"""
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        stamped = [c.get("id") for c in nb["cells"] if "execution" in c.get("metadata", {})]
        assert not stamped, (
            f"{path.name}: 実行時刻が残っています（make execute NB={path.relative_to(ROOT)}）: {stamped[:3]}"
        )


def test_strip_volatile_metadata():
    mod = _load("execute_notebooks")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1")]
    nb.cells[0].metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
    nb.cells[0].metadata["mystnb"] = {"figure": {"caption": "x"}}
    out = mod.strip_volatile_metadata(nb)
    assert "execution" not in out.cells[0].metadata
    assert out.cells[0].metadata["mystnb"] == {"figure": {"caption": "x"}}


def test_coalesce_streams_merges_only_adjacent_same_name():
    mod = _load("execute_notebooks")
    outs = [
        nbformat.v4.new_output("stream", name="stdout", text="a\n"),
        nbformat.v4.new_output("stream", name="stdout", text="b\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "fig"}),
        nbformat.v4.new_output("stream", name="stdout", text="c\n"),
        nbformat.v4.new_output("stream", name="stderr", text="w\n"),
    ]
    merged = mod.coalesce_streams(outs)
    assert [o.get("text") for o in merged] == ["a\nb\n", None, "c\n", "w\n"]


def test_committed_notebooks_have_coalesced_streams():
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            outs = cell.get("outputs", [])
            for a, b in itertools.pairwise(outs):
                same = a["output_type"] == b["output_type"] == "stream" and a["name"] == b["name"]
                assert not same, f"{path.name}: 分かれた stream 出力があります（make execute で直ります）"


portability = _load("portability")


def test_portability_reads_cpu_flags_and_picks_kernels():
    cpuinfo = "processor\t: 0\nflags\t\t: fpu sse3 avx avx2 fma\nbugs\t\t: none\n"
    flags = portability.cpu_flags(cpuinfo)
    assert {"avx2", "sse3"} <= flags and "avx512f" not in flags
    assert portability.available_kernels(flags) == ["Prescott", "Haswell"]
    assert portability.available_kernels(flags | {"avx512f"}) == ["Prescott", "Haswell", "SkylakeX"]
    assert portability.available_kernels(set()) == ["Prescott"]
    assert portability.cpu_flags("no flags here") == set()


def test_portability_kernel_names_and_aliases():
    assert portability.same_kernel("Prescott", "Katmai")
    assert portability.same_kernel("Haswell", "haswell")
    assert not portability.same_kernel("Haswell", "SkylakeX")


def test_portability_rejects_unknown_kernel(capsys):
    if not Path("/proc/cpuinfo").exists():
        pytest.skip("/proc/cpuinfo の無い環境（Linux 以外）では引数の検査まで進みません")
    with pytest.raises(SystemExit):
        portability.main(["--kernels", "Pentium"])
    assert "Pentium" in capsys.readouterr().err


# 17 桁の repr（4.440892098500626e-16、249.95568306517384 など）は丸め誤差の桁まで表示していて、
# BLAS のカーネルが変わると最後の桁が変わります（CONTRIBUTING.md「出力の移植性」）。
LONG_FLOAT = __import__("re").compile(r"(?<![\d.])-?\d+\.\d{9,}(?:e[+-]\d+)?")


def _text_outputs(nb):
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                yield i, "stream", out.get("text", "")
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/plain") or mime.startswith("application/papermill.record/text"):
                    yield i, mime, value if isinstance(value, str) else "".join(value)


@pytest.mark.parametrize("path", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_outputs_print_no_rounding_noise_digits(path):
    nb = nbformat.read(path, as_version=4)
    noisy = [(i, m.group(0)) for i, _, text in _text_outputs(nb) for m in LONG_FLOAT.finditer(text)]
    assert not noisy, f"{path.name}: 丸め誤差の桁まで表示している出力があります（セル番号, 値）: {noisy[:5]}"


def test_long_float_pattern():
    assert LONG_FLOAT.search("差の最大値: 4.440892098500626e-16")
    assert LONG_FLOAT.search("249.95568306517384")
    assert not LONG_FLOAT.search("検証正解率 0.944 ± 0.009、学習率 0.0794、1.0e-09 未満")


set_repository = _load("set_repository")


def test_repository_url_is_decided_in_one_place():
    # _config.yml の repository.url と、各ノートブックの Colab のセルの URL がそろっている
    assert set_repository.mismatches() == []
    assert set_repository.config_url().startswith("https://github.com/")


def test_set_repository_rewrites_config_and_every_notebook(tmp_path):
    import shutil

    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    (tmp_path / "book").mkdir()
    for path in (ROOT / "book").glob("*.ipynb"):
        shutil.copy(path, tmp_path / "book" / path.name)
    n_notebooks = len(list((tmp_path / "book").glob("*.ipynb")))

    new = "https://github.com/someone/my-book"
    assert set_repository.set_url(new + "/", tmp_path) == 1 + n_notebooks
    assert set_repository.config_url(tmp_path) == new
    assert set_repository.mismatches(tmp_path) == []
    assert all(urls == [new] for urls in set_repository.notebook_urls(tmp_path).values())
    # 2 回目は何も変わらない
    assert set_repository.set_url(new, tmp_path) == 0
    with pytest.raises(ValueError, match="https://github.com/<ユーザー>/<リポジトリ>"):
        set_repository.set_url("git@github.com:someone/my-book.git", tmp_path)


def test_licenses_cover_code_and_content():
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    content = (ROOT / "LICENSE-CONTENT.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in content and "MIT" in content
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "LICENSE-CONTENT.md" in readme and "CC BY 4.0" in readme
    footer = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["html"]["extra_footer"]
    assert "MIT" in footer and "CC BY 4.0" in footer


# ---- ページの長さと、章の冒頭の目安の時間 ------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_page_fits_one_sitting(path):
    # 1 ページは 40 セルまで（それより長い章は節のページに分け、演習は別のページにします）
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert len(nb["cells"]) <= 40, f"{path.name}: {len(nb['cells'])} セル（40 まで）"


def test_every_chapter_has_an_exercise_page_in_the_toc():
    mod = _load("reading_time")
    chapters = mod.chapters()
    # 章のページ（本文の節のページと演習のページを含む）が、目次の章にすべて入っている
    listed = sorted(p for first, pages, ex in chapters for p in [*pages, ex] if p)
    assert listed == [f"book/{p.stem}" for p in sorted((ROOT / "book").glob("ch0?-*.ipynb"))]
    assert [c[0][5:9] for c in chapters] == [f"ch0{n}" for n in range(1, 10)]
    for first, _, exercises in chapters:
        # 総合演習（-capstone）は課題そのものなので、演習のページを持ちません
        want = None if first.endswith("-capstone") else f"book/{first[5:9]}-exercises"
        assert exercises == want, first


def test_every_chapter_states_the_estimated_time_the_tool_computes(capsys):
    mod = _load("reading_time")
    assert mod.main(["--check"]) == 0, capsys.readouterr().out


def test_reading_time_rounds_up_to_five_minutes_and_counts_exercises():
    mod = _load("reading_time")
    assert mod._round5(0.1) == 5 and mod._round5(5) == 5 and mod._round5(5.01) == 10
    assert mod._text_chars("本文 $x^2$ です。\n```{bibliography}\n:filter: x\n```") == len("本文です。")
    assert mod.line_for(35, 50) == "**目安の時間**: 本文 約 35 分・演習 約 50 分（コードの実行を含みます）"
    assert (
        mod.line_for(20, None, 120)
        == "**目安の時間**: 本文 約 20 分・課題 約 120 分（コードの実行を含みます）"
    )
    assert mod.project_minutes("book/ch01-overfitting") is None


@pytest.mark.parametrize("path", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_notebook_is_committed_executed_top_to_bottom(path):
    # nbval は出力の無いセルを比べないので、実行し忘れたノートブックも通ってしまいます。
    # 実行回数が 1, 2, 3, … と上から順に並んでいることで、新しいカーネルで上から実行したことを確かめます。
    nb = json.loads(path.read_text(encoding="utf-8"))
    counts = [c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: 実行回数 {counts}"
