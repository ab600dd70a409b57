"""実ブラウザ（Debian の chromium を Playwright で操作）で、ビルドした本を検査するための準備。

- ``_build/html`` を 127.0.0.1 の http.server で配信します（検索は file:// では動かないため）。
- ブラウザからの 127.0.0.1 以外への通信はすべて遮断し、記録します（ネットなしで読めることの確認）。
- chromium の場所は環境変数 ``CHROMIUM``（既定 ``/usr/bin/chromium``）。見つからなければ、
  テストを飛ばさずに、入れ方を書いたエラーで止まります。

実行: make browser（先に make book でビルドしておくこと）
"""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML_DIR = ROOT / "_build" / "html"
SCREENSHOT_DIR = ROOT / "_build" / "screenshots"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _load_check_build():
    spec = importlib.util.spec_from_file_location("check_build", ROOT / "tools" / "check_build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


TOC_PAGES: list[str] = _load_check_build().toc_files(ROOT)
CONFIG: dict = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def pytest_configure(config):
    if not CHROMIUM.exists():
        raise pytest.UsageError(
            f"ブラウザのテストには chromium が必要です（期待した場所: {CHROMIUM}、見つかりませんでした）。\n"
            "Debian/Ubuntu なら: sudo apt-get install chromium fonts-noto-cjk\n"
            "別の場所にある Chromium/Chrome を使うなら: CHROMIUM=/path/to/chrome make browser"
        )
    if not (HTML_DIR / "index.html").exists():
        raise pytest.UsageError(
            f"ビルドされた本がありません（{HTML_DIR}）。先に make book を実行してください。"
        )


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # テストの出力を汚さない
        pass


@pytest.fixture(scope="session")
def base_url():
    handler = functools.partial(_QuietHandler, directory=str(HTML_DIR))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()
    pw.stop()


@dataclass
class Log:
    """1 ページを開いている間に起きたことの記録。"""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"console.error: {m}" for m in self.console_errors]
            + [f"JavaScript の例外: {m}" for m in self.page_errors]
            + [f"読み込み失敗: {m}" for m in self.failed]
            + [f"外部への通信（遮断）: {m}" for m in self.blocked]
        )


@pytest.fixture
def page(browser, base_url):
    """127.0.0.1 以外への通信を遮断し、エラーを記録するページ。``page.log`` に記録が入ります。"""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    log = Log()

    def route(r):
        host = urlsplit(r.request.url).hostname
        if host == "127.0.0.1":
            r.continue_()
        else:
            log.blocked.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    pg.on("console", lambda m: m.type == "error" and log.console_errors.append(m.text))
    pg.on("pageerror", lambda e: log.page_errors.append(str(e)))
    pg.on("requestfailed", lambda r: log.failed.append(f"{r.url} ({r.failure})"))
    pg.on("request", lambda r: log.requests.append(r.url))
    pg.on(
        "response",
        lambda r: r.status >= 400 and log.failed.append(f"{r.url} (HTTP {r.status})"),
    )
    pg.log = log
    yield pg
    context.close()


def wait_for_math(pg) -> None:
    """MathJax を読み込むページなら、組版が終わるまで待ちます。"""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    if pg.locator("script[src*='mathjax']").count():
        try:
            pg.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000
            )
        except PlaywrightTimeout:
            src = pg.locator("script[src*='mathjax']").first.get_attribute("src")
            raise AssertionError(
                f"MathJax が読み込めませんでした（{src}）。記録: {pg.log.problems()}"
            ) from None
        pg.evaluate("() => MathJax.startup.promise.then(() => true)")
