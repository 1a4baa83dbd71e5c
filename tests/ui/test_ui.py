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
from index.records import SearchFilters
from ui.app import (
    ALL_MINISTRIES,
    ASK_FIRST,
    DOC_NOT_FOUND,
    INDEX_MISSING,
    SEARCHING,
    THANKS,
    TITLE,
    FilterError,
    answer_question,
    build_ui,
    chat,
    feedback_store,
    load_page,
    parse_filters,
    record_feedback,
)
from ui.feedback import FeedbackStore
from ui.render import DOUBT_BELOW, DOUBT_NOTE, highlight, render_answer

DATA = Path(__file__).resolve().parents[1] / "data" / "briefings"
BUDGET_QUESTION = "내년 스마트공장 지원 예산은 얼마인가요?"
BUDGET_SOURCE = "000_5a375b227c424bcf.txt"
UNANSWERABLE = "화성 이주 예산은 얼마인가요?"


@pytest.fixture(scope="session")
def ui_answerer(answerer: Answerer) -> Answerer:
    """The session's answerer over tests/data/briefings (built once in tests/conftest.py)."""
    return answerer


def _no_index() -> Answerer:
    raise IndexNotFound("var/index")


def _final(steps):  # type: ignore[no-untyped-def]
    """The last step of the streaming chat handler."""
    return list(steps)[-1]


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

    history, cleared, _ = _final(chat(lambda: ui_answerer, BUDGET_QUESTION, earlier))

    assert cleared == ""
    assert len(earlier) == 2  # the input history is not mutated
    assert history[:2] == earlier
    assert history[2] == {"role": "user", "content": BUDGET_QUESTION}
    assert history[3]["role"] == "assistant" and "4,366억원" in history[3]["content"]


def test_chat_ministry_filter_that_matches_nothing_abstains(ui_answerer: Answerer) -> None:
    history, _, state = _final(chat(lambda: ui_answerer, BUDGET_QUESTION, [], ministry="없는부처"))

    assert "<mark>" not in history[-1]["content"]
    assert "찾지 못했습니다" in history[-1]["content"]


def test_chat_ignores_blank_question(ui_answerer: Answerer) -> None:
    assert list(chat(lambda: ui_answerer, "   ", [])) == [([], "", None)]


def test_chat_turns_answerer_errors_into_a_polite_message() -> None:
    history, _, state = _final(chat(_no_index, BUDGET_QUESTION, []))

    reply = history[-1]["content"]
    assert history[-1]["role"] == "assistant"
    assert "보도자료가 준비되지 않았습니다" in reply
    assert "Traceback" not in reply and "var/index" not in reply
    assert state is None  # nothing to give a verdict on


def test_chat_calls_the_getter_for_every_question(ui_answerer: Answerer) -> None:
    calls: list[int] = []

    def getter() -> Answerer:
        calls.append(1)
        return ui_answerer

    history, _, _ = _final(chat(getter, BUDGET_QUESTION, []))
    _final(chat(getter, UNANSWERABLE, history))

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


def test_render_answer_shows_source_card_full_text_link_and_contact(ui_answerer: Answerer) -> None:
    turn = answer_question(lambda: ui_answerer, BUDGET_QUESTION)

    assert turn.answer is not None and "4,366억원" in turn.answer
    assert turn.sources[0] == BUDGET_SOURCE
    assert f'href="?doc={BUDGET_SOURCE}&amp;s=' in turn.html  # the full-text view, span marked
    assert "☎" in turn.html and "산업경제과" in turn.html and "044-215-4530" in turn.html
    assert "  " not in re.sub(r"<[^>]+>", "", turn.html.split("출처", 1)[1].split("</p>", 1)[0])


def test_chat_streams_a_placeholder_then_the_answer(ui_answerer: Answerer) -> None:
    steps = list(chat(lambda: ui_answerer, BUDGET_QUESTION, []))

    assert len(steps) == 2
    (waiting, cleared, no_state), (answered, _, state) = steps
    assert cleared == "" and no_state is None
    assert waiting[-1] == {"role": "assistant", "content": SEARCHING}
    assert waiting[-2] == {"role": "user", "content": BUDGET_QUESTION}
    assert "<mark>" in answered[-1]["content"] and len(answered) == 2
    assert state["question"] == BUDGET_QUESTION and "4,366억원" in state["answer"]
    assert state["sources"][0] == BUDGET_SOURCE


def test_chat_abstention_keeps_the_closest_releases_for_feedback(ui_answerer: Answerer) -> None:
    history, _, state = _final(chat(lambda: ui_answerer, UNANSWERABLE, []))

    assert "가장 가까운 보도자료" in history[-1]["content"]
    assert 'href="?doc=' in history[-1]["content"]
    assert state["answer"] is None and 1 <= len(state["sources"]) <= 3


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        ("2025-09-01", "2025-09-30", SearchFilters(date_from="2025-09-01", date_to="2025-09-30")),
        ("2025.9.1", "2025. 9. 30.", SearchFilters(date_from="2025-09-01", date_to="2025-09-30")),
        ("20250901", "", SearchFilters(date_from="2025-09-01")),
        ("2025", "2025", SearchFilters(date_from="2025-01-01", date_to="2025-12-31")),
        ("2024-02", "2024-02", SearchFilters(date_from="2024-02-01", date_to="2024-02-29")),
        ("2025년 9월 1일", "", SearchFilters(date_from="2025-09-01")),
    ],
)
def test_parse_filters_reads_the_dates_citizens_type(date_from: str, date_to: str, expected: SearchFilters) -> None:
    assert parse_filters("", date_from, date_to) == expected


def test_parse_filters_all_ministries_and_blanks_mean_no_filter() -> None:
    assert parse_filters(ALL_MINISTRIES, "", "") is None
    assert parse_filters(None, None, None) is None
    assert parse_filters("기획재정부") == SearchFilters(ministry="기획재정부")


@pytest.mark.parametrize(("date_from", "date_to"), [("어제", ""), ("2025-13-01", ""), ("2025-02-30", ""),
                                                    ("2025-12-01", "2025-01-01")])
def test_parse_filters_rejects_unusable_dates_in_korean(date_from: str, date_to: str) -> None:
    with pytest.raises(FilterError, match="날짜|기간"):
        parse_filters("", date_from, date_to)


def test_chat_with_a_bad_date_explains_instead_of_asking(ui_answerer: Answerer) -> None:
    steps = list(chat(lambda: ui_answerer, BUDGET_QUESTION, [], date_from="내일"))

    assert len(steps) == 1
    history, _, state = steps[0]
    assert "2025-09-01처럼" in history[-1]["content"] and state is None


def test_chat_period_filter_excluding_the_release_abstains(ui_answerer: Answerer) -> None:
    history, _, _ = _final(chat(lambda: ui_answerer, BUDGET_QUESTION, [], date_from="2026-01-01"))

    assert "4,366억원" not in history[-1]["content"].split("가장 가까운", 1)[0]
    assert "<mark>" not in history[-1]["content"]


def test_chat_period_filter_including_the_release_answers(ui_answerer: Answerer) -> None:
    history, _, _ = _final(chat(lambda: ui_answerer, BUDGET_QUESTION, [], ministry="기획재정부",
                                date_from="2025-09-01", date_to="2025-09-30"))

    assert "<mark>" in history[-1]["content"] and "4,366억원" in history[-1]["content"]


def test_record_feedback_stores_question_answer_sources_and_verdict(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    turn = {"question": BUDGET_QUESTION, "answer": "'26년 4,366억원", "sources": [BUDGET_SOURCE, "0016.txt"]}

    note, cleared = record_feedback(lambda: store, turn, "helpful")
    record_feedback(lambda: store, {**turn, "answer": None}, "not_helpful")

    assert note == THANKS["helpful"] and cleared is None
    first, second = store.rows()
    assert (first.question, first.answer, first.sources, first.verdict) == (
        BUDGET_QUESTION, "'26년 4,366억원", [BUDGET_SOURCE, "0016.txt"], "helpful")
    assert second.answer is None and second.verdict == "not_helpful"
    assert first.created_at.endswith("+00:00")


def test_record_feedback_before_any_answer_asks_first(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite")

    assert record_feedback(lambda: store, None, "helpful") == (ASK_FIRST, None)
    assert store.rows() == []


def test_feedback_store_rejects_an_unknown_verdict(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="helpful, not_helpful"):
        FeedbackStore(tmp_path / "f.sqlite").record("q", "a", [], "meh")


def test_feedback_store_defaults_to_the_index_folder_not_a_version(ui_answerer: Answerer, built_index: Path,
                                                                   tmp_path: Path) -> None:
    assert feedback_store(lambda: ui_answerer).path == built_index / "feedback.sqlite"
    assert feedback_store(lambda: ui_answerer, tmp_path / "x.sqlite").path == tmp_path / "x.sqlite"


def test_load_page_lists_ministries_and_latest_releases(ui_answerer: Answerer) -> None:
    page = load_page(lambda: ui_answerer)

    assert page.ministries[0] == ALL_MINISTRIES and "기획재정부" in page.ministries
    assert page.ministries[1:] == sorted(set(page.ministries[1:]))
    assert not page.shows_document
    titles = re.findall(r'<li><a href="\?doc=([^"]+)"', page.recent_html)
    assert titles[0] == "0113.txt" and titles[-1] == "0002.txt"  # newest (2026-04-14) first
    assert "2026년 4월 14일" in page.recent_html


def test_load_page_shows_a_release_with_the_answer_span_marked(ui_answerer: Answerer) -> None:
    text = ui_answerer.index.document(BUDGET_SOURCE).text
    start = text.index("4,366억원")
    page = load_page(lambda: ui_answerer, {"doc": BUDGET_SOURCE, "s": str(start), "e": str(start + 7)})

    assert page.shows_document
    assert '<mark id="briefqa-hit">4,366억원</mark>' in page.document_html
    assert "AI 대전환 릴레이" in page.document_html and "044-215-4530" in page.document_html


def test_load_page_unknown_release_and_missing_index_are_polite(ui_answerer: Answerer) -> None:
    assert DOC_NOT_FOUND in load_page(lambda: ui_answerer, {"doc": "없는.txt"}).document_html
    page = load_page(_no_index, {"doc": BUDGET_SOURCE})
    assert page.ministries == [ALL_MINISTRIES]
    assert INDEX_MISSING in page.recent_html and "var/index" not in page.document_html


def test_build_ui_keeps_the_one_argument_call(ui_answerer: Answerer, tmp_path: Path) -> None:
    assert isinstance(build_ui(lambda: ui_answerer), gr.Blocks)
    assert isinstance(build_ui(lambda: ui_answerer, feedback_path=tmp_path / "f.sqlite"), gr.Blocks)


def test_load_page_renders_the_release_tables_as_tables(ui_answerer: Answerer) -> None:
    text = ui_answerer.index.document(BUDGET_SOURCE).text
    assert "|---" in text and "| 담당 부서" in text  # the parsed release holds a Markdown contact table
    page = load_page(lambda: ui_answerer, {"doc": BUDGET_SOURCE})

    visible = re.sub(r"<[^>]+>", " ", page.document_html)
    assert "<table>" in page.document_html and "<td>기획재정부 산업경제과</td>" in page.document_html
    assert "|---" not in visible and "| 담당 부서" not in visible
    assert "4,366억원" in visible  # the prose around the table is kept


def test_a_quoted_table_row_is_a_table_with_the_answer_marked(ui_answerer: Answerer) -> None:
    text = ui_answerer.index.document(BUDGET_SOURCE).text
    row = text.index("| | | 담당자 | 사무관 | 임동현")
    quote = text[row:text.index("\n", row)]  # one row cut out of its table, as a citation can be
    html = highlight(quote, "044-215-4531")

    assert html.startswith('<div class="briefqa-table"><table>') and "|" not in html
    assert "<td>사무관</td><td>임동현</td><td>(<mark>044-215-4531</mark>)</td>" in html


def test_markdown_escapes_never_reach_the_screen() -> None:
    # a line of ../shared/corpus/briefings/0001.txt as its parser wrote it
    line = "ㅇ 외국인 국내 토지보유는 ‘14년\\~’15년 사이 높은 증가율을 보였으나, ’16년부터 증가율이 둔화되어 안정화되었다."
    html = highlight(line, "’16년")

    assert "\\" not in html and "‘14년~’15년" in html and "<mark>’16년</mark>" in html


def test_a_mark_across_table_cells_stays_well_formed() -> None:
    quote = "| 구 분 | ’19년 말 | ’20년 말 |\n| --- | --- | --- |\n| 면적(천㎡) | 248,666 | 253,347 |"
    html = highlight(quote, "248,666 | 253,347")

    assert "<td><mark>248,666</mark></td><td><mark>253,347</mark></td>" in html
    assert html.count("<mark>") == html.count("</mark>") == 2


def test_a_doubtful_answer_says_so_and_shows_the_passage_first(ui_answerer: Answerer) -> None:
    import dataclasses

    sure = ui_answerer.ask(BUDGET_QUESTION)
    assert sure.text and sure.confidence >= DOUBT_BELOW  # the budget answer is a confident one
    assert DOUBT_NOTE not in render_answer(sure)
    doubtful = render_answer(dataclasses.replace(sure, confidence=DOUBT_BELOW - 0.01))

    assert doubtful.index(DOUBT_NOTE) < doubtful.index("<blockquote>") < doubtful.index("찾은 답 (확인 필요)")
    assert "<strong>4,366억원</strong>" not in doubtful and "briefqa-card-doubtful" in doubtful
