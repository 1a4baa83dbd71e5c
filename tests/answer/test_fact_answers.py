"""Answers taken from the facts stored at ingest: figures cite a fact's span, list questions list every fact."""

from answer.fact_spans import fact_span, is_usable
from answer.question import listed_kind, parse_question
from answer.spans import Span, widen_qualifiers, year_before
from core.text import norm
from index.records import SearchFilters
from ingest.records import Fact

AI_FACTORY = "000_5a375b227c424bcf.txt"


def _check_items_cite_facts(answerer, answer, facts) -> None:  # type: ignore[no-untyped-def]
    """Each item's citation is exactly one of ``facts``: its span, and the release text at that span."""
    spans = {(f.doc_id, f.start, f.end): f for f in facts}
    for item in answer.items:
        c = item.citation
        fact = spans[(c.source, c.start, c.end)]
        assert c.quote == fact.text == answerer.index.document_text(c.source)[c.start:c.end]


def test_budget_answer_cites_the_stored_money_fact(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("내년 스마트공장 지원 예산은 얼마인가요?")
    fact = next(f for f in answerer.index.facts(doc_id=AI_FACTORY, kind="money") if f.text == "4,366억원")
    first = answer.citations[0]
    assert first.source == AI_FACTORY
    assert first.start <= fact.start and fact.end <= first.end
    assert fact.text in answer.text and answer.text in first.quote


def test_target_answer_is_the_goal_of_a_stored_target_fact(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("AI 팩토리 선도사업 공장은 몇 개까지 늘어나나요?")
    goal = next(f for f in answerer.index.facts(doc_id=AI_FACTORY, kind="target") if "500개" in f.text)
    first = answer.citations[0]
    assert "500개" in answer.text and "26개" not in answer.text
    assert first.start <= goal.start and goal.end <= first.end


def test_list_question_returns_every_budget_fact_of_the_release(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("AI 팩토리 현장 간담회 보도자료의 예산 항목을 모두 알려주세요")
    money = [f for f in answerer.index.facts(doc_id=AI_FACTORY, kind="money") if is_usable(f)]
    assert answer.question_type == "list" and len(money) >= 4
    assert [(i.citation.start, i.citation.end) for i in answer.items] == [(f.start, f.end) for f in money]
    _check_items_cite_facts(answerer, answer, money)
    assert len(norm(answer.text)) <= 120 and "4,366억원" in answer.text


def test_ministry_contact_list_returns_only_that_ministrys_contacts(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("AI 팩토리 간담회 보도자료의 산업부 담당자 연락처 전부 알려주세요")
    contacts = answerer.index.facts(doc_id=AI_FACTORY, kind="contact")
    expected = [f for f in contacts if f.attrs["ministry"] == "산업통상자원부"]
    assert len(expected) >= 2 and len(contacts) > len(expected)
    assert [(i.citation.start, i.citation.end) for i in answer.items] == [(f.start, f.end) for f in expected]
    _check_items_cite_facts(answerer, answer, contacts)
    for fact in expected:
        assert fact.attrs["name"] in answer.text and fact.attrs["phone"] in answer.text


def test_ministry_contact_list_without_a_topic_spans_every_release(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("중기부 담당자 연락처 전부 알려주세요")
    expected = {(f.doc_id, f.start) for f in answerer.index.facts(kind="contact")
                if f.attrs.get("ministry") == "중소벤처기업부"}
    got = {(i.citation.source, i.citation.start) for i in answer.items}
    assert len({doc for doc, _ in expected}) >= 2, "the fixture has 중기부 contacts in two releases"
    assert got <= expected and {doc for doc, _ in got} == {doc for doc, _ in expected}
    assert len(norm(answer.text)) <= 120


def test_list_question_scoped_by_sources_lists_that_releases_dates(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("이 보도자료의 일정을 모두 알려주세요", SearchFilters(sources=(AI_FACTORY,)))
    dates = answerer.index.facts(doc_id=AI_FACTORY, kind="date")
    assert answer.items and {i.citation.source for i in answer.items} == {AI_FACTORY}
    _check_items_cite_facts(answerer, answer, dates)
    assert "'28.12.31" in answer.text
    assert all(f.attrs["label"] != "보도" for f in dates if (f.doc_id, f.start, f.end) in
               {(i.citation.source, i.citation.start, i.citation.end) for i in answer.items})


def test_list_question_about_an_unknown_release_abstains(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("화성 탐사선 발사 보도자료의 예산 항목을 모두 알려주세요")
    assert answer.text is None and answer.items == []


def test_enumeration_items_cite_their_place_in_the_clause(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("중기부 추경의 4대 분야를 모두 알려주세요")
    assert answer.question_type == "list" and len(answer.items) >= 2
    for item in answer.items:
        c = item.citation
        assert answerer.index.document_text(c.source)[c.start:c.end] == c.quote == item.text


def test_listed_kind_reads_every_fact_questions_only() -> None:
    assert listed_kind("이 보도자료의 예산 항목을 모두 알려주세요") == "money"
    assert listed_kind("산업부 담당자 연락처 전부") == "contact"
    assert listed_kind("모든 추진 일정을 알려줘") == "date"
    assert listed_kind("사업 목표와 예산을 모두 알려주세요") == "money"
    # Both fields of one person, a total, a list of things that are not facts: not fact lists.
    assert listed_kind("스마트공장 담당자의 이름과 전화번호를 모두 알려주세요") == ""
    assert listed_kind("전체 예산은 어느 정도인가요?") == ""
    assert listed_kind("생명안전 5대 분야를 모두 알려주세요") == ""
    assert parse_question("산업부 담당자 연락처 전부").question_type == "list"
    assert parse_question("산업부 담당자 연락처는?").question_type == "contact"


def test_fact_span_keeps_qualifiers_and_the_goal_value(answerer) -> None:  # type: ignore[no-untyped-def]
    text = answerer.index.document_text(AI_FACTORY)
    goal = next(f for f in answerer.index.facts(doc_id=AI_FACTORY, kind="target") if "500개" in f.text)
    span = fact_span(text, goal)
    assert span is not None and span.kind == "count" and span.text_of(text).startswith("500개")
    # NFKC reads a list marker "② 원…" as "2 원": ingest stores it as money, but it answers nothing.
    marker = Fact("x.txt", "money", "② 원", 0, 3, {"value": 2.0})
    assert not is_usable(marker) and fact_span("② 원활한 지원", marker) is None


def test_qualifiers_and_years_around_a_figure() -> None:
    text = "예산은 '25년 2,361억원→'26년 4,366억원, 최대 10억 원 규모, 현재 5% 미만, 올해 32개"
    at = text.index("10억")
    assert widen_qualifiers(text, Span(at, at + 5, "money")).text_of(text) == "최대 10억 원 규모"
    at = text.index("5%")
    assert widen_qualifiers(text, Span(at, at + 2, "percent")).text_of(text) == "5% 미만"
    assert year_before(text, text.index("4,366")) == 2026
    assert year_before(text, text.index("2,361")) == 2025
    assert year_before(text, text.index("32개"), published_year=2026) == 2026
    assert year_before(text, text.index("32개")) is None
