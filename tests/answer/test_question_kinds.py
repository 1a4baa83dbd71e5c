"""Kinds of questions a held-out set found wrong: amounts without 원, totals, units that must match,
numbered rounds, coarse deadlines, start days, and who/where answers beside a role or in a label.

The end-to-end tests run on an index of five real releases (tests/data/more) that the session index
does not hold: a supplementary budget (0007), an organisational-culture programme (0080), an
appointment (0077), a change of employment-crisis rules (0054) and a bus-lane crackdown (0057).
"""

from pathlib import Path

import pytest

from answer.answerer import NO_ORDINAL, Answerer, _missing_ordinal
from answer.general import labelled_place_spans, person_spans, place_spans
from answer.question import parse_question
from answer.spans import find_spans

BUDGET = "0007.txt"
CULTURE = "0080.txt"
APPOINTMENT = "0077.txt"


@pytest.fixture(scope="module")
def more(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, embedder) -> Answerer:  # type: ignore[no-untyped-def]
    from index.build import ingest_paths
    from index.search import open_index

    index_dir = tmp_path_factory.mktemp("more") / "index"
    report = ingest_paths([data_dir / "more"], index_dir, embedder)
    assert report.ok and len(report.added) == 5, report.failures
    return Answerer(open_index(index_dir, embedder=embedder))


def _spans(text: str, kinds: tuple[str, ...]) -> list[str]:
    return [text[s.start:s.end] for s in find_spans(text, kinds)]


@pytest.mark.parametrize(("text", "amounts"), [
    ("▴고용유지지원금(+186억, 고용보험기금),  ▴체불청산지원융자(+899억, 임금채권기금)", ["+186억", "+899억"]),
    ("유통기업 해외진출 지원사업('26~'28, 471억/년)", ["471억"]),
    ("재정 1조 2,000억 투입", ["1조 2,000억"]),
])
def test_amounts_written_without_won_are_money(text: str, amounts: list[str]) -> None:
    assert _spans(text, ("money",)) == amounts


@pytest.mark.parametrize("text", ["인구 1억 명이 넘는", "수출 3억 달러", "총 4,366억원 규모", "1억회 접종"])
def test_counts_currencies_and_won_amounts_are_not_bare_amounts(text: str) -> None:
    assert _spans(text, ("money",)) == []  # 원 and 달러 amounts are stored facts, not rule spans


@pytest.mark.parametrize(("text", "deadline"), [
    ("TF를 통해 5월초까지 국토부 차원의 세부 지원방안을", "5월초까지"),
    ("6월 말까지 완료할 계획", "6월 말까지"),
    ("'26년 하반기까지 제도를 마련", "'26년 하반기까지"),
])
def test_coarse_deadlines_are_dates(text: str, deadline: str) -> None:
    assert _spans(text, ("date",)) == [deadline]


def test_question_flags_for_kinds_of_asking() -> None:
    assert parse_question("진단법을 쓰면 검사 시간이 얼마나 줄어드나요?").question_type == "target"
    assert parse_question("지원 예산은 얼마나 줄어드나요?").question_type == "budget"
    start = parse_question("현장 재수색은 언제부터 시작되나요?")
    assert start.question_type == "date" and start.asks_start and not start.asks_range
    period = parse_question("감독·점검은 언제부터 언제까지 실시하나요?")
    assert period.asks_range and not period.asks_start
    assert parse_question("지원하는 기관은 모두 몇 곳인가요?").asks_total
    assert not parse_question("신규 조직진단 기관은 몇 곳인가요?").asks_total
    assert parse_question("작년 수익률은 몇 퍼센트였나요?").asks_percent_only
    assert not parse_question("도입률 목표는 얼마인가요?").asks_percent_only


def test_a_numbered_round_must_be_in_the_release() -> None:
    assert _missing_ordinal("CEPA 제4차 공식협상은 언제 열리나요?", "제3차 공식협상을 개최") == NO_ORDINAL.format(ordinal="제4차")
    assert _missing_ordinal("제3차 공식협상은 언제", "제3차 공식협상을 개최") == ""
    assert _missing_ordinal("2차 추경 규모는", "올해 2차 추경안") == ""
    assert _missing_ordinal("3차례 회의에서", "") == ""  # a count of times, not a numbered round


@pytest.mark.parametrize(("text", "names"), [
    ("인사혁신처(처장 최동석)는 윤주환 전 한화솔루션 상무를 산업부 국표원 기술규제협력과장으로 발탁했다", ["윤주환"]),
    ("기술규제협력과장에 엘지전자‧한화솔루션 출신 윤주환 전 상무 임용", ["윤주환"]),
    ("홍보대사로 활동 중인 트로트 가수 김다현도 참석해", ["김다현"]),
    ("제1호는 우수제품구매과 장성훈 주무관이 선정되었다.", ["장성훈 주무관"]),
    ("신임 과장은 국내외 기술 규제 업무를", []),
])
def test_person_spans_beside_a_former_post_or_a_role(text: str, names: list[str]) -> None:
    assert [text[s:e] for s, e in person_spans(text)] == names


def test_labelled_place_fields_and_words_that_are_not_places() -> None:
    text = "□ (일시 및 장소) '26. 4. 9(목) 10:30, 국회 본관(더불어민주당 당대표실)\nㅇ 장소 : 정부세종청사 6동 대회의실\n"
    assert [text[s:e] for s, e in labelled_place_spans(text)] == ["국회 본관(더불어민주당 당대표실)", "정부세종청사 6동 대회의실"]
    assert labelled_place_spans("장소는 추후 공지할 예정") == []
    text = "원료 가격이 크게 증가한 상황에서 상생협약을 맺었다. 서울 코엑스에서 열린 행사"
    assert [text[s:e] for s, e in place_spans(text)] == ["서울 코엑스"]


def test_an_amount_without_won_answers_a_budget_change(more: Answerer) -> None:
    answer = more.ask("추경에서 청년일자리도약장려금은 얼마 늘었나요?")
    assert answer.text is not None and "172억" in answer.text
    assert answer.citations[0].source == BUDGET and answer.text in answer.citations[0].quote


def test_a_round_the_release_does_not_have_abstains(more: Answerer) -> None:
    answer = more.ask("고용노동부 제2회 추경에서 청년일자리도약장려금은 얼마 늘었나요?")
    assert answer.text is None and answer.reason == NO_ORDINAL.format(ordinal="제2회")
    assert more.ask("고용노동부 제1회 추경에서 청년일자리도약장려금은 얼마 늘었나요?").text is not None


def test_a_total_question_gets_the_total_not_the_part(more: Answerer) -> None:
    answer = more.ask("성평등가족부가 올해 단계별 맞춤지원을 하는 기관은 전부 합쳐 몇 곳이에요?")
    assert answer.text is not None and "152개" in answer.text
    part = more.ask("올해 신규로 조직진단을 받는 기관은 몇 개인가요?")
    assert part.text is not None and "58개" in part.text


def test_a_count_question_never_takes_an_amount_of_money(more: Answerer) -> None:
    # 0007 gives the 고용유지지원금 increase only in money: "몇 명" has no answer there.
    answer = more.ask("추경으로 늘어난 고용유지지원금은 몇 명이 받게 되나요?")
    assert answer.text is None or "명" in answer.text


def test_who_question_answers_with_the_name_beside_a_former_post(more: Answerer) -> None:
    answer = more.ask("국가기술표준원 기술규제협력과장으로 발탁된 민간 전문가는 누구예요?")
    assert answer.text == "윤주환"
    assert answer.citations[0].source == APPOINTMENT


@pytest.mark.parametrize(("text", "names"), [
    ("아시아중남미협력담당관실 외무사무관 천병준(02-2079-6856)", ["천병준"]),
    ("처음으로 여성 기획조정관이 임명됐다", []),
    ("박현희 기획조정관은 행정고시 42회로", ["박현희 기획조정관"]),
    ("교육기획과장, 기획재정담당관 등을 거쳐", []),
])
def test_titles_are_not_names_and_a_title_may_come_first(text: str, names: list[str]) -> None:
    assert [text[s:e] for s, e in person_spans(text)] == names


def test_more_question_flags() -> None:
    assert parse_question("금융위人상에서 이용준 사무관이 받은 포상금은 얼마였나요?").question_type == "budget"
    assert parse_question("이용준 사무관 연락처가 어떻게 되나요?").question_type == "contact"
    share = parse_question("우수 등급을 받은 기관 비중은 얼마였나요?")
    assert share.question_type == "target" and share.asks_percent


@pytest.mark.parametrize(("text", "found"), [
    ("의견 청취가 이날부터 30일까지 진행되며", ["30일까지"]),
    ("처리 기한은 최대 30일 이내", []),
])
def test_a_day_alone_is_a_deadline_only_before_kkaji(text: str, found: list[str]) -> None:
    assert _spans(text, ("date",)) == found


def test_an_email_split_by_extraction_is_still_an_email() -> None:
    assert _spans("전자메일(kmccvision@ korea.kr)로 제출", ("email",)) == ["kmccvision@ korea.kr"]


def test_a_phone_beside_the_named_programme_beats_the_general_contact(more: Answerer) -> None:
    # 0007's budget table gives each programme's desk and number; its contact table names other people.
    answer = more.ask("추경 생활안정자금융자 건은 몇 번으로 전화하면 되나요?")
    assert answer.question_type == "contact" and answer.text == "044-202-7562"
    assert answer.citations[0].source == BUDGET


def test_the_noun_after_a_count_says_what_it_counts() -> None:
    from answer.figures import _counted_after

    question = parse_question("대량문자 전송사업자가 충족해야 하는 인증기준은 몇 개 항목인가요?")
    assert question.counted == "항목"
    assert parse_question("세부 이행과제가 몇 개 들어 있나요?").counted == ""  # 들어 is a verb
    assert parse_question("평가 대상을 몇 개 기관으로 넓히나요?").counted == ""  # 기관 only restates the unit
    text = "5개 분야(서류 적정성, 이용자관리의 적정성 등), 16개 항목(이용약관, 부정사용 차단 등)의 인증기준을 충족해야"
    spans = find_spans(text, ("count",))
    assert [(text[s.start:s.end], _counted_after(question, text, s)) for s in spans] == [("5개", 0.0), ("16개", 0.15)]


def test_a_bare_word_for_place_is_no_place_and_a_profile_name_is_a_name() -> None:
    text = "방산 산업 현장을 찾아 점검했다. 불안 우려를 해소하기 위해 HD현대오일뱅크 대산공장을 방문하여"
    assert [text[s:e] for s, e in place_spans(text)] == ["HD현대오일뱅크 대산공장"]
    text = "□ 성    명 : 박현희\n□ 주요경력"
    assert [text[s:e] for s, e in person_spans(text)] == ["박현희"]


def test_who_and_when_words_decide_the_type_over_topic_words() -> None:
    assert parse_question("외국인 증권투자 유치 확대를 위한 자문위원회는 누가 주재했나요?").question_type == "general"
    assert parse_question("주식을 모두 처분한 날은 언제인가요?").question_type == "date"
    assert parse_question("지원 예산을 모두 알려주세요").question_type == "list"


def test_parcels_are_a_count_unit() -> None:
    assert parse_question("1분기에 거래된 토지는 몇 필지였나요?").count_unit == "필지"
    assert _spans("거래량은 약 46.2만 필지(265.4㎢)로 나타났다", ("count",)) == ["약 46.2만 필지", "265.4㎢"]


def test_a_change_is_answered_by_where_it_ends(more: Answerer) -> None:
    # "판단 기간을 12개월에서 6개월로 단축": 12개월 is where the change starts.
    answer = more.ask("고용위기지역 지정요건을 판단하는 기간은 몇 개월로 줄어드나요?")
    assert answer.text is not None and "6개월" in answer.text and "12" not in answer.text


def test_a_count_answer_keeps_the_noun_the_question_names(more: Answerer) -> None:
    answer = more.ask("올해 성평등 조직문화 사업으로 신규 조직진단을 받는 기관은 몇 개인가요?")
    assert answer.text == "58개 기관"


def test_what_time_is_answered_by_a_time_of_day(answerer) -> None:  # type: ignore[no-untyped-def]
    assert _spans("오늘(4.12.) 08:25경, 전남 완도군 냉동창고에서; 오후 2시 30분", ("time",)) == ["08:25경", "오후 2시 30분"]
    answer = answerer.ask("카이스트에서 열린 AI 팩토리 현장 간담회는 몇 시에 열렸나요?")
    assert answer.question_type == "date" and answer.text == "09:30"


def test_a_bracketed_title_is_named_whole_and_the_name_beside_the_asked_role_wins() -> None:
    from answer.general import named_spans

    text = "국토부가 ｢민간건설공사 표준도급계약서｣* 제17조에 따른 불가항력의 사태로 해석"
    assert [text[s:e] for s, e in named_spans(text, "계약서")] == ["민간건설공사 표준도급계약서"]
    text = "문지성 재정경제부 국제경제관리관은 4.13. 정부서울청사에서"
    assert [text[s:e] for s, e in person_spans(text)] == ["문지성"]


def test_a_number_the_question_states_ties_the_figure_after_it() -> None:
    from answer.figures import _condition_before

    question = parse_question("2025년 평가 때 최고점인 5점을 받은 지표는 몇 개인가요?")
    text = "(’25년 평가) 총 56개 지표 중 5점 52개(93%), 4점 4개(7%)"
    spans = [s for s in find_spans(text, ("count",)) if "점" not in text[s.start:s.end]]
    assert [(text[s.start:s.end], _condition_before(question, text, s)) for s in spans] == [
        ("총 56개", 0.0), ("52개", 0.25), ("4개", 0.0)]


def test_a_unit_that_says_what_it_counts_needs_no_noun_in_the_sentence(more: Answerer) -> None:
    # "승차정원미준수 106대, 차종위반 13대, 총 119대 단속하였다": 대 are the vehicles the question asks about.
    answer = more.ask("버스전용차로 합동단속 때 단속된 차량은 모두 몇 대였나요?")
    assert answer.text is not None and "119대" in answer.text
    assert answer.citations[0].source == "0057.txt"
    assert parse_question("관광사업체 융자를 늘리면 전체 융자 규모는 얼마가 되나요?").asks_total
    assert parse_question("지난해까지 누적 몇 명이 발생했나요?").asks_total
