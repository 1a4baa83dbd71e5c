"""Typed answer candidates found in text by position: counts, percents, dates, phones.

Money amounts and the dates and goals that ingest could parse come from the stored facts
(``ingest.facts``, read through ``answer.fact_spans``); the patterns here find what facts do not
hold (a baseline "5% 미만", a count with no goal, a "$" amount, a month-only date) and add the
qualifiers that change a figure's meaning ("5% 미만", "3천여 명", "100일 이내", "최대 10억 원").
Each candidate is a (start, end) span of the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.amounts import YEAR_RE, fold_marks, parse_year

_NUM = r"\d[\d,]*(?:\.\d+)?"
_BIG = r"(?:조|억|만|천|백만|천만|백)"
# Qualifiers kept with a figure, by kind: the words before it and the words after it.
QUALIFIER_BEFORE = {
    "money": r"(?:약|최대|총|연|연간|최소)",
    "percent": r"(?:약|최대|연평균|평균)",
    "count": r"(?:약|최대|총|연간|연평균|최소)",
}
QUALIFIER_AFTER = {
    "money": r"(?:규모|수준|이상|이내|내외|가량|상당)",
    "percent": r"(?:미만|이상|이하|초과|수준|내외|까지)",
    "count": r"(?:이상|이내|이하|미만|내외|가량|여|수준)",
    "date": r"까지",
}
_SIGN = r"[+△▲\-]"
# Ingest parses 원, 달러 and 불 amounts into facts; the other currencies are found here.
FOREIGN_MONEY = re.compile(
    rf"(?:{QUALIFIER_BEFORE['money']}\s*)?{_SIGN}?{_NUM}\s*(?:{_BIG}\s*(?:{_NUM}\s*{_BIG}\s*)*)?\s*(?:\$|유로|엔)"
    rf"(?:\s*{QUALIFIER_AFTER['money']})?"
)
# "+899억", "471억/년": 억 and 조 amounts whose 원 is left out (common in budget lists). A count unit
# or a currency after the figure ("1억 명", "3억 달러", "4,366억원", which ingest parses) rules it out.
BARE_EOK = re.compile(
    rf"(?:{QUALIFIER_BEFORE['money']}\s*)?{_SIGN}?{_NUM}\s*(?:조\s*(?:{_NUM}\s*억)?|억)(?:\s*{_NUM}\s*만)?"
    rf"(?!\s*(?:원|달러|불|유로|엔|\$|\d|[천만]|명|개|건|곳|톤|회|가구|세대|배|마리|그루|대|장|부|권|주|평|kW|MW|GW))"
    rf"(?:\s*{QUALIFIER_AFTER['money']})?"
)
# Table cells in 억원/백만원 units ("| +1,500 |"): bare numbers in a row whose header names the unit.
PERCENT = re.compile(
    rf"(?:{QUALIFIER_BEFORE['percent']}\s*)?{_SIGN}?{_NUM}\s*%\s*(?:p|포인트)?(?:\s*{QUALIFIER_AFTER['percent']})?"
)
_COUNT_UNITS = (
    "개소|개교|개사|개국|개월|개|명|곳|건|회|가구|세대|척|대|톤|배|GW|MW|kW|㎢|㎡|ha|km|일|시간|주|종|점|권|편|차례|기관|팀|호|"
    "필지|그루|마리|가지"
)
COUNT = re.compile(
    rf"(?:{QUALIFIER_BEFORE['count']}\s*)?{_NUM}\s*(?:{_BIG}\s*)?(?:여\s*)?(?:{_COUNT_UNITS})(?!\d)"
    rf"(?:\s*{QUALIFIER_AFTER['count']})?"
)
ARROW = re.compile(rf"{_NUM}\s*(?:{_COUNT_UNITS}|%|{_BIG}?\s*원)?\s*[→⇒]\s*{_NUM}\s*(?:{_BIG}\s*)?(?:{_COUNT_UNITS}|%|원)?")
_MD = r"\d{1,2}\s*월\s*\d{1,2}\s*일"
_DOTTED = r"(?:['’`‘]?\d{2,4}\s*\.\s*)?\d{1,2}\s*\.\s*\d{1,2}(?!\d|\s*월)\s*(?:\.|일(?![가-힣]))?"
_WEEKDAY = r"(?:\s*\([월화수목금토일](?:요일)?\))?"
_TIME = r"(?:\s*\d{1,2}\s*:\s*\d{2})?"
_ONE_DATE = rf"(?:(?:20\d{{2}}\s*년\s*)?{_MD}|{_DOTTED}){_WEEKDAY}{_TIME}"
# A period may end on a month alone ("4월 13일(월)부터 11월까지") or run from month to month
# ("6월부터 9월까지", "지난해 10월부터 올해 3월까지", "(5월~11월)"); a lone month is no date, so
# a month-only end needs "까지" or a month-only start before it.
_YEAR_LEAD = r"(?:(?:(?:20\d{2}|['’`‘]\s?\d{2})\s*[년.]|올해|금년|내년|지난해|작년)\s*)?"
_MONTH_END = rf"{_YEAR_LEAD}\d{{1,2}}\s*월(?=\s*까지)"
# A deadline may name only part of a month or year: "5월초까지", "6월 말까지", "상반기까지", "연내".
_COARSE_END = (rf"(?:{_YEAR_LEAD}\d{{1,2}}\s*월\s*(?:초|중순|하순|상순|말|중)?|{_YEAR_LEAD}(?:상반기|하반기|[1-4]\s*분기)"
               rf"|연내|연말|연초|올해\s*(?:말|안)|금년\s*(?:말|중))(?=\s*까지)")
DATE = re.compile(
    rf"(?:{_ONE_DATE}(?:\s*(?:[~∼〜\-–]|부터)\s*(?:~\s*)?(?:{_ONE_DATE}|\d{{1,2}}\s*일{_WEEKDAY}|{_MONTH_END}))?"
    rf"|{_YEAR_LEAD}\d{{1,2}}\s*월\s*(?:부터\s*{_MONTH_END}|[~∼〜\-–]\s*{_YEAR_LEAD}\d{{1,2}}\s*월(?!\s*\d))"
    rf"|{_COARSE_END}|(?<![\d.월])(?<!월\s)\d{{1,2}}\s*일(?=\s*까지))(?:\s*까지)?"  # "이날부터 30일까지"
)
# A time of day: "08:25경", "오후 2시 30분".
TIME = re.compile(r"(?:(?:오전|오후|새벽|밤)\s*\d{1,2}\s*시(?:\s*\d{1,2}\s*분)?|(?<![\d:])\d{1,2}\s*:\s*\d{2}(?![\d:]))(?:\s*경)?")
PHONE = re.compile(r"0\d{1,2}\)?[\s\-)]?\d{3,4}[\s\-]\d{4}")
# A bare figure in a table cell ("| +2,500 |"), whose unit sits in the table header ("(단위: 억원)").
CELL = re.compile(r"(?<=\|)\s*[+△▲\-]?\d[\d,]*(?:\.\d+)?\s*(?=\|)")
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@ ?[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")  # "kmccvision@ korea.kr" as extracted


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    kind: str  # money, percent, count, date, phone, email, arrow

    def text_of(self, text: str) -> str:
        return text[self.start:self.end]


_PATTERNS = {
    "money": re.compile(f"{FOREIGN_MONEY.pattern}|{BARE_EOK.pattern}"),
    "percent": PERCENT,
    "count": COUNT,
    "arrow": ARROW,
    "date": DATE,
    "time": TIME,
    "phone": PHONE,
    "email": EMAIL,
    "cell": CELL,
}


def find_spans(text: str, kinds: tuple[str, ...], start: int = 0, end: int | None = None) -> list[Span]:
    """All candidate spans of the given kinds in ``text[start:end]``, trimmed of outer spaces."""
    end = len(text) if end is None else end
    spans = []
    for kind in kinds:
        for match in _PATTERNS[kind].finditer(text, start, end):
            s, e = match.span()
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if kind == "count" and (re.search(r"월\s*$", text[max(0, s - 3):s])
                                    or re.fullmatch(r"\d{1,2}\.\d{1,2}\s*일", text[s:e])):
                continue  # the day of "4월 10일" and "4.13일" are dates, not counts
            if e > s and _plausible(kind, text[s:e]):
                spans.append(Span(s, e, kind))
    return spans


def _plausible(kind: str, value: str) -> bool:
    if kind == "date":
        # "84.9" is a decimal, but "5.18일", "4. 19.", "5.12~6.3" and "'28.12.31" are dates.
        return (bool(re.search(r"월|\.\s*\d|반기|분기|연내|연말|연초|올해|금년|^\d{1,2}\s*일\s*까지$", value))
                and not re.fullmatch(r"\d+\.\d+", value.strip()))
    if kind == "count":
        return not re.fullmatch(r"\d{4}\s*년", value.strip())  # a bare year is not a count
    return True


def widen_qualifiers(text: str, span: Span) -> Span:
    """Extend a parsed figure over its sign and qualifiers: "4,366억원" in "최대 4,366억원 규모" → the whole."""
    start, end = span.start, span.end
    before = QUALIFIER_BEFORE.get(span.kind)
    after = QUALIFIER_AFTER.get(span.kind)
    if span.kind in ("money", "percent", "count"):
        sign = re.search(rf"{_SIGN}\s?$", text[max(0, start - 2):start])
        start -= len(sign.group(0)) if sign else 0
    if before:
        lead = re.search(rf"(?<![가-힣]){before}\s*$", text[max(0, start - 6):start])
        start -= len(lead.group(0)) if lead else 0
    if after:
        tail = re.match(rf"\s*{after}", text[end:end + 8])
        end += len(tail.group(0)) if tail else 0
    return Span(start, end, span.kind)


def _year_marks(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Spans of explicit year markers ("'26년", "2026년") in ``text[lo:hi]`` (ingest's year pattern)."""
    pad = max(0, lo - 2)  # the pattern looks behind for a digit, so it sees two characters more
    folded = fold_marks(text[pad:hi])
    return [(pad + m.start(), pad + m.end()) for m in YEAR_RE.finditer(folded, lo - pad)]


def widen_with_year(text: str, span: Span, window: int = 14) -> Span:
    """Include a year marker just before the span ("'30년 40%", "'26년 4,366억원")."""
    best = None
    for start, end in _year_marks(text, max(0, span.start - window), span.start):
        gap = text[end:span.start]
        if len(gap) <= 8 and not re.search(r"[→,·()]|\d", gap):
            best = start
    return Span(best, span.end, span.kind) if best is not None else span


_RELATIVE_YEAR = {"올해": 0, "금년": 0, "당해": 0, "내년": 1, "명년": 1, "작년": -1, "지난해": -1, "전년": -1}
_RELATIVE_MARK = re.compile("|".join(_RELATIVE_YEAR))


def year_before(text: str, pos: int, window: int = 16, published_year: int | None = None) -> int | None:
    """The year a figure at ``pos`` belongs to, from a marker just before it.

    "'26년 4,366억원" → 2026; with the release's year, "올해 32개" → that year and "내년" → the next.
    """
    lo = max(0, pos - window)
    marks = [(e, text[s:e]) for s, e in _year_marks(text, lo, pos)]
    marks += [(m.end(), m.group(0)) for m in _RELATIVE_MARK.finditer(text, lo, pos)]
    near = [(end, mark) for end, mark in marks if pos - end <= 10]
    if not near:
        return None
    found = max(near)[1]
    if found in _RELATIVE_YEAR:
        return published_year + _RELATIVE_YEAR[found] if published_year else None
    return parse_year(found)
