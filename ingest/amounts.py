"""Pure parsers for the amounts, years and dates written in Korean press releases.

Each parser takes a short piece of text and returns a small frozen record or ``None``;
``ingest.facts`` uses the regexes below to find candidates in a whole briefing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from core.text import fold

Currency = Literal["KRW", "USD"]

_ACUTE = str.maketrans({"\u00b4": "'"})

# Folded text (core.text.fold) keeps one character per input character and turns every
# apostrophe variant (’ ` ´ ...) into "'" and every tilde variant (∼ ～ ...) into "~".
NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"[십백천]?[만억조]|[십백천]"
_TERM = rf"(?:{NUMBER})\s?(?:{_SCALE})"
_CURRENCY = r"원|달러|불"
AMOUNT_PATTERN = rf"(?<![\d.,])(?:{_TERM}(?:\s?{_TERM})*|(?:{NUMBER}))\s?(?:{_CURRENCY})"
AMOUNT_RE = re.compile(AMOUNT_PATTERN)
_TERM_RE = re.compile(rf"({NUMBER})\s?({_SCALE})?")
_SCALE_VALUES = {"십": 10, "백": 100, "천": 1_000, "만": 10_000, "억": 100_000_000, "조": 1_000_000_000_000}

# '26년, 2026년 (the apostrophe form is the usual short year in releases)
YEAR_PATTERN = r"(?<![\d.])(?:'\s?(\d{2})|((?:19|20)\d{2}))\s?년"
YEAR_RE = re.compile(YEAR_PATTERN)
_RELATIVE_YEARS = {"올해": 0, "금년": 0, "내년": 1, "명년": 1, "작년": -1, "지난해": -1, "전년": -1}

# One date: an optional year ('28. / 2026. / 2026년), then month and day as "4.13." or "4월 13일".
_YEAR_PART = r"(?:'(?P<yy{n}>\d{2})(?:\.\s?|년\s?)?|(?P<yyyy{n}>(?:19|20)\d{2})(?:\.\s?|년\s?))"
_MD_DOTS = r"(?P<m{n}>\d{1,2})\.\s?(?P<d{n}>\d{1,2})(?P<dot{n}>\.|일)?"
_MD_WORDS = r"(?P<wm{n}>\d{1,2})월\s?(?P<wd{n}>\d{1,2})일"
_DAY_ONLY = r"(?P<od{n}>\d{1,2})(?:\.|일)"


def _numbered(pattern: str, n: int) -> str:
    return pattern.replace("{n}", str(n))


def _one_date(n: int) -> str:
    year, words, dots = (_numbered(p, n) for p in (_YEAR_PART, _MD_WORDS, _MD_DOTS))
    return f"(?:{year})?(?:{words}|{dots})"


_WEEKDAY = r"(?:\s?\([월화수목금토일](?:요일)?\))?"
_RANGE_END = f"(?:{_one_date(2)})|{_numbered(_DAY_ONLY, 2)}"
DATE_PATTERN = (
    rf"(?<![\d.,'])(?:{_one_date(1)}){_WEEKDAY}"
    rf"(?:\s?(?:~|부터|-)\s?(?:{_RANGE_END}){_WEEKDAY})?(?![\d%])"
)
DATE_RE = re.compile(DATE_PATTERN)


@dataclass(frozen=True, slots=True)
class Amount:
    """A money amount in the currency's base unit (원 or dollar)."""

    value: float
    currency: Currency

    @property
    def amount_krw(self) -> float | None:
        return self.value if self.currency == "KRW" else None


@dataclass(frozen=True, slots=True)
class DateSpan:
    """A day or a range of days as ISO dates; ``start == end`` for a single day."""

    start: str
    end: str


def fold_marks(text: str) -> str:
    """``core.text.fold`` plus the acute accent (´26.) that NFKC would turn into a space."""
    return fold(text.translate(_ACUTE))


def _to_number(digits: str) -> float:
    return float(digits.replace(",", ""))


def _scale_value(scale: str) -> int:
    value = 1
    for ch in scale:
        value *= _SCALE_VALUES[ch]
    return value


def parse_amount(text: str) -> Amount | None:
    """Parse the first money amount in ``text``.

    >>> parse_amount("1조 6,903억원")
    Amount(value=1690300000000.0, currency='KRW')
    >>> parse_amount("5억 달러")
    Amount(value=500000000.0, currency='USD')
    """
    match = AMOUNT_RE.search(fold_marks(text))
    if match is None:
        return None
    raw = match.group(0)
    currency: Currency = "KRW" if raw.endswith("원") else "USD"
    total = 0.0
    for number, scale in _TERM_RE.findall(raw):
        total += _to_number(number) * (_scale_value(scale) if scale else 1)
    return Amount(value=round(total, 4), currency=currency)


def parse_year(text: str, reference_year: int | None = None) -> int | None:
    """Parse the first year marker in ``text``; ``reference_year`` resolves 올해/내년/작년.

    >>> parse_year("'30년까지 40%")
    2030
    >>> parse_year("내년 상반기", reference_year=2026)
    2027
    """
    folded = fold_marks(text)
    match = YEAR_RE.search(folded)
    relative = None
    if reference_year is not None:
        hits = [(folded.find(word), shift) for word, shift in _RELATIVE_YEARS.items() if word in folded]
        relative = min(hits) if hits else None
    if match is not None and (relative is None or match.start() <= relative[0]):
        short, full = match.groups()
        return 2000 + int(short) if short else int(full)
    if relative is not None and reference_year is not None:
        return reference_year + relative[1]
    return None


def _resolve(groups: dict[str, str | None], n: int, year: int | None) -> tuple[int | None, int, int] | None:
    yy, yyyy = groups.get(f"yy{n}"), groups.get(f"yyyy{n}")
    if yy:
        year = 2000 + int(yy)
    elif yyyy:
        year = int(yyyy)
    month = groups.get(f"wm{n}") or groups.get(f"m{n}")
    day = groups.get(f"wd{n}") or groups.get(f"d{n}")
    if month is None or day is None:
        return None
    return year, int(month), int(day)


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def match_to_span(match: re.Match[str], reference: date | None) -> DateSpan | None:
    """Turn a ``DATE_RE`` match into a span; ``None`` when a year is missing or a day is invalid."""
    groups = match.groupdict()
    default_year = reference.year if reference else None
    first = _resolve(groups, 1, default_year)
    if first is None or first[0] is None:
        return None
    year, month, day = first
    has_year = bool(groups.get("yy1") or groups.get("yyyy1"))
    # A bare "4.13" needs a closing dot, a weekday or a range to count as a date, not a decimal.
    if groups.get("m1") and not (groups.get("dot1") or has_year or "(" in match.group(0) or "~" in match.group(0)):
        return None
    start = _iso(year, month, day)
    if start is None:
        return None
    end = start
    if groups.get("od2"):
        end = _iso(year, month, int(groups["od2"]))  # "4.13.~24." keeps the month
    elif groups.get("m2") or groups.get("wm2"):
        second = _resolve(groups, 2, year)
        if second is not None and second[0] is not None:
            end = _iso(second[0], second[1], second[2])
            # "12.20.~1.10." crosses into the next year
            if end is not None and end < start and not (groups.get("yy2") or groups.get("yyyy2")):
                end = _iso(second[0] + 1, second[1], second[2])
    if end is None or end < start:
        return None
    return DateSpan(start=start, end=end)


def parse_date(text: str, reference: date | None = None) -> DateSpan | None:
    """Parse the first date or date range in ``text``; a missing year comes from ``reference``.

    >>> parse_date("'28.12.31")
    DateSpan(start='2028-12-31', end='2028-12-31')
    >>> parse_date("4. 10.~10. 15.", date(2026, 4, 1))
    DateSpan(start='2026-04-10', end='2026-10-15')
    """
    for match in DATE_RE.finditer(fold_marks(text)):
        span = match_to_span(match, reference)
        if span is not None:
            return span
    return None
