"""Term matching: through middle dots, and the application act's near-synonyms (신청·접수·모집·공모)."""

from answer.question import parse_question
from answer.terms import SYNONYM_CREDIT, contains, find_term, names_act, related_terms, term_credit
from core.text import fold


def test_find_term_ignores_middle_dots_and_keeps_offsets() -> None:
    text = "특히, 중‧고생 답사단의 안전을 위해"
    spans = find_term(fold(text), "중고생")
    assert [text[s:e] for s, e in spans] == ["중‧고생"]


def test_find_term_takes_a_dotted_question_term_too() -> None:
    text = "모집 대상은 중고등학생 830명과 교사 13명으로"
    assert [text[s:e] for s, e in find_term(fold(text), "중·고등학생")] == ["중고등학생"]


def test_contains_ignores_dots_on_both_sides_only() -> None:
    assert contains(fold("불법스팸 대응 민‧관 협의체 참여기관"), "민관")
    assert contains(fold("불법스팸 대응 민·관 협의체 참여기관"), "민관")
    assert not contains(fold("민원 관리 협의체"), "민관")


def test_related_terms_swap_only_the_act_word() -> None:
    assert set(related_terms("참가신청")) == {"참가모집", "참가접수", "참가공모", "참가응모"}
    assert "신청" not in related_terms("신청")
    assert related_terms("발굴캠프") == ()
    assert related_terms("공모전") == ()  # a compound's stem earns nothing


def test_term_credit_gives_a_synonym_less_than_the_term_itself() -> None:
    text = "참가자 모집을 4월 13일(월)부터 24일(금)까지 실시한다."
    credit, spans = term_credit(fold(text), "신청")
    assert credit == SYNONYM_CREDIT < 1.0
    assert [text[s:e] for s, e in spans] == ["모집"]
    assert term_credit(fold(text), "모집")[0] == 1.0
    assert term_credit(fold(text), "발굴")[0] == 0.0


def test_names_act() -> None:
    assert names_act(fold("생각 공모는 4. 13.(월)~4. 19.(일)까지 진행되며"))
    assert not names_act(fold("『2026 여름 발굴캠프』를 7월 1일(수)부터 16일(목)까지 총 12일간 운영하며"))


def test_date_question_event_is_the_act_asked_about() -> None:
    assert parse_question("'2026 여름 발굴캠프' 참가 신청은 언제까지 받나요?").event == "신청"
    assert parse_question("윤리경영 자율준수 프로그램 지원 사업은 언제까지 신청할 수 있나요?").event == "신청"
    assert parse_question("참진드기 발생 감시는 언제부터 언제까지 실시하나요?").event == "감시"
    assert parse_question("내년 스마트공장 지원 예산은 얼마인가요?").event == ""


def test_when_question_naming_a_staff_role_is_a_date_question() -> None:
    assert parse_question("기상청 외국 기상예보 담당자 초청연수 기간은 언제인가요?").question_type == "date"
    assert parse_question("기상청 초청연수 담당자 연락처는 무엇인가요?").question_type == "contact"
    assert parse_question("초청연수는 언제 열리나요? 담당자에게 전화하려면 번호는?").question_type == "contact"
