"""Spans that answer who/where/what questions: a person with a title, a place, a named thing.

>>> [text[s:e] for s, e in person_spans(text := "제1호는 우수제품구매과 장성훈 주무관이 선정되었다.")]
['장성훈 주무관']
"""

from __future__ import annotations

import re

_TITLES = (
    "의원|장관|차관|주무관|사무관|연구관|서기관|교수|위원장|대표|원장|청장|처장|총리|대통령|박사|회장|과장|국장|실장|"
    "관장|이사장|소장|단장|본부장|센터장|시장|도지사|군수|구청장|총장|부총리|차관보|대사|작가|감독|선수|"
    "사장|부사장|상무|전무|이사|부장|차장|팀장|위원|경장|경사|경위|경감|경정|총경|가수|배우|아나운서|홍보대사|"
    "조정관|기획조정관|정책관|심의관|담당관|협력관|관리관|기획관|대변인"
)
# A title or role word anywhere in a text ("홍보대사", "국제경제관리관" → "관리관").
ROLE_WORDS = re.compile(rf"(?:{_TITLES})")
# Words that stand before a title without being a name: "신임 과장", "담당 주무관".
_NOT_NAMES = (
    "신임|전임|후임|담당|해당|관계|소속|초대|차기|당시|현직|전직|부처|일선|현장|각급|주무|우리|이번|해외|국내|정부|"
    "기관|민간|관련|지역|상임|비상임|명예|수석|선임|책임|주관|개최|참석|방송|트로트|인기|유명|전문|공동|대표|"
    "여성|남성|최초|신규|청년|외부|내부|본부"
)
# The title may carry a particle ("장성훈 주무관이"), but not run on into another word ("의원회관").
_AFTER_NAME = r"(?=[이은는가을를의께과와도씨]?(?:[\s,.)(]|$))"
# A three-syllable name may touch its title ("홍길동과장"); a two-syllable one needs the space, since
# "외무사무관" and "교육기획과장" are titles, not names.
PERSON = re.compile(rf"(?<![가-힣])(?!(?:{_NOT_NAMES})\s)(?:[가-힣]{{3}}\s?|[가-힣]{{2}}\s)(?:{_TITLES}){_AFTER_NAME}")
# "윤주환 전 한화솔루션 상무": a name, a former post's organisation, then the title.
_FORMER = re.compile(rf"(?<![가-힣])(?!(?:{_NOT_NAMES})\s)([가-힣]{{2,4}})\s(?:전|前|현)\s(?:[가-힣A-Za-z&·]+\s){{0,3}}?(?:{_TITLES}){_AFTER_NAME}")
# "문지성 재정경제부 국제경제관리관은": a name, the ministry, then a compound title.
_NAME_ORG_TITLE = re.compile(rf"(?<![가-힣])(?!(?:{_NOT_NAMES})\s)([가-힣]{{3}})\s(?:[가-힣A-Za-z]+(?:부|청|처|원|위원회|공단|공사)\s){{1,2}}"
                             rf"[가-힣]*(?:{_TITLES}){_AFTER_NAME}")
# "트로트 가수 김다현", "홍보대사인 김다현도": the role first, then a three-syllable name.
_ROLE_FIRST = re.compile(r"(?:가수|배우|홍보대사|아나운서|작가|감독|선수|방송인|개그맨|모델|셰프|사무관|주무관|서기관|연구관)"
                         r"\s?(?:인|이자|겸)?\s"
                         rf"([가-힣]{{3}}){_AFTER_NAME}")
# "□ 성    명 : 박현희": a labelled name in a profile.
_NAME_LABEL = re.compile(r"성\s*명\s*[:：]\s*([가-힣]{2,4})(?![가-힣])")
_PLACE_MARK = re.compile(r"(?:[’'”\"」』]\s*)?(?:에서|에 위치한|을 방문|를 방문|을 찾|를 찾|의 후원|에 소재한|에 있는)")
# "크게 증가한 상황에서", "이 자리에서": 에서 after these says when or how, not where.
_NOT_PLACES = re.compile(r"(?:상황|과정|가운데|측면|분야|부문|차원|단계|시점|결과|경우|속|범위|중|면|데|점|입장|관점|자리|회의|논의)$")
_LEADING_CLAUSE = re.compile(r"(?:[가-힣]+\s+)*?[가-힣]*(?:위해|위하여|통해|하여|하고|해서|하며|으며|면서|이날|오늘)\s+")
# "산업 현장을 찾아": a word that only says "a place" names none.
_BARE_PLACES = frozenset("현장 곳 장소 이곳 그곳 일대 인근 지역 현지".split())
# "장소: 국회 본관", "(일시 및 장소) '26. 4. 9(목) 10:30, 국회 본관": a labelled place.
_PLACE_LABEL = re.compile(r"(?:개최\s*)?(?:일시\s*[및·ㆍ,/]\s*)?장\s?소\s*(?:[)\]】>]\s*[:：]?|[:：])\s*")
_LEADING_WHEN = re.compile(r"[^,\n]*?(?:\d{1,2}\s*:\s*\d{2}|\([월화수목금토일]\)|\d{1,2}\s*일)[^,\n]*?,\s*")
_BOUNDARY = re.compile(r"[,.:;!?\n|]|[은는이가을를]\s")
WHO = re.compile(r"누구|누가|어느\s*분|성함|이름")
WHERE = re.compile(r"어디|어느\s*(?:곳|장소|기관|기업|회사|단체|병원|나라|지역)")
_HEAD = re.compile(r"([가-힣A-Za-z]{2,})\s*(?:은|는|이|가|을|를)\s*(?:무엇|뭐|어디|어떤|누구)")


def person_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """"장성훈 주무관", "김주영 의원": a 2–4 syllable name followed by a title; the name alone when
    a former post ("윤주환 전 한화솔루션 상무") or a role ("가수 김다현") stands beside it."""
    end = len(text) if end is None else end
    spans = [m.span() for m in PERSON.finditer(text, start, end)]
    spans += [m.span(1) for pattern in (_FORMER, _ROLE_FIRST, _NAME_LABEL, _NAME_ORG_TITLE) for m in pattern.finditer(text, start, end)]
    return spans


def labelled_place_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """The value of a "장소" field, after the date and time a "일시 및 장소" field starts with."""
    end = len(text) if end is None else end
    spans = []
    for label in _PLACE_LABEL.finditer(text, start, end):
        line_end = min(x for x in (text.find("\n", label.end()), end) if x >= 0)
        s = label.end()
        if lead := _LEADING_WHEN.match(text, s, line_end):
            s = lead.end()
        e = line_end
        while e > s and text[e - 1] in " .,;|":
            e -= 1
        if 2 <= e - s <= 60:
            spans.append((s, e))
    return spans


def place_spans(text: str, start: int = 0, end: int | None = None, reach: int = 30) -> list[tuple[int, int]]:
    """The words just before "에서", "을 방문", "의 후원" …: where something happened or who backed it."""
    end = len(text) if end is None else end
    spans = []
    for mark in _PLACE_MARK.finditer(text, start, end):
        lo = max(start, mark.start() - reach)
        window = text[lo:mark.start()]
        cut = max((m.end() for m in _BOUNDARY.finditer(window)), default=0)
        if cut == 0 and lo > start:
            space = window.find(" ")
            cut = space + 1 if space >= 0 else 0
        s = lo + cut
        while s < mark.start() and text[s] in " ‘'“\"「『(":
            s += 1
        if lead := _LEADING_CLAUSE.match(text, s, mark.start()):
            s = lead.end()  # "해소하기 위해 HD현대오일뱅크 대산공장을 방문": the place starts after the clause
        words = text[s:mark.start()].split()
        if mark.start() - s >= 2 and not _NOT_PLACES.search(text[s:mark.start()]) and words[-1] not in _BARE_PLACES:
            spans.append((s, mark.start()))
    return spans


def head_noun(question: str) -> str:
    """The noun a what/where question asks about: "추서한 훈장은 무엇인가요" → "훈장"."""
    match = _HEAD.search(question)
    return match.group(1) if match else ""


def named_spans(text: str, head: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Words that end in the asked-about noun but say more ("옥조근정훈장" for "훈장")."""
    if len(head) < 2:
        return []
    end = len(text) if end is None else end
    pattern = re.compile(rf"[가-힣A-Za-z0-9·]+{re.escape(head)}")
    spans = []
    for match in pattern.finditer(text, start, end):
        if match.end() - match.start() <= len(head):
            continue
        # "｢민간건설공사 표준도급계약서｣": a name in title brackets is the whole bracketed title
        opening = max(text.rfind(o, max(start, match.start() - 40), match.start() + 1) for o in _OPENERS)
        closing = min((c for c in (text.find(x, match.end(), min(end, match.end() + 40)) for x in _CLOSERS) if c >= 0),
                      default=-1)
        if opening >= 0 and closing >= 0 and not any(x in text[opening + 1:match.start()] for x in _CLOSERS):
            spans.append((opening + 1, closing))
        else:
            spans.append(match.span())
    return spans


# Title brackets only: "< … 개요 >" in releases captions a section or table, and names nothing.
_OPENERS = ("｢", "「", "『", "《")
_CLOSERS = ("｣", "」", "』", "》")
