"""Deadline and period questions: the end of a period, month-only periods, the act asked about."""

import pytest

from answer.evidence import key_weights, segments_of
from answer.question import parse_question
from answer.spans import find_spans

SAFETY = "0087.txt"
FOREST = "0046.txt"
SPAM = "0113.txt"


def _dates(text: str) -> list[str]:
    return [text[s.start:s.end] for s in find_spans(text, ("date",))]


@pytest.mark.parametrize(("text", "period"), [
    ("참진드기 발생 감시를 4월 13일(월)부터 11월까지 실시한다.", "4월 13일(월)부터 11월까지"),
    ("오는 6월부터 9월까지 권역별 설명회를 개최하고", "6월부터 9월까지"),
    ("지난해 10월부터 올해 3월까지 파쇄 면적만", "지난해 10월부터 올해 3월까지"),
    ("초고위험 등 3만개소 감독·점검(5월~11월) ]", "5월~11월"),
    ("참가자 모집을 4월 13일(월)부터 24일(금)까지 실시한다.", "4월 13일(월)부터 24일(금)까지"),
    ("☞ (신청기간) `26. 4월~12월  (신청방법) 온라인", "`26. 4월~12월"),
])
def test_period_spans_include_a_month_only_end(text: str, period: str) -> None:
    assert _dates(text) == [period]


@pytest.mark.parametrize("text", ["결과 분석을 통해 5월부터 감독·점검 실시", "6월 중 제2회 시상식을 개최할 예정",
                                  "☞ (신청기간) `26.4월중  (신청방법)"])
def test_a_lone_month_is_no_date(text: str) -> None:
    assert _dates(text) == []


def test_period_question_with_month_only_ends_gets_both_ends(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("초고위험 사업장 감독·점검은 언제부터 언제까지 실시하나요?")
    assert answer.question_type == "date"
    assert answer.text is not None and "5월" in answer.text and "11월" in answer.text
    assert answer.citations[0].source == SAFETY
    assert answer.text in answer.citations[0].quote


def test_deadline_question_naming_an_act_without_a_dated_act_falls_back(answerer) -> None:  # type: ignore[no-untyped-def]
    # 0046 names 신청 only for the paper certificate, with no date: the period's end still answers.
    answer = answerer.ask("명품숲길 50선 완주 인증제는 언제까지 신청할 수 있나요?")
    assert answer.text is not None and "11월 15일" in answer.text
    assert answer.citations[0].source == FOREST


def test_question_term_without_dot_matches_dotted_release_text(answerer) -> None:  # type: ignore[no-untyped-def]
    question = parse_question("불법 스팸 대응 민관 협의체에 참여하는 기관은 어디인가요?")
    hits = answerer.index.search(question.text, 5, None)
    weights = key_weights(answerer.index, question)
    segments = segments_of(answerer.index, question, hits, weights)
    text = answerer.index.document_text(SPAM)
    matched = {text[s:e] for seg in segments if seg.hit.chunk.doc_id == SPAM for s, e in seg.matched}
    assert matched & {"민‧관", "민·관"}
