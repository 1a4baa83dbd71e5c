"""Tests of the amount, year and date parsers in ingest.amounts."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.amounts import Amount, DateSpan, parse_amount, parse_date, parse_year


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4,366억원", Amount(436_600_000_000, "KRW")),
        ("1조 6,903억원", Amount(1_690_300_000_000, "KRW")),
        ("10조원", Amount(10_000_000_000_000, "KRW")),
        ("6.8만원", Amount(68_000, "KRW")),
        ("5억불", Amount(500_000_000, "USD")),
        ("5억 달러", Amount(500_000_000, "USD")),
        ("6,848백만원", Amount(6_848_000_000, "KRW")),
        ("6,848 백만원", Amount(6_848_000_000, "KRW")),
        ("115억 원", Amount(11_500_000_000, "KRW")),
        ("3천만원", Amount(30_000_000, "KRW")),
        ("총 787억원 규모의 추가경정예산", Amount(78_700_000_000, "KRW")),
    ],
)
def test_parse_amount_reads_korean_units(text: str, expected: Amount) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["", "40%", "500개", "'26년", "원"])
def test_parse_amount_without_money_returns_none(text: str) -> None:
    assert parse_amount(text) is None


def test_amount_krw_is_none_for_dollars() -> None:
    assert parse_amount("5억불").amount_krw is None  # type: ignore[union-attr]
    assert parse_amount("5억원").amount_krw == 500_000_000  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("'26년", 2026), ("’26년", 2026), ("`26년", 2026), ("2026년", 2026), ("'30년까지", 2030), ("’ 26 년 예산", 2026)],
)
def test_parse_year_reads_short_and_full_years(text: str, expected: int) -> None:
    assert parse_year(text) == expected


def test_parse_year_resolves_relative_words_with_reference() -> None:
    assert parse_year("올해 예산", reference_year=2026) == 2026
    assert parse_year("내년 상반기", reference_year=2026) == 2027
    assert parse_year("내년 상반기") is None


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("'28.12.31", "2028-12-31", "2028-12-31"),
        ("2026. 4. 13.", "2026-04-13", "2026-04-13"),
        ("4.13.", "2026-04-13", "2026-04-13"),
        ("4월 10일", "2026-04-10", "2026-04-10"),
        ("4. 10.~10. 15.", "2026-04-10", "2026-10-15"),
        ("5.12~6.3", "2026-05-12", "2026-06-03"),
        ("(4.13.~24.)", "2026-04-13", "2026-04-24"),
        ("´26. 4.27.~5. 8.", "2026-04-27", "2026-05-08"),
        ("4월 13일(월)부터 4월 24일(금)까지", "2026-04-13", "2026-04-24"),
        ("12.20.~1.10.", "2026-12-20", "2027-01-10"),
        ("2016. 9. 3. ~ 2025. 8. 21.", "2016-09-03", "2025-08-21"),
    ],
)
def test_parse_date_returns_iso_span(text: str, start: str, end: str) -> None:
    assert parse_date(text, date(2026, 4, 13)) == DateSpan(start, end)


@pytest.mark.parametrize("text", ["84.9%", "1.1만명", "3.51억 원", "0.9~1.2", "13.45"])
def test_parse_date_ignores_decimals(text: str) -> None:
    assert parse_date(text, date(2026, 4, 13)) is None


def test_parse_date_without_year_or_reference_returns_none() -> None:
    assert parse_date("4월 10일", None) is None
    assert parse_date("'28.12.31", None) == DateSpan("2028-12-31", "2028-12-31")


@settings(max_examples=200, deadline=None)
@given(eok=st.integers(min_value=1, max_value=9_999))
def test_eok_amount_round_trips(eok: int) -> None:
    assert parse_amount(f"{eok:,}억원") == Amount(eok * 100_000_000, "KRW")


@settings(max_examples=200, deadline=None)
@given(jo=st.integers(min_value=1, max_value=999), eok=st.integers(min_value=1, max_value=9_999), space=st.sampled_from(["", " "]))
def test_jo_eok_amount_round_trips(jo: int, eok: int, space: str) -> None:
    parsed = parse_amount(f"{jo}조{space}{eok:,}억{space}원")
    assert parsed == Amount(jo * 1_000_000_000_000 + eok * 100_000_000, "KRW")


@settings(max_examples=100, deadline=None)
@given(yy=st.integers(min_value=0, max_value=99), mark=st.sampled_from(["'", "’", "‘", "`", "´"]))
def test_short_year_is_twenty_first_century(yy: int, mark: str) -> None:
    assert parse_year(f"{mark}{yy:02d}년") == 2000 + yy


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_full_date_round_trips(day: date) -> None:
    written = f"{day.year}. {day.month}. {day.day}."
    assert parse_date(written, None) == DateSpan(day.isoformat(), day.isoformat())


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parsers_never_raise(text: str) -> None:
    parse_amount(text)
    parse_year(text, 2026)
    parse_date(text, date(2026, 4, 13))
