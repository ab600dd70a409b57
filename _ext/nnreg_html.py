"""本書の HTML の小さな手直し（_config.yml の sphinx.local_extensions から読み込みます）。

- 同じ <script> が 2 回入るのを防ぎます。sphinx-thebe の設定スクリプト（``const THEBE_JS_URL = ...``）が
  2 回出力され、ブラウザで「Identifier 'THEBE_JS_URL' has already been declared」の例外になるためです。
- 表示モードの既定値（html_context の default_mode）を明るい表示（light）にします。未設定だと、初めて開いたブラウザのコンソールに
  「Got invalid theme mode」のエラーが出ます。図は白い背景で描いているので、light を既定にします。
- 折りたたんだコード（myst-nb の HideCodeCellNode）を singlehtml ビルダーでも出力できるようにします。
  myst-nb は html にしか登録しておらず、sphinx-exercise が singlehtml 用の登録を持つため、singlehtml では
  html の登録が使われずに「unknown node type」で止まります（PDF 版は singlehtml から作ります）。
- 演習の題名を「演習 1（導出）…」だけにします。本書の演習は ``:nonumber:`` で書き、題名に章の中での番号と
  種類を自分で書きます。sphinx-exercise のままだと「練習 (演習 1（導出）…)」や、本全体の通し番号
  「練習 12 (…)」になり、章の中の番号と食い違うためです。解答の題名も「解答 演習 1（導出）…」にします。
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


def _strip_exercise_word(children: list) -> list | None:
    """["練習", " (", 副題…, ")"] の形なら副題の部分だけを返します（違う形なら None）。"""
    texts = [c.astext() if c.__class__.__name__ == "Text" else None for c in children]
    if len(children) < 4 or texts[1] != " (" or texts[-1] != ")":
        return None
    return children[2:-1]


def plain_exercise_titles(app, doctree, docname) -> None:
    from docutils import nodes
    from sphinx_exercise.nodes import exercise_node, solution_node

    for node in doctree.findall(exercise_node):
        title = node.children[0]
        if isinstance(title, nodes.title):
            subtitle = _strip_exercise_word(list(title.children))
            if subtitle is not None:
                title.children = []
                title.extend(subtitle)
    for node in doctree.findall(solution_node):
        title = node.children[0]
        for ref in title.findall(nodes.reference):
            kids = list(ref.children)
            if kids and kids[0].astext().startswith(" ") and len(kids) >= 4:
                # [" 練習", " (", 副題…, ")"] → [" ", 副題…]
                subtitle = _strip_exercise_word([nodes.Text("x"), *kids[1:]])
                if subtitle is not None:
                    ref.children = []
                    ref.extend([nodes.Text(" "), *subtitle])


def merge_split_streams(app, doctree, docname) -> None:
    """1 つのセルの print の出力が、glue の出力をはさんで何枚もの枠に分かれないように、つなぎ直します。

    ``nnreg.glue`` は値を（画面に出ない）表示用の出力として書くので、print の合間に glue すると、
    ノートブックの中で標準出力が途切れ、myst-nb はその前後を別々の枠に描きます。ここでは、同じセルの出力で
    **隣り合う**（間に図などの見える出力がない）標準出力の枠を 1 つにまとめます。文字はそのままです。
    """
    from docutils import nodes

    def is_stream(node) -> bool:
        return isinstance(node, nodes.literal_block) and "stream" in node["classes"]

    for box in list(doctree.findall(nodes.container)):
        if "cell_output" not in box["classes"]:
            continue
        kept = []
        for child in list(box.children):
            prev = kept[-1] if kept else None
            if (
                prev is not None
                and is_stream(prev)
                and is_stream(child)
                and prev["classes"] == child["classes"]
            ):
                text = prev.astext() + child.astext()
                prev.rawsource = text
                prev.children = []
                prev += nodes.Text(text)
                box.remove(child)
            else:
                kept.append(child)


def register_singlehtml_nodes(app) -> None:
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput, visit_HideCellInput

    app.add_node(HideCodeCellNode, override=True, singlehtml=(visit_HideCellInput, depart_HideCellInput))


def setup(app):
    register_singlehtml_nodes(app)
    # sphinx-exercise が題名を組み立てた（post-transform）あとに書き換えます
    app.connect("doctree-resolved", plain_exercise_titles)
    app.connect("doctree-resolved", merge_split_streams)
    app.connect("config-inited", set_default_mode)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
