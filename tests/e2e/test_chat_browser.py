"""The chat page in a real browser: `briefqa serve` over the test index, driven by headless Chromium.

Needs Debian's chromium (/usr/bin/chromium) and Playwright for Python, which drives it and never
downloads a browser of its own; skips, saying so, only when Chromium is not installed.
Screenshots go to test-output/screenshots/ at the repo root (gitignored) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from ui.feedback import FeedbackStore

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-output" / "screenshots"
QUESTION = "내년 스마트공장 지원 예산은 얼마인가요?"
ANSWER = "4,366억원"
SOURCE_TITLE = "AI 대전환 릴레이"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
START_TIMEOUT_S = 180
ANSWER_TIMEOUT_MS = 90_000


def _chromium() -> str | None:
    for candidate in (os.environ.get("BRIEFQA_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _briefqa_command() -> list[str]:
    script = Path(sys.executable).with_name("briefqa")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from cli.main import cli; cli()"]


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = _chromium()
    if path is None:
        pytest.skip("Chromium is not installed (expected /usr/bin/chromium; `apt-get install chromium`), "
                    "so the browser test cannot run")
    return path


@pytest.fixture(scope="module")
def server(built_index: Path, tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[tuple[str, Path]]:
    """`briefqa serve` on a free loopback port over a copy of the session index (feedback is
    written beside it); yields the base URL and the index folder."""
    index_dir = tmp_path_factory.mktemp("e2e") / "index"
    shutil.copytree(built_index, index_dir)
    port = _free_port()
    log_path = index_dir.parent / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "BRIEFQA_INDEX": str(index_dir)}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*_briefqa_command(), "serve", "--index", str(index_dir), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=index_dir.parent,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"briefqa serve exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"briefqa serve not up after {START_TIMEOUT_S}s:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.5)
        yield base, index_dir
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Browser]:
    """Debian's Chromium, launched by Playwright with a fresh temporary profile."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _open_chat(browser: Browser, base: str, viewport: str, blocked: list[str] | None = None) -> Page:
    """The chat page, opened; what its Content-Security-Policy blocked goes to ``blocked``."""
    page = browser.new_page(viewport=VIEWPORTS[viewport], locale="ko-KR")
    page.set_default_timeout(60_000)
    if blocked is not None:
        page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    response = page.goto(f"{base}/")
    assert response is not None and response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.locator("#briefqa-question textarea")).to_be_visible()
    expect(page.locator("#briefqa-recent")).to_contain_text(SOURCE_TITLE)  # the 최근 보도자료 panel
    return page


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_chat_answers_with_source_and_marked_span(server: tuple[str, Path], browser: Browser, viewport: str) -> None:
    base, index_dir = server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []
    page = _open_chat(browser, base, viewport, blocked)
    expect(page.locator("#briefqa-chatbot")).to_contain_text("예산은 얼마인가요?")  # example questions
    page.screenshot(path=SCREENSHOTS / f"{viewport}-start.png", full_page=True)

    page.locator("#briefqa-question textarea").fill(QUESTION)
    if viewport == "desktop":
        page.keyboard.press("Enter")
    else:
        page.locator("#briefqa-ask").click()

    chat = page.locator("#briefqa-chatbot")
    expect(chat.locator("mark").first).to_contain_text(ANSWER, timeout=ANSWER_TIMEOUT_MS)
    expect(chat.locator(".briefqa-answer strong").last).to_contain_text(ANSWER)
    expect(chat.locator(".briefqa-card").last).to_contain_text(SOURCE_TITLE)
    expect(chat.locator(".briefqa-card").last).to_contain_text("기획재정부")
    expect(chat.locator(".briefqa-card").last).to_contain_text("044-215-4530")  # the contact to call
    expect(chat.locator(".user-row").last).to_contain_text(QUESTION)
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]
    # The answer is brought into view: the bold answer and the whole card (source, quote, contact),
    # on a phone too, where the page scrolls rather than a box inside it.
    expect(chat.locator(".briefqa-answer").last).to_be_in_viewport()
    expect(chat.locator(".briefqa-card").last).to_be_in_viewport(ratio=1)
    page.screenshot(path=SCREENSHOTS / f"{viewport}-answer.png", full_page=True)
    visible = chat.inner_text()
    assert "|---" not in visible and "\\" not in visible
    assert not blocked, blocked  # the page works under its own Content-Security-Policy

    page.locator("#briefqa-helpful").click()
    expect(page.locator("#briefqa-feedback-note")).to_contain_text("의견 감사합니다")
    rows = [r for r in FeedbackStore(index_dir / "feedback.sqlite").rows() if r.verdict == "helpful"]
    assert rows and rows[-1].question == QUESTION and ANSWER in (rows[-1].answer or "")

    href = chat.locator(".briefqa-card a", has_text="원문").last.get_attribute("href")
    assert href and href.startswith("?doc=")
    full = browser.new_page(viewport=VIEWPORTS[viewport], locale="ko-KR")
    full.goto(f"{base}/{href}")
    expect(full.locator("#briefqa-hit")).to_contain_text(ANSWER, timeout=60_000)
    expect(full.locator("#briefqa-document h2")).to_contain_text(SOURCE_TITLE)
    expect(full.locator("#briefqa-document table").first).to_contain_text("기획재정부 산업경제과")
    document_text = full.locator("#briefqa-document").inner_text()
    assert "|---" not in document_text and "| 담당 부서" not in document_text
    full.wait_for_timeout(300)  # let the viewer scroll the marked span into view
    full.screenshot(path=SCREENSHOTS / f"{viewport}-document.png")
    full.close()
    page.close()


def test_chat_unanswerable_question_shows_help_and_closest_releases(server: tuple[str, Path], browser: Browser) -> None:
    base, _ = server
    page = _open_chat(browser, base, "phone")

    page.locator("#briefqa-question textarea").fill("화성 이주 예산은 얼마인가요?")
    page.locator("#briefqa-ask").click()

    last = page.locator("#briefqa-chatbot .bot-row").last
    expect(last).to_contain_text("가장 가까운 보도자료", timeout=ANSWER_TIMEOUT_MS)
    expect(last.locator("mark")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "phone-abstention.png", full_page=True)
    page.close()
