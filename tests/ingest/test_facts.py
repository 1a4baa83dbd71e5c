"""Tests of extract_facts on real briefings in tests/data (briefings/ and facts/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.facts import extract_facts
from ingest.records import Fact

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def _manifest() -> dict[Path, str]:
    dates = {}
    for folder in ("briefings", "facts"):
        for line in (DATA_DIR / folder / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            dates[DATA_DIR / folder / row["file"]] = row["date"]
    return dates


MANIFEST = _manifest()


def _facts(name: str) -> tuple[str, list[Fact]]:
    path = next(p for p in MANIFEST if p.name == name)
    text = path.read_text(encoding="utf-8")
    return text, extract_facts(name, text, MANIFEST[path])


def _contacts(facts: list[Fact]) -> dict[str, dict]:
    return {f.attrs["name"]: f.attrs for f in facts if f.kind == "contact"}


@pytest.mark.parametrize("path", sorted(MANIFEST), ids=lambda p: p.name)
def test_every_fact_span_equals_its_text(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    facts = extract_facts(path.name, text, MANIFEST[path])
    assert facts
    for fact in facts:
        assert text[fact.start : fact.end] == fact.text, fact


@pytest.mark.parametrize("path", sorted(MANIFEST), ids=lambda p: p.name)
def test_briefings_with_contact_table_yield_contacts(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    contacts = [f for f in extract_facts(path.name, text, MANIFEST[path]) if f.kind == "contact"]
    assert contacts
    assert all(f.attrs["name"] and f.attrs["title"] and f.attrs["role"] in ("책임자", "담당자") for f in contacts)


def test_markdown_contact_table_rows() -> None:
    text, facts = _facts("000_5a375b227c424bcf.txt")
    contacts = _contacts(facts)
    assert len(contacts) == 13
    assert contacts["정일"] == {
        "ministry": "기획재정부", "department": "산업경제과", "role": "책임자", "title": "과장",
        "name": "정일", "phone": "044-215-4530", "topic": "총괄",
    }
    assert contacts["양승욱"]["ministry"] == "중소벤처기업부"
    assert contacts["양승욱"]["department"] == "제조혁신과"
    assert contacts["양승욱"]["phone"] == "044-204-7260"
    assert contacts["양승욱"]["topic"] == "ICT 융합 스마트공장"
    # a continuation row inherits the department of the row above
    assert contacts["강해준"]["department"] == "제조혁신과"
    assert contacts["강해준"]["role"] == "담당자"
    assert contacts["신용민"]["title"] == "팀장"
    row = next(f for f in facts if f.kind == "contact" and f.attrs["name"] == "정일")
    assert row.text.startswith("| 담당 부서 <총괄>") and row.text.endswith("(044-215-4530) |")


def test_pipe_rows_without_leading_bar() -> None:
    _, facts = _facts("0087.txt")
    contacts = _contacts(facts)
    assert contacts["배영일"]["phone"] == "044-202-8901"
    assert contacts["배영일"]["title"] == "과장"
    assert contacts["강숭훈"]["phone"] == "044-202-8914"
    assert "안전보건감독기획과" in contacts["강숭훈"]["department"]


def test_second_department_without_label_starts_new_block() -> None:
    _, facts = _facts("0113.txt")
    contacts = _contacts(facts)
    assert contacts["김준모"]["ministry"] == "과학기술정보통신부"
    assert contacts["남민우"]["department"] == contacts["김준모"]["department"] == "네트워크정책실 통신이용제도과"
    assert contacts["심아미"]["phone"] == "02-2110-1520"
    assert contacts["이명심"]["department"] == contacts["심아미"]["department"]
    assert contacts["이명심"]["department"] != contacts["남민우"]["department"]


def test_line_format_contacts_with_topic() -> None:
    _, facts = _facts("0014.txt")
    contacts = _contacts(facts)
    assert contacts["김동준"] == {
        "ministry": "과학기술정보통신부", "department": "미래인재양성과", "role": "책임자", "title": "과장",
        "name": "김동준", "phone": "044-202-4830", "topic": "4대 과기원 창업 활성화",
    }


def test_slash_format_contacts() -> None:
    _, facts = _facts("0103.txt")
    contacts = _contacts(facts)
    assert contacts["서정호"]["department"] == "농촌정책국"
    assert contacts["서정호"]["phone"] == "044-201-1541"
    assert contacts["김동남"]["title"] == "사무관"
    assert contacts["김동남"]["department"] == "농촌재생지원팀"


def test_html_table_rows_and_shorthand_phones() -> None:
    text = (
        "<table>\n"
        '<tr><td rowspan="2">담당 부서<br>< 공동 ></td><td>국가바이오혁신위원회 지원단</td><td>책임자</td>'
        "<td>팀 장</td><td>권재관</td><td>(02-6456-8220)</td></tr>\n"
        "<tr><td>기획총괄팀</td><td>담당자</td><td>사무관</td><td>이영준</td><td>(02-6456-8221)</td></tr>\n"
        '<tr><td>담당<br>부서</td><td>토지정책과</td><td>담당자</td><td colspan="2">'
        "∙과장 정우진, 사무관 조현익, 주무관 최승식<br>∙☎ (044)201-3398, 3400, 3408</td></tr>\n"
        "</table>\n"
    )
    contacts = _contacts(extract_facts("x.txt", text))
    assert contacts["권재관"]["ministry"] == "국가바이오혁신위원회"
    assert contacts["권재관"]["topic"] == "공동"
    assert contacts["이영준"]["department"] == "지원단 기획총괄팀"
    assert contacts["이영준"]["phone"] == "02-6456-8221"
    assert [contacts[n]["phone"] for n in ("정우진", "조현익", "최승식")] == ["044-201-3398", "044-201-3400", "044-201-3408"]
    assert contacts["최승식"]["title"] == "주무관"


def test_money_with_year_item_and_change() -> None:
    _, facts = _facts("000_5a375b227c424bcf.txt")
    money = [f for f in facts if f.kind == "money"]
    main = next(f for f in money if f.text == "4,366억원")
    assert main.attrs["amount_krw"] == 436_600_000_000
    assert main.attrs["year"] == 2026
    assert main.attrs["change"] == "+84.9%"
    assert main.attrs["before"] == 236_100_000_000 and main.attrs["before_year"] == 2025
    assert "스마트공장" in main.attrs["item"]
    before = next(f for f in money if f.text == "2,361억원")
    assert before.attrs["year"] == 2025 and before.attrs["after"] == 436_600_000_000
    assert any(f.text == "10조원" and f.attrs["amount_krw"] == 10**13 for f in money)


def test_money_in_hundred_millions_and_dollars() -> None:
    _, facts = _facts("0103.txt")
    money = {f.text: f.attrs for f in facts if f.kind == "money"}
    assert money["6,848 백만원"]["amount_krw"] == 6_848_000_000
    assert money["6,848 백만원"]["year"] == 2026
    _, facts = _facts("0002.txt")
    dollars = [f for f in facts if f.kind == "money" and f.attrs["currency"] == "USD"]
    assert any(f.attrs["value"] == 500_000_000 and f.attrs["year"] == 2027 for f in dollars)


def test_targets_with_deadline_and_baseline() -> None:
    _, facts = _facts("000_5a375b227c424bcf.txt")
    targets = [f for f in facts if f.kind == "target"]
    rate = [f for f in targets if f.attrs["goal_value"] == 40 and f.attrs["unit"] == "%"]
    assert rate and all(f.attrs["deadline_year"] == 2030 for f in rate)
    assert any(f.attrs.get("baseline_value") == 5 and f.attrs.get("baseline_year") == 2025 for f in rate)
    factories = next(f for f in targets if f.attrs["goal_value"] == 500)
    assert factories.attrs["deadline_year"] == 2030
    assert factories.attrs["baseline_value"] == 26 and factories.attrs["baseline_year"] == 2024
    schools = next(f for f in targets if f.text == "19→24개교")
    assert (schools.attrs["baseline_value"], schools.attrs["goal_value"], schools.attrs["unit"]) == (19, 24, "개교")


def test_reduction_target() -> None:
    facts = extract_facts("x.txt", "사망자를 '28년까지 1,000명 줄이는 것이 목표다.")
    target = next(f for f in facts if f.kind == "target")
    assert target.attrs["goal_value"] == 1000 and target.attrs["unit"] == "명"


def test_dates_resolve_year_and_label() -> None:
    text, facts = _facts("0072.txt")
    dates = [f for f in facts if f.kind == "date"]
    application = next(f for f in dates if f.attrs["start"] == "2026-04-14" and f.attrs["end"] == "2026-04-20")
    assert application.attrs["label"] == "신청"
    _, facts = _facts("000_5a375b227c424bcf.txt")
    deadline = next(f for f in facts if f.kind == "date" and f.attrs["start"] == "2028-12-31")
    assert deadline.attrs["is_deadline"] and deadline.text == "'28.12.31까지"


def test_date_without_release_date_needs_explicit_year() -> None:
    facts = extract_facts("x.txt", "접수 기간은 4월 10일까지이며 시행일은 2026. 5. 1.이다.")
    assert [(f.attrs["start"], f.attrs["label"]) for f in facts if f.kind == "date"] == [("2026-05-01", "시행")]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789,.~'’ |<>()-→%년월일억조만원개명까지담당자책임자과장 부서\n"))))
def test_extract_facts_on_arbitrary_text_yields_valid_spans(text: str) -> None:
    for fact in extract_facts("fuzz.txt", text, "2026-04-13"):
        assert 0 <= fact.start <= fact.end <= len(text)
        assert text[fact.start : fact.end] == fact.text


@settings(max_examples=100, deadline=None)
@given(st.text(), st.sampled_from(["", "2026-04-13", "not-a-date"]))
def test_extract_facts_never_raises(text: str, published_on: str) -> None:
    for fact in extract_facts("fuzz.txt", text, published_on):
        assert text[fact.start : fact.end] == fact.text
