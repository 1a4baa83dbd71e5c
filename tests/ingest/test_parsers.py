"""Format parsers on real briefings (originals from korea.kr) and on broken files."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ParseError
from ingest.parsers import PARSERS, parse_file
from ingest.parsers.glyphs import replace_private_glyphs

DATA = Path(__file__).resolve().parent.parent / "data"
ORIGINALS = DATA / "originals"
BROKEN = DATA / "broken"
PRIVATE_USE = re.compile("[\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd]")

PETFOOD_HWP = ORIGINALS / "mafra_20240305_petfood_export.hwp"
CEPA_HWP = ORIGINALS / "motie_20260412_korea_bangladesh_cepa.hwp"
CEPA_PDF = ORIGINALS / "motie_20260412_korea_bangladesh_cepa.pdf"
MSS_HWPX = ORIGINALS / "mss_20260410_supplementary_budget.hwpx"
NPS_PDF = ORIGINALS / "mohw_20260414_nps_fund_committee.pdf"
MOEL_HWPX = ORIGINALS / "moel_20260410_supplementary_budget.hwpx"

# Sentences, figures and contact rows taken from each file's text version in the corpus
# (briefings/0002.txt, 0034.txt, 0016.txt, 0122.txt).
EXPECTED: dict[Path, tuple[str, list[str]]] = {
    PETFOOD_HWP: (
        "hwp",
        [
            "농식품부, 2027년 펫푸드 수출액 5억불 달성을 위한 지원 본격 추진!",
            "2016년 1,300만 달러 수준이었던 펫푸드 수출액이 2023년에 1억 5천만 달러로 비약적으로 증가한 것은",
            "담당 부서 | 동물복지환경정책관실 | 책임자 | 과  장 | 김현우 | (044-201-2651)",
            " | 반려산업동물의료팀 | 담당자 | 사무관 | 박찬우 | (044-201-2656)",
            "보도시점 | 2024. 3. 5.(화) 17:00 | 배포 | 2024. 3. 5.(화) 09:00",
        ],
    ),
    CEPA_HWP: (
        "hwp",
        [
            "한-방글라데시 포괄적경제동반자협정(CEPA) 제3차 공식협상(4.12.(일) ~ 17.(금)) 개최",
            "1.7억명의 거대 시장을 보유한 방글라데시와 CEPA의 조속한 타결을 추진하기로 한 바 있다.",
            "담당 부서 | 통상협정교섭관 | 책임자 | 과  장 | 손호영 | (044-203-5830)",
            "통상협정협상총괄과 | 담당자 | 사무관 | 김은지 | (044-203-5837)",
        ],
    ),
    MSS_HWPX: (
        "hwpx",
        [
            "중기부 ‘26년 추경예산 1조 6,903억원 확정",
            "2026년 제1차 추가경정예산이 4월 10일(금) 국회 본회의를 거쳐 1조 6,903억원으로 확정되었다고 밝혔다.",
            "담당 부서 | 기획조정실 | 책임자 | 과  장 | 이하녕 | (044-204-7320)",
            " | 기획재정담당관 | 담당자 | 사무관 | 강해준 | (044-204-7321)",
            "▪ 수출바우처 | +1,000 | - | +1,000 | 15개 분야 수출지원 서비스를 바우처 형태로 지원 * 글로벌성장정책과(044-204-7463)",
        ],
    ),
    MOEL_HWPX: (
        "hwpx",
        [
            "① 고용안정 지원을 통한 충격완화 (+306억)",  # U+F02B1 in the file
            "`26년 고용노동부 본예산 37조 6,761억원 → 제1회 추경 38조 926억원(+4,165억원)",
            "담당 부서 | 정책기획관 | 책임자 | 과  장 | 최영범 | (044-202-7026)",
        ],
    ),
    CEPA_PDF: (
        "pdf",
        [
            "한-방글라데시 포괄적경제동반자협정(CEPA) 제3차 공식협상(4.12.(일) ~ 17.(금)) 개최",
            "1.7억명의 거대 시장을 보유한 방글라데시와 CEPA의 조속한 타결을 추진하기로 한 바 있다.",
            "세계 8위 인구대국이자 서남아의 핵심 잠재시장인 방글라데시와의 포괄적경제동반자협정(CEPA*) 체결을",
        ],
    ),
    NPS_PDF: (
        "pdf",
        [
            "2026년 제3차 국민연금기금운용위원회 개최",
            "국민연금의 해외투자에 대한 환헤지 비율은 15%를 기본으로 하고",
            "‘25년말 기준 기금규모 1,458.0조원, 명목 GDP 대비 54.7%",
        ],
    ),
}


@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: p.name)
def test_original_yields_key_sentences_figures_and_contact_rows(path: Path) -> None:
    fmt, expected = EXPECTED[path]
    doc = parse_file(path)
    assert doc.format == fmt
    for snippet in expected:
        assert snippet in doc.text, f"{path.name}: missing {snippet!r}"


@pytest.mark.parametrize("path", list(EXPECTED), ids=lambda p: p.name)
def test_original_text_has_no_private_use_glyphs_or_carriage_returns(path: Path) -> None:
    text = parse_file(path).text
    assert not PRIVATE_USE.search(text)
    assert "\r" not in text


@pytest.mark.parametrize(
    ("path", "department", "name", "phone"),
    [
        (CEPA_PDF, "통상협정교섭관", "손호영", "044-203-5830"),
        (CEPA_PDF, "통상협정협상총괄과", "김은지", "044-203-5837"),
        (NPS_PDF, "국민연금재정과", "백진주", "044-202-3650"),
        (NPS_PDF, "국민연금재정과", "이하늘", "044-202-3654"),
    ],
)
def test_pdf_contact_table_rows_keep_department_name_and_phone(
    path: Path, department: str, name: str, phone: str
) -> None:
    lines = parse_file(path).text.split("\n")
    table_lines = [line for line in lines if " | " in line]
    assert any(name in line and phone in line for line in table_lines), table_lines
    assert any(department in line for line in table_lines)


def test_pdf_drops_page_markers_and_records_page_starts() -> None:
    doc = parse_file(NPS_PDF)
    assert len(doc.page_starts) == 4
    assert doc.page_starts[0] == 0
    assert list(doc.page_starts) == sorted(doc.page_starts)
    assert not re.search(r"^\s*-\s*\d+\s*-\s*$", doc.text, flags=re.M)
    assert doc.text[doc.page_starts[3] :].startswith("붙임")


def test_hwpx_maps_hancom_numbered_bullets_to_circled_digits() -> None:
    assert replace_private_glyphs("\U000f02b1 고용안정 \U000f02b2 생활안정") == "① 고용안정 ② 생활안정"
    assert replace_private_glyphs("금융\uf09e보험") == "금융·보험"
    assert replace_private_glyphs("\U000f0854정책지정형\U000f0855") == "정책지정형"


@pytest.mark.parametrize(
    ("original", "misnamed", "fmt"),
    [(PETFOOD_HWP, "briefing.hwpx", "hwp"), (MSS_HWPX, "briefing.hwp", "hwpx")],
)
def test_hangul_format_is_detected_by_bytes_not_suffix(original: Path, misnamed: str, fmt: str) -> None:
    doc = parse_file(Path(misnamed), original.read_bytes())
    assert doc.format == fmt
    assert "담당 부서" in doc.text


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("truncated.hwp", "not HWP 5.0"),
        ("encrypted.hwp", "password-protected"),
        ("distribution.hwp", "배포용"),
        ("truncated.hwpx", "not a readable HWPX zip"),
        ("corrupt_section.hwpx", "Contents/section0.xml cannot be inflated"),
        ("not_a_zip.hwpx", "not a readable HWPX zip"),
        ("no_section.hwpx", "Contents/section0.xml is missing"),
        ("zip_bomb.hwpx", "zip bomb"),
        ("xml_entities.hwpx", "entities"),
        ("path_trick.hwpx", "unsafe path"),
        ("empty.pdf", "empty"),
        ("truncated.pdf", "PDF"),
    ],
)
def test_broken_file_raises_parse_error_naming_file_and_reason(name: str, reason: str) -> None:
    path = BROKEN / name
    with pytest.raises(ParseError) as info:
        parse_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert reason in info.value.reason


def test_html_keeps_body_and_table_rows_and_drops_scripts() -> None:
    page = (
        "<html><head><title>추경 - 대한민국 정책브리핑</title><script>var x = '숨김';</script>"
        "<style>p {color: red}</style></head><body><nav>메뉴</nav>"
        "<div class='article_head'><h1>중기부 추경예산 확정</h1></div>"
        "<div class='article_body'><p>추경예산 <b>1조 6,903억원</b>이\r\n확정되었다.</p>"
        "<table><tr><th>담당 부서</th><td>기획조정실</td><td>이하녕</td><td>(044-204-7320)</td></tr></table>"
        "</div></body></html>"
    )
    doc = parse_file(Path("briefing.html"), page.encode("cp949"))
    declared = parse_file(
        Path("briefing.htm"), page.replace("<head>", "<head><meta charset='euc-kr'>").encode("cp949")
    )
    assert declared.text == doc.text
    assert doc.title == "중기부 추경예산 확정"
    assert "추경예산 1조 6,903억원이 확정되었다." in doc.text
    assert "담당 부서 | 기획조정실 | 이하녕 | (044-204-7320)" in doc.text
    assert "숨김" not in doc.text and "color" not in doc.text and "메뉴" not in doc.text


@pytest.mark.parametrize("suffix", [".hwp", ".hwpx", ".pdf", ".docx"])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(min_size=1, max_size=4096))
def test_arbitrary_bytes_raise_parse_error_and_nothing_else(suffix: str, data: bytes) -> None:
    with pytest.raises(ParseError):
        parse_file(Path(f"fuzz{suffix}"), data)


@pytest.mark.parametrize("magic", [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04", b"%PDF-1.7\n"])
@pytest.mark.parametrize("suffix", [".hwp", ".hwpx", ".pdf", ".docx"])
@settings(max_examples=25, deadline=None)
@given(tail=st.binary(max_size=2048))
def test_bytes_behind_a_real_magic_raise_parse_error_and_nothing_else(
    suffix: str, magic: bytes, tail: bytes
) -> None:
    with pytest.raises(ParseError):
        parse_file(Path(f"fuzz{suffix}"), magic + tail)


@pytest.mark.parametrize("suffix", [".html", ".htm"])
@settings(max_examples=50, deadline=None)
@given(data=st.binary(min_size=1, max_size=4096))
def test_arbitrary_bytes_as_html_parse_or_raise_parse_error(suffix: str, data: bytes) -> None:
    try:
        doc = parse_file(Path(f"fuzz{suffix}"), data)
    except ParseError:
        return
    assert doc.format == "html"
    assert "\r" not in doc.text


def test_every_briefing_suffix_is_registered() -> None:
    assert {".hwp", ".hwpx", ".pdf", ".docx", ".html", ".htm"} <= set(PARSERS)


def test_docx_keeps_paragraphs_and_tables_in_body_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("중기부 ‘26년 추경예산 1조 6,903억원 확정")
    table = document.add_table(rows=1, cols=4)
    for cell, value in zip(
        table.rows[0].cells, ["담당 부서", "기획조정실", "이하녕", "(044-204-7320)"], strict=True
    ):
        cell.text = value
    document.add_paragraph("\U000f02b1 수출기업 지원")
    path = tmp_path / "briefing.docx"
    document.save(str(path))
    lines = parse_file(path).text.split("\n")
    assert lines == [
        "중기부 ‘26년 추경예산 1조 6,903억원 확정",
        "담당 부서 | 기획조정실 | 이하녕 | (044-204-7320)",
        "① 수출기업 지원",
    ]
