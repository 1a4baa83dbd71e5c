"""The chat UI over a real index built from tests/data/briefings (once per session)."""

from __future__ import annotations

import re
from pathlib import Path

import gradio as gr
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from answer.answerer import Answerer
from answer.records import Answer, Citation
from core.errors import IndexNotFound
from ui.app import TITLE, build_ui, chat, render_answer

DATA = Path(__file__).resolve().parents[1] / "data" / "briefings"
BUDGET_QUESTION = "내년 스마트공장 지원 예산은 얼마인가요?"
UNANSWERABLE = "화성 이주 예산은 얼마인가요?"


@pytest.fixture(scope="session")
def ui_answerer(answerer: Answerer) -> Answerer:
    """The session's answerer over tests/data/briefings (built once in tests/conftest.py)."""
    return answerer


def _no_index() -> Answerer:
    raise IndexNotFound("var/index")


def test_render_answer_bolds_and_marks_the_budget(ui_answerer: Answerer) -> None:
    answer = ui_answerer.ask(BUDGET_QUESTION)
    assert answer.text is not None and "4,366억원" in answer.text

    html = render_answer(answer)

    assert re.search(r"<strong>[^<]*4,366억원[^<]*</strong>", html)
    assert re.search(r"<mark>[^<]*4,366억원[^<]*</mark>", html)
    assert "AI 대전환 릴레이" in html
    assert "출처" in html and "기획재정부" in html and "2025년 9월 19일" in html


def test_render_answer_lists_at_most_two_other_releases(ui_answerer: Answerer) -> None:
    html = render_answer(ui_answerer.ask(BUDGET_QUESTION))

    others = html.split("다른 관련 보도자료", 1)[1] if "다른 관련 보도자료" in html else ""
    assert others.count("<li>") <= 2


def test_render_unanswerable_question_shows_korean_help(ui_answerer: Answerer) -> None:
    answer = ui_answerer.ask(UNANSWERABLE)
    assert answer.text is None

    html = render_answer(answer)

    assert answer.reason in html
    assert "가장 가까운 보도자료" in html
    assert 1 <= html.count("<li>") <= 3
    assert "<mark>" not in html


def test_render_answer_escapes_untrusted_citation_text() -> None:
    quote = "<script>alert(1)</script> 예산은 100억원 | 표 <b>셀</b>"
    citation = Citation("x.txt", "<img src=x onerror=alert(1)>", "2025-01-02", "부처&", "x.txt#0", 0,
                        len(quote), quote)
    answer = Answer("질문", "100억원", "budget", [citation])

    html = render_answer(answer)

    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "부처&amp;" in html
    assert "<mark>100억원</mark>" in html


def test_chat_appends_user_and_assistant_messages(ui_answerer: Answerer) -> None:
    earlier = [{"role": "user", "content": "안녕하세요"}, {"role": "assistant", "content": "네"}]

    history, cleared = chat(lambda: ui_answerer, BUDGET_QUESTION, earlier)

    assert cleared == ""
    assert len(earlier) == 2  # the input history is not mutated
    assert history[:2] == earlier
    assert history[2] == {"role": "user", "content": BUDGET_QUESTION}
    assert history[3]["role"] == "assistant" and "4,366억원" in history[3]["content"]


def test_chat_ministry_filter_that_matches_nothing_abstains(ui_answerer: Answerer) -> None:
    history, _ = chat(lambda: ui_answerer, BUDGET_QUESTION, [], ministry="없는부처")

    assert "<mark>" not in history[-1]["content"]
    assert "찾지 못했습니다" in history[-1]["content"]


def test_chat_ignores_blank_question(ui_answerer: Answerer) -> None:
    assert chat(lambda: ui_answerer, "   ", []) == ([], "")


def test_chat_turns_answerer_errors_into_a_polite_message() -> None:
    history, _ = chat(_no_index, BUDGET_QUESTION, [])

    reply = history[-1]["content"]
    assert history[-1]["role"] == "assistant"
    assert "보도자료가 준비되지 않았습니다" in reply
    assert "Traceback" not in reply and "var/index" not in reply


def test_chat_calls_the_getter_for_every_question(ui_answerer: Answerer) -> None:
    calls: list[int] = []

    def getter() -> Answerer:
        calls.append(1)
        return ui_answerer

    history, _ = chat(getter, BUDGET_QUESTION, [])
    chat(getter, UNANSWERABLE, history)

    assert len(calls) == 2


def test_build_ui_mounts_on_fastapi_and_serves_the_korean_page(ui_answerer: Answerer) -> None:
    blocks = build_ui(lambda: ui_answerer)
    assert isinstance(blocks, gr.Blocks)
    app = gr.mount_gradio_app(FastAPI(), blocks, path="/")

    with TestClient(app) as client:
        page = client.get("/")
        config = client.get("/config")

    assert page.status_code == 200
    assert f'"title":"{TITLE}"' in page.text
    assert config.status_code == 200 and config.json()["title"] == TITLE
    assert "질문하기" in page.text
