"""Understanding a question: its type, the years it asks about, and the terms that must be covered."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from answer.records import QuestionType
from core.text import nfkc
from index.keyword import tokenize

_CONTACT = re.compile(r"연락처|전화|번호|이메일|메일|문의|담당\s*(?:부서|자|과)|어느\s*(?:부서|과|팀)|부서|책임자|담당자|주무관|사무관|연구관|누구에게")
_REACH = re.compile(r"연락|전화|번호|이메일|메일|문의|누구|어느\s*(?:부서|과|팀)|부서(?:는|가|를|에)")
_LIST = re.compile(r"모두|전부|모든|각각|목록|나열|어떤\s*것들")
_DATE = re.compile(r"언제|며칠|날짜|기간|일정|마감|기한|시행일|몇\s*월|몇\s*일(?!간)|몇\s*시(?!간)")
_BUDGET = re.compile(r"예산|사업비|금액|얼마|억\s*원|지원금|자금|규모|보조금|결산|재원|출연|투자|납품대금|지원액")
_TARGET = re.compile(r"목표|몇\s*(?:개|명|곳|개소|개교|배|건|가구|%|퍼센트|점|종|필지|그루|마리)|늘리|확대|줄이|감축|높이|달성|수준|몇\s*개\s*기관|도입률|비율|비중"
                     r"|얼마나\s*(?:더\s*)?(?:줄어|줄|단축|감소|향상|개선|낮아|짧아|빨라)")  # "시간이 얼마나 줄어드나요": 83%
_PERCENT_ASK = re.compile(r"퍼센트|%|비율|비중|증가율|감소율|점유율|몇\s*배")

# Question words and function words that say nothing about which release answers it.
GENERIC_TERMS = frozenset(
    "얼마 무엇 언제 어디 누구 어느 알리 주다 하다 되다 있다 없다 가운데 관련 대하 경우 이번 해당 통하 위하 "
    "정부 예산 규모 목표 연락처 연락 전화 번호 문의 부서 담당 내용 기간 날짜 일정 모두 전부 어떻 몇 개 명 "
    "올해 내년 작년 지난해 금년 현재 계획 정하 밝히 잡히 늘어나 늘 나오 가능 이메일 주소 과장 사무관 주무관 "
    "정도 수준 어느 얼마나 무엇인가 알려 주세요 누구인가".split()
)

# "Every fact of a kind" list questions: "예산 항목을 모두", "담당자 연락처 전부", "모든 일정".
_LISTED_NOUNS = {
    "money": r"예산|금액|사업비|재원|지원금|지원액|투자액",
    "target": r"목표치|목표|성과\s*지표",
    "contact": r"연락처|담당자|담당\s*부서|문의처|전화\s*번호|책임자",
    "date": r"일정|날짜|기한|마감일|일자",
}
_LISTED_TAIL = r"(?:\s*(?:항목|내역|전체|목록|명단|리스트|현황))*(?:들)?\s*(?:을|를|은|는|이|가|도)?\s*"
_LISTED_ALL = r"(?:모두|전부|빠짐없이|다\s*(?:알려|보여|나열|정리|말해)|목록|명단|나열|리스트)"
# "이름과 전화번호를 모두": both fields of one person, not every contact.
_FIELD_PAIR = re.compile(r"(?:이름|성함|전화\s*번호|번호|이메일|연락처|부서|직급|직위)\s*(?:와|과|및|,|하고|랑)\s*"
                         r"(?:[가-힣]+\s*)?(?:이름|성함|전화\s*번호|번호|이메일|연락처|부서|직급|직위)")


def listed_kind(text: str) -> str:
    """The fact kind a question asks to list in full ("money", "target", "contact", "date"), or "".

    >>> listed_kind("이 보도자료의 예산 항목을 모두 알려주세요")
    'money'
    >>> listed_kind("담당자 이름과 전화번호를 모두 알려주세요")
    ''
    """
    q = nfkc(text)
    if re.search(r"몇|얼마|어느\s*정도", q) or _FIELD_PAIR.search(q):
        return ""
    best, best_end = "", -1
    for kind, nouns in _LISTED_NOUNS.items():
        for match in re.finditer(rf"(?:{nouns}){_LISTED_TAIL}{_LISTED_ALL}|(?:모든|각)\s*(?:[가-힣]+\s*){{0,2}}?(?:{nouns})", q):
            if match.end() > best_end:  # the noun nearest the list word: "사업 목표와 예산을 모두" → 예산
                best, best_end = kind, match.end()
    return best


_YEAR_FULL = re.compile(r"(20\d{2})\s*년")
_YEAR_SHORT = re.compile(r"['’`‘]\s?(\d{2})\s*년")
_RELATIVE = {"내년": 1, "다음 해": 1, "올해": 0, "금년": 0, "이번 해": 0, "작년": -1, "지난해": -1, "전년": -1}


@dataclass(frozen=True, slots=True)
class Question:
    """A parsed question. ``years`` are explicit; ``relative_year`` (e.g. +1 for 내년) needs a release date."""

    text: str
    question_type: QuestionType
    tokens: list[str] = field(default_factory=list)
    key_terms: list[str] = field(default_factory=list)
    years: tuple[int, ...] = ()
    relative_year: int | None = None
    asks_percent: bool = False
    asks_percent_only: bool = False  # "몇 퍼센트", "몇 %": nothing but a percent answers
    asks_total: bool = False  # "모두 몇 곳", "총 얼마": the total, not a part of it
    asks_deadline: bool = False
    asks: str = ""  # contact sub-kind: phone, email, department, name
    focus: str = ""  # the noun a figure question counts or prices: "교육생은 몇 명" → "교육생"
    count_unit: str = ""  # the unit a count question names: "몇 명" → "명", "몇 개 기관" → "개"
    counted: str = ""  # the noun a count question counts after its unit: "몇 개 항목" → "항목"
    asks_change: bool = False  # "얼마나 더 늘었나요": the increase, not the level
    asks_current: bool = False  # "현재 ... 어느 정도": the baseline, not the goal
    asks_range: bool = False  # "언제부터 언제까지", "기간": a period, not one day
    asks_start: bool = False  # "언제부터 시작되나요": the first day, not the last
    asks_time: bool = False  # "몇 시쯤 발생했나요": a time of day, not a date
    quoted: tuple[str, ...] = ()  # phrases the question quotes: '초고위험 사업장'
    event: str = ""  # what a date question asks the time of: "참가 신청은 언제까지" → "신청"
    lists: str = ""  # the fact kind a list question asks for in full ("money", "contact", ...), or ""


def classify_question(text: str) -> QuestionType:
    """The question's type, by the kind of answer it asks for.

    >>> classify_question("내년 스마트공장 지원 예산은 얼마인가요?")
    'budget'
    """
    q = nfkc(text)
    # "예보 담당자 초청연수 기간은 언제인가요": a when-question that names a 담당자 without asking how to reach one
    asks_when_only = bool(re.search(r"언제|며칠", q)) and not _REACH.search(q)
    # "이용준 사무관의 포상금은 얼마": a person named by title in a how-much question is no contact request
    asks_figure_only = bool(re.search(r"얼마|몇", q)) and not _REACH.search(q)
    if _CONTACT.search(q) and not re.search(r"몇\s*(?:명|개)", q) and not asks_when_only and not asks_figure_only:
        return "contact"
    if _LIST.search(q) and not re.search(r"몇|얼마|언제|며칠|어디|누구|누가", q):
        return "list"  # not "주식을 모두 처분한 날은 언제": there 모두 qualifies the act
    if re.search(r"누가|누구|어디|어느\s*(?:분|곳|기관|회사|기업|단체|나라|지역)", q) and not re.search(r"몇|얼마|언제|며칠", q):
        return "general"  # "…확대를 위한 자문위원회는 누가 주재": who, whatever the topic words say
    # "판단 기간은 몇 개월로 줄어드나요": the length of a period is a figure, not a date
    if _DATE.search(q) and not re.search(r"언제까지\s*(?:얼마|몇)|수준|줄이|줄어|늘어|단축|몇\s*(?:개월|년|주|일간)", q):
        return "date"
    if _TARGET.search(q) and not re.search(r"예산|사업비|억\s*원", q):
        return "target"
    if _BUDGET.search(q):
        return "budget"
    if re.search(r"몇|얼마", q):
        return "target"
    return "general"


def _contact_asks(q: str) -> str:
    if re.search(r"이메일|메일", q):
        return "email"
    if re.search(r"전화|번호|연락처", q):
        return "phone"
    if re.search(r"누구|이름|성명", q):
        return "name"
    if re.search(r"부서|어느\s*과|어디", q):
        return "department"
    return "name"


_COUNT_UNIT = re.compile(r"몇\s*(개소|개교|개사|개국|개월|개|명|곳|건|회|가구|세대|척|대|톤|배|일|년|종|기관|점|마리|그루|가지|필지|필)")
_CHANGE = re.compile(r"더\s*늘|늘었|증가(?:했|한|폭|분)|증액|얼마나\s*더|추가로|대비\s*얼마")
_CURRENT = re.compile(r"현재|지금|현황")
# "언제부터 언제까지" asks for a period; "언제부터 시작되나요" for the day it starts.
_RANGE = re.compile(r"언제부터\s*언제|부터\s*언제|기간|며칠간|일정")
_NOT_FOCUS = frozenset("대비 최대 최소 연평균 연간 곳 총 전체 정부안 과정".split())
_FOCUS = re.compile(r"([가-힣A-Za-z]{2,})\s*(?:은|는|이|가|을|를)?\s*"
                    r"(?:(?:모두|총|전체|전부|통틀어|다|합쳐서|합쳐|합해서|합하면|올해|작년|내년)\s*)*(?:몇|얼마)")


def _focus(q: str) -> str:
    match = _FOCUS.search(q)
    if not match:
        return ""
    word = re.sub(r"(?:으로|로|보다|은|는|이|가|을|를)$", "", match.group(1))
    if word in GENERIC_TERMS or word in ("목표", "규모", "예산", "수", "인원", "대상", "범위"):
        # "완주자 목표를 몇 명으로": the generic head says less than the word before it
        before = re.findall(r"([가-힣A-Za-z]{2,})\s*$", q[: match.start(1)])
        word = re.sub(r"(?:의|은|는|이|가|을|를)$", "", before[0]) if before else ""
        if word and not _is_noun(before[0]):
            return ""  # "판단하는 기간은 몇 개월": a verb before the generic head names nothing counted
    stem = tokenize(word)
    if len(word) < 2 or not stem or any(t in GENERIC_TERMS or t in _NOT_FOCUS for t in stem):
        return ""
    return word


_COUNTER_NOUNS = frozenset("기관 곳 개소 업체 기업 단체 사람 인원 가구 세대".split())
_COUNTED = re.compile(r"몇\s*(?:개|곳|명|건|종)\s+([가-힣]{2,})")


def _is_noun(word: str) -> bool:
    from ingest.sentences import kiwi

    # "교육생의" is a noun with its particle; "판단하는" (판단 + 하 + 는) is a verb form.
    tokens = kiwi().tokenize(word)
    return bool(tokens) and all(t.tag.startswith(("NN", "SL", "SN", "XPN", "XSN", "J")) for t in tokens)


def _counted(q: str) -> str:
    """"인증기준은 몇 개 항목인가요" → "항목": the noun right after "몇 개", less its ending."""
    match = _COUNTED.search(q)
    if not match:
        return ""
    from ingest.sentences import kiwi

    tokens = kiwi().tokenize(match.group(1))
    if not tokens or not tokens[0].tag.startswith("NN"):
        return ""  # "몇 개 들어 있나요": a verb, not the counted thing
    word = tokens[0].form
    # "몇 개 기관으로": 기관, 곳, 업체 only restate the unit; they single out no figure
    return "" if word in GENERIC_TERMS or word in _COUNTER_NOUNS or len(word) < 2 else word


_EVENT = re.compile(r"([가-힣A-Za-z]{2,})\s*(?:은|는|이|가|을|를|의)?\s*(?:언제|며칠|몇\s*월|기간|일정|마감)")
_ACT_AFTER = re.compile(r"(?:언제|며칠)\s*(?:부터|까지)?\s*(신청|접수|모집|공모|응모)")


def _event(q: str) -> str:
    """The act a date question asks about: an application verb after 언제 ("언제까지 신청"),
    else the noun just before the question word ("공모전은 언제까지")."""
    if act := _ACT_AFTER.search(q):
        return act.group(1)
    match = _EVENT.search(q)
    if not match:
        return ""
    word = re.sub(r"(?:은|는|이|가|을|를|의)$", "", match.group(1))
    return "" if word in GENERIC_TERMS or len(word) < 2 else word


def parse_question(text: str) -> Question:
    q = nfkc(text)
    years = {int(y) for y in _YEAR_FULL.findall(q)} | {2000 + int(y) for y in _YEAR_SHORT.findall(q)}
    relative = next((delta for word, delta in _RELATIVE.items() if word in q), None)
    tokens = tokenize(q)
    key_terms = [t for t in dict.fromkeys(tokens) if t not in GENERIC_TERMS and not t.isdigit()]
    qtype = classify_question(q)
    lists = listed_kind(q)
    return Question(
        text=text,
        question_type="list" if lists else qtype,
        tokens=tokens,
        key_terms=key_terms,
        years=tuple(sorted(years)),
        relative_year=relative,
        asks_percent=bool(_PERCENT_ASK.search(q)),
        asks_percent_only=bool(re.search(r"몇\s*(?:퍼센트|%|프로(?![가-힣]))", q)),
        asks_total=bool(re.search(r"(?:모두|총|전체|합계|통틀어|합쳐|합하면|누적)\s*(?:[가-힣]+\s*){0,3}?(?:몇|얼마)", q)),
        asks_deadline=bool(re.search(r"언제까지|까지", q)),
        asks=_contact_asks(q) if qtype == "contact" else "",
        focus=_focus(q) if qtype in ("budget", "target", "general") else "",
        count_unit=(m.group(1) if (m := _COUNT_UNIT.search(q)) else ""),
        counted=_counted(q),
        asks_change=bool(_CHANGE.search(q)),
        asks_current=bool(_CURRENT.search(q)),
        asks_range=bool(_RANGE.search(q)),
        asks_time=bool(re.search(r"몇\s*시(?!간|간대|대)|몇시", q)),
        asks_start=bool(re.search(r"언제부터|부터\s*(?:인가|이에요|예요|인지)", q)) and not _RANGE.search(q),
        event=_event(q) if qtype == "date" else "",
        quoted=tuple(p.strip() for p in re.findall(r"['‘“\"「]([^'’”\"」]{2,40})['’”\"」]", q) if p.strip()),
        lists=lists,
    )
