"""Spans that answer who/where/what questions: a person with a title, a place, a named thing.

>>> [text[s:e] for s, e in person_spans(text := "제1호는 우수제품구매과 장성훈 주무관이 선정되었다.")]
['장성훈 주무관']
"""

from __future__ import annotations

import re

_TITLES = (
    "의원|장관|차관|주무관|사무관|연구관|서기관|교수|위원장|대표|원장|청장|처장|총리|대통령|박사|회장|과장|국장|실장|"
    "관장|이사장|소장|단장|본부장|센터장|시장|도지사|군수|구청장|총장|부총리|차관보|대사|작가|감독|선수"
)
# The title may carry a particle ("장성훈 주무관이"), but not run on into another word ("의원회관").
PERSON = re.compile(rf"(?<![가-힣])([가-힣]{{2,4}})\s?(?:{_TITLES})(?=[이은는가을를의께과와도]?(?:[\s,.)(]|$))")
_PLACE_MARK = re.compile(r"(?:[’'”\"」』]\s*)?(?:에서|에 위치한|을 방문|를 방문|을 찾|를 찾|의 후원|에 소재한|에 있는)")
_BOUNDARY = re.compile(r"[,.:;!?\n|]|[은는이가을를]\s")
WHO = re.compile(r"누구|누가|어느\s*분|성함|이름")
WHERE = re.compile(r"어디|어느\s*(?:곳|장소|기관|기업|회사|단체|병원|나라|지역)")
_HEAD = re.compile(r"([가-힣A-Za-z]{2,})\s*(?:은|는|이|가|을|를)\s*(?:무엇|뭐|어디|어떤|누구)")


def person_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """"장성훈 주무관", "김주영 의원": a 2–4 syllable name followed by a title."""
    end = len(text) if end is None else end
    return [m.span() for m in PERSON.finditer(text, start, end)]


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
        if mark.start() - s >= 2:
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
    return [m.span() for m in pattern.finditer(text, start, end) if m.end() - m.start() > len(head)]
