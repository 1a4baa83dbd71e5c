from core.text import norm


def _check_span(answerer, answer) -> None:  # type: ignore[no-untyped-def]
    """The short answer is a span of the first citation, which quotes the document exactly."""
    first = answer.citations[0]
    text = answerer.index.document_text(first.source)
    assert text[first.start:first.end] == first.quote
    assert answer.text in first.quote


def test_budget_question_gets_the_figure_for_the_asked_year(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("내년 스마트공장 지원 예산은 얼마인가요?")
    assert answer.question_type == "budget"
    assert "4,366억원" in answer.text and "2,361" not in answer.text
    assert answer.citations[0].source == "000_5a375b227c424bcf.txt"
    _check_span(answerer, answer)


def test_target_question_gets_deadline_and_value(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("정부는 제조기업 AI 도입률을 언제까지 얼마로 높이겠다고 했나요?")
    assert answer.question_type == "target"
    assert "40%" in answer.text and "'30년" in answer.text
    _check_span(answerer, answer)


def test_contact_question_gets_the_phone_of_the_right_row(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("이번 보도자료를 총괄하는 기획재정부 산업경제과 과장의 연락처를 알려주세요.")
    assert answer.question_type == "contact"
    assert norm(answer.text) == "044-215-4530"
    _check_span(answerer, answer)


def test_contact_question_for_a_department(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("산업재해 고위험 사업장 전수조사는 고용노동부 어느 부서에 문의하면 되나요?")
    assert answer.text is not None and "안전보건감독" in answer.text
    assert answer.citations[0].source == "0087.txt"


def test_question_about_a_year_the_release_does_not_cover_abstains(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("AI 팩토리 사업의 2027년 예산은 얼마인가요?")
    assert answer.text is None
    assert "2027" in answer.reason
    assert answer.passages, "an abstention still shows the closest passages"


def test_unrelated_question_abstains(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("화성 탐사선 발사 예산은 얼마인가요?")
    assert answer.text is None and answer.reason


def test_answer_json_contract(answerer) -> None:  # type: ignore[no-untyped-def]
    data = answerer.ask("내년 스마트공장 지원 예산은 얼마인가요?").to_dict()
    assert set(data) >= {"question", "answer", "answer_type", "citations", "passages"}
    assert set(data["citations"][0]) >= {"source", "title", "date", "ministry", "chunk_id", "start", "end", "quote"}
    assert len(data["passages"]) == 10
    assert set(data["passages"][0]) >= {"source", "chunk_id", "score", "text"}


def test_where_question_gets_the_place(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("AI 팩토리 현장 간담회는 어디에서 열렸나요?")
    places = ("대전시 유성구 카이스트(KAIST) AI 팩토리 랩(AI Factory Lab)", "대전시 유성구 카이스트 AI 팩토리 랩")
    # the place, whole or a part that names it ("대전시 유성구", "AI 팩토리 랩"), never the date beside it
    assert answer.text is not None and len(answer.text) >= 5 and any(answer.text in p for p in places)
    assert len(answer.text) <= 60
    _check_span(answerer, answer)


def test_date_question_gets_the_deadline(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("중소기업 스마트공장 사업용 자산 가속상각 제도는 언제까지 적용되나요?")
    assert answer.question_type == "date"
    assert "'28.12.31" in answer.text
    _check_span(answerer, answer)


def test_count_of_something_no_sentence_names_abstains(answerer) -> None:  # type: ignore[no-untyped-def]
    # The release counts companies and graduate schools, never journalists: no count answers this.
    answer = answerer.ask("AI 팩토리 현장 간담회에 참석한 기자는 몇 명인가요?")
    assert answer.text is None


def test_count_question_keeps_counts_of_the_named_thing(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask("AI 팩토리 선도사업 공장은 몇 개까지 늘어나나요?")
    assert answer.text is not None and "500개" in answer.text
    _check_span(answerer, answer)


def test_relative_year_looks_past_a_release_without_that_year(answerer) -> None:  # type: ignore[no-untyped-def]
    # 0016.txt (2026) holds a 스마트공장 table but nothing for 2027; the 2025 release's "내년" is '26년.
    answer = answerer.ask("내년 스마트공장 예산은 얼마예요?")
    assert answer.text is not None and "4,366억원" in answer.text
    assert answer.citations[0].source == "000_5a375b227c424bcf.txt"
    _check_span(answerer, answer)
