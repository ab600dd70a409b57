"""Web 版の本のための設定と道具のテスト: リンク検査（tools/check_links.py）、HTML の手直し（_ext/）、
用語集・参考文献・記法のページ、Colab のセットアップセル、Binder の設定、GitHub Actions のワークフロー。"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))

# チームの用語表（shared/STYLE.md の 1 節）にある用語。用語集はこれをすべて、日本語と英語で載せる。
STYLE_TERMS = {
    "正則化": "regularization",
    "正規化": "normalization",
    "過学習": "overfitting",
    "汎化": "generalization",
    "汎化性能": "generalization",
    "訓練データ": "training data",
    "検証データ": "validation data",
    "テストデータ": "test data",
    "訓練損失": "training loss",
    "検証損失": "validation loss",
    "重み減衰": "weight decay",
    "荷重減衰": "weight decay",
    "L2正則化": "L2 regularization",
    "L1正則化": "L1 regularization",
    "ドロップアウト率": "dropout rate",
    "内部共変量シフト": "internal covariate shift",
    "データ拡張": "data augmentation",
    "早期終了": "early stopping",
    "学習率": "learning rate",
    "鞍点": "saddle point",
    "局所解": "local minimum",
    "大域解": "global minimum",
}


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclass がモジュールを引けるように
    spec.loader.exec_module(mod)
    return mod


check_links = _load(ROOT / "tools" / "check_links.py", "check_links")
nnreg_html = _load(ROOT / "_ext" / "nnreg_html.py", "nnreg_html")


# ---- tools/check_links.py -------------------------------------------------------------------------


def _site(tmp_path: Path, pages: dict[str, str]) -> Path:
    for name, body in pages.items():
        f = tmp_path / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    return tmp_path


def test_check_links_accepts_valid_site_and_counts(tmp_path):
    html = _site(
        tmp_path,
        {
            "index.html": '<a href="book/a.html#sec-1">a</a> <a href="https://example.org/x">外部</a>'
            '<img src="_images/p.png" alt="図"> <a href="#top" id="top">上へ</a>',
            "book/a.html": '<h2 id="sec-1">節</h2><a href="../index.html">戻る</a><a name="old">旧</a>'
            '<a href="a.html#old">旧へ</a><a href="mailto:x@example.org">メール</a>',
            "_images/p.png": "",
        },
    )
    problems, stats = check_links.check(html)
    assert problems == []
    assert stats["pages"] == 2
    assert stats["internal"] == 4 and stats["anchor"] == 3 and stats["external"] == 2


def test_check_links_reports_missing_file_anchor_and_escape(tmp_path):
    html = _site(
        tmp_path / "html",
        {
            "index.html": '<a href="nai.html">無い</a><a href="b.html#nai">アンカー無し</a>'
            '<a href="#koko-mo-nai">同じページ</a><a href="../../etc/passwd">外</a>'
            '<script src="_static/x.js"></script>',
            "b.html": '<p id="aru">ある</p>',
            # テーマがコピーする Jinja のテンプレートはページではないので検査しない
            "_static/macros.html": "<a href=\"{{ pathto('x') }}\">x</a>",
        },
    )
    problems, stats = check_links.check(html)
    assert len(problems) == 5, problems
    text = "\n".join(problems)
    assert "nai.html" in text and "b.html#nai" in text and "#koko-mo-nai" in text
    assert "ビルドの外" in text and "_static/x.js" in text
    assert stats["pages"] == 2


def test_check_links_main_exit_codes(tmp_path, capsys):
    good = _site(tmp_path / "good", {"index.html": '<a href="index.html">自分</a>'})
    bad = _site(tmp_path / "bad", {"index.html": '<a href="x.html">無い</a>'})
    assert check_links.main(["check_links", str(good)]) == 0
    assert "問題なし" in capsys.readouterr().out
    assert check_links.main(["check_links", str(bad)]) == 1
    assert "壊れたリンクが 1 件" in capsys.readouterr().out
    assert check_links.main(["check_links", str(tmp_path / "nothing")]) == 1
    assert "見つかりません" in capsys.readouterr().out


def test_check_links_rejects_empty_build(tmp_path):
    with pytest.raises(ValueError, match=r"\.html がありません"):
        check_links.check(tmp_path)


# ---- _ext/nnreg_html.py -----------------------------------------------------------------------------


class _JS(str):
    def __new__(cls, filename, **attributes):
        obj = super().__new__(cls, filename or "")
        obj.filename = filename
        obj.attributes = attributes
        return obj


def test_dedupe_scripts_removes_duplicate_inline_scripts_only():
    body = 'const THEBE_JS_URL = "x"'
    scripts = [
        _JS("a.js"),
        _JS(None, body=body),
        _JS("b.js"),
        _JS("", body=body),
        _JS("a.js"),
        _JS(None, body="y"),
    ]
    context = {"script_files": scripts}
    nnreg_html.dedupe_scripts(None, "p", "page.html", context, None)
    assert context["script_files"] is scripts  # テンプレートが見るリストそのものを直す
    assert [(s.filename or "", s.attributes.get("body")) for s in scripts] == [
        ("a.js", None),
        ("", body),
        ("b.js", None),
        ("", "y"),
    ]


def test_default_mode_is_light_unless_configured():
    cfg = SimpleNamespace(html_context={})
    nnreg_html.set_default_mode(None, cfg)
    assert cfg.html_context["default_mode"] == "light"
    cfg = SimpleNamespace(html_context={"default_mode": "dark"})
    nnreg_html.set_default_mode(None, cfg)
    assert cfg.html_context["default_mode"] == "dark"


# ---- 本の設定とページ ---------------------------------------------------------------------------------


def test_config_serves_mathjax_offline_and_repository_buttons():
    sphinx = CONFIG["sphinx"]
    assert "sphinx-mathjax-offline" in sphinx["extra_extensions"]
    assert sphinx["local_extensions"] == {"nnreg_html": "_ext", "nnreg_quiz": "_ext"}
    # MathJax を CDN から読むような設定を上書きしていない
    assert "mathjax_path" not in sphinx["config"]
    # 本のルートの _static/ にある .js は全ページに自動で読み込まれるので、MathJax などの写しを置かない。
    # 置いてよいのは本書のために書いた小さなスクリプト（理解度チェックの nnreg-quiz.js）だけです。
    js = sorted(p.relative_to(ROOT / "_static").as_posix() for p in ROOT.glob("_static/**/*.js"))
    assert js == ["nnreg-quiz.js"], (
        f"_static/ に予定外の .js があります（MathJax が二重に読み込まれます）: {js}"
    )
    quiz_js = (ROOT / "_static" / "nnreg-quiz.js").read_text(encoding="utf-8")
    assert len(quiz_js.splitlines()) <= 80 and "_ext/nnreg_quiz.py" in quiz_js.splitlines()[0]
    assert not re.search(r"https?://|import\s|require\(|sourceMappingURL", quiz_js), (
        "外部のコードを読み込んでいます"
    )
    repo = CONFIG["repository"]
    assert repo["url"].startswith("https://github.com/") and repo["branch"] == "main"
    html = CONFIG["html"]
    assert html["use_edit_page_button"] and html["use_issues_button"] and html["use_repository_button"]
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert CONFIG["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert str(CONFIG["copyright"]).isdigit() and not CONFIG.get("logo")


def _glossary_terms() -> dict[str, set[str]]:
    """用語集の各項目（用語の行の集まり）を、日本語の用語 → 同じ項目の用語の集合 で返す。"""
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    entries: dict[str, set[str]] = {}
    for block in re.findall(r"```\{glossary\}\n(.*?)```", text, flags=re.S):
        group: list[str] = []
        for line in block.splitlines():
            if line and not line.startswith(" "):
                group.append(line.strip())
            elif line.startswith(" ") and group:
                for t in group:
                    entries[t] = set(group)
                group = []
    return entries


def test_glossary_has_every_style_term_in_japanese_and_english():
    entries = _glossary_terms()
    for ja, en in STYLE_TERMS.items():
        assert ja in entries, f"用語集に「{ja}」がありません"
        assert en in entries[ja], f"用語集の「{ja}」に英語 {en!r} がありません（{entries[ja]}）"


def _book_markdown() -> dict[str, str]:
    texts = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "book").glob("*.md")}
    for p in (ROOT / "book").glob("*.ipynb"):
        nb = json.loads(p.read_text(encoding="utf-8"))
        texts[p.name] = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return texts


def test_every_term_role_points_to_a_glossary_entry_and_pages_use_them():
    entries = _glossary_terms()
    used = {}
    for name, text in _book_markdown().items():
        for m in re.finditer(r"\{term\}`([^`]+)`", text):
            target = m.group(1)
            target = re.sub(r"^.*<(.+)>$", r"\1", target).strip()
            assert target in entries, f"{name}: 用語集に無い用語 {target!r}"
            used.setdefault(name, set()).add(target)
    assert {"intro.md", "nnreg-usage.ipynb"} <= set(used), used.keys()


def test_toc_has_appendix_pages():
    check_build = _load(ROOT / "tools" / "check_build.py", "check_build")
    pages = check_build.toc_files(ROOT)
    assert {"book/notation", "book/glossary", "book/bibliography"} <= set(pages)
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    assert "{doc}`notation`" in intro and "{doc}`glossary`" in intro


def _bib_entries() -> list[tuple[str, str, str]]:
    text = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    return re.findall(r"@(\w+)\{([^,\s]+),(.*?)\n\}", text, flags=re.S)


def test_references_have_unique_keys_years_and_venues():
    entries = _bib_entries()
    keys = [k for _, k, _ in entries]
    assert len(keys) == len(set(keys)), f"重複したキー: {[k for k in keys if keys.count(k) > 1]}"
    venue_fields = {
        "article": ("journal",),
        "inproceedings": ("booktitle",),
        "incollection": ("booktitle", "publisher"),
        "book": ("publisher",),
        "misc": ("howpublished",),
    }
    for kind, key, body in entries:
        fields = set(re.findall(r"^\s*(\w+)\s*=", body, flags=re.M))
        assert {"author", "title", "year"} <= fields, key
        assert kind.lower() in venue_fields, f"{key}: 想定していない種類 @{kind}"
        missing = [f for f in venue_fields[kind.lower()] if f not in fields]
        assert not missing, f"{key}: 掲載先（{missing}）がありません"


# ---- Colab と Binder ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((ROOT / "book").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_starts_with_guarded_silent_colab_setup(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    src = "".join(first["source"])
    assert 'if "google.colab" in sys.modules:' in src, (
        "最初のコードセルが Colab 用のセットアップではありません"
    )
    pip_lines = [line.strip() for line in src.splitlines() if "pip install" in line]
    assert pip_lines and all(line.startswith("%pip install -q") for line in pip_lines)
    assert all(f"git+{CONFIG['repository']['url']}" in line for line in pip_lines)
    # 手元では何も出力しない（nbval が厳密に比べられるように）
    assert first["outputs"] == []


def test_binder_installs_nnreg_after_copying_the_repository():
    env = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    assert "pip" in deps and any(str(d).startswith("python=3.1") for d in deps)
    # repo2docker は環境ファイルだけを先にコピーするので、ここからリポジトリの中を参照してはいけない
    assert not any(isinstance(d, dict) for d in deps), (
        "binder/environment.yml に pip の節（-e . など）があります"
    )
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild に実行権限がありません"
    text = post.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/bash") and "set -euo pipefail" in text
    assert "pip install" in text and "-c requirements/constraints.txt" in text and "-e ." in text
    # ルートの environment.yml は README のとおり conda env create 用（リポジトリ直下で使う）
    root_env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert root_env["name"] == env["name"]


# ---- GitHub Actions と CI ---------------------------------------------------------------------------


def _workflow(name: str) -> dict:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 では on: が True と読まれる
    return data


def test_test_workflow_runs_ci_script_on_push_and_pull_request():
    wf = _workflow("test.yml")
    assert "pull_request" in wf["on"] and "push" in wf["on"]
    runs = [s.get("run", "") for s in wf["jobs"]["test"]["steps"]]
    assert any("bash .ci/run" in r for r in runs)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci and "fonts-noto-cjk" in ci and "chromium" in ci
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_line = next(line for line in make.splitlines() if line.startswith("test:"))
    for target in ("lint", "unit", "nbval", "build-check", "pdf", "links", "browser"):
        assert f" {target}" in test_line, f"make test に {target} がありません"


def test_deploy_workflow_publishes_built_html_to_pages():
    wf = _workflow("deploy.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    assert wf["permissions"]["pages"] == "write" and wf["permissions"]["id-token"] == "write"
    build = wf["jobs"]["build"]["steps"]
    assert any(s.get("run") == "make book" for s in build)
    # PDF 版も作って、HTML と一緒に公開します（make pdf が _build/html/nnreg-book.pdf に置きます）
    pdf_step = next(s for s in build if "make pdf" in str(s.get("run", "")))
    assert build.index(pdf_step) < build.index(
        next(s for s in build if str(s.get("uses", "")).startswith("actions/upload-pages-artifact@"))
    )
    upload = next(s for s in build if str(s.get("uses", "")).startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    deploy = wf["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert any(str(s.get("uses", "")).startswith("actions/deploy-pages@") for s in deploy["steps"])


# ---- 図を描くだけのコードは折りたたむ ------------------------------------------------------------------


def _figure_only(cell) -> bool:
    outs = cell.get("outputs", [])
    img = any("image/png" in o.get("data", {}) for o in outs)
    text = any(o.get("output_type") == "stream" for o in outs)
    return img and not text and "plt.show()" in "".join(cell["source"])


@pytest.mark.parametrize("path", sorted((ROOT / "book").glob("ch*.ipynb")), ids=lambda p: p.name)
def test_long_figure_only_cells_are_folded(path):
    # 図を描くだけの長いコード（6 行以上で、出力が図だけ）は hide-input で折りたたみ、本文の流れを妨げない。
    # 学習や計算をするセル（fit, over_seeds, check_ など）は、図を出していても畳まない。
    nb = json.loads(path.read_text(encoding="utf-8"))
    unfolded = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or not _figure_only(cell):
            continue
        src = "".join(cell["source"])
        lesson = any(k in src for k in ("nnreg.fit(", "over_seeds", "run_optimizer(", "check_", "def "))
        if len(src.splitlines()) > 5 and not lesson and "hide-input" not in cell["metadata"].get("tags", []):
            unfolded.append(i)
    assert unfolded == [], f"{path.name}: 図を描くだけの長いセルが折りたたまれていません（セル {unfolded}）"
