"""本書の HTML の小さな手直し（_config.yml の sphinx.local_extensions から読み込みます）。

- 同じ <script> が 2 回入るのを防ぎます。sphinx-thebe の設定スクリプト（``const THEBE_JS_URL = ...``）が
  2 回出力され、ブラウザで「Identifier 'THEBE_JS_URL' has already been declared」の例外になるためです。
- 表示モードの既定値（html_context の default_mode）を明るい表示（light）にします。未設定だと、初めて開いたブラウザのコンソールに
  「Got invalid theme mode」のエラーが出ます。図は白い背景で描いているので、light を既定にします。
- 折りたたんだコード（myst-nb の HideCodeCellNode）を singlehtml ビルダーでも出力できるようにします。
  myst-nb は html にしか登録しておらず、sphinx-exercise が singlehtml 用の登録を持つため、singlehtml では
  html の登録が使われずに「unknown node type」で止まります（PDF 版は singlehtml から作ります）。
"""

from __future__ import annotations


def _script_key(js) -> tuple:
    attrs = getattr(js, "attributes", {}) or {}
    # 同じインラインのスクリプトが filename=None と "" の 2 通りで登録されることがあるので、そろえてから比べます。
    return (getattr(js, "filename", str(js)) or "", tuple(sorted((k, str(v)) for k, v in attrs.items())))


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple] = set()
    unique = []
    for js in scripts:
        key = _script_key(js)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def set_default_mode(app, config) -> None:
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "light")
    config.html_context = context


def register_singlehtml_nodes(app) -> None:
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput, visit_HideCellInput

    app.add_node(HideCodeCellNode, override=True, singlehtml=(visit_HideCellInput, depart_HideCellInput))


def setup(app):
    register_singlehtml_nodes(app)
    app.connect("config-inited", set_default_mode)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
