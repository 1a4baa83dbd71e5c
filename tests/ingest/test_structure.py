"""Release structure: subtitle, 보도시점 with its time, kind, heading paths and the attachment boundary."""

from __future__ import annotations

from ingest.chunking import chunk_text
from ingest.metadata import extract_metadata
from ingest.pipeline import release_key
from ingest.records import Briefing

RELEASE = """ | 보도자료 |

보도시점 | 2025. 9. 19.(금) 11:30 | 배포 | 2025. 9. 18.(목)

스마트공장 확산으로 제조 AI 전환 가속
- 내년 스마트공장 예산 4,366억원 편성 -
- 중소기업 1,500개사 지원

Ⅰ. 추진 배경

□ 제조 현장의 AI 전환이 시급하다.

Ⅱ. 주요 내용

□ 스마트공장 확산
 ○ 스마트공장 구축 지원
  - 중소기업 1,500개사에 구축비를 지원한다.
  * 기업당 최대 2억원
 ○ 전문인력 양성
  - 현장 인력 3천명을 양성한다.

담당 부서 | 산업경제과 | 책임자 | 과 장 | 정일 | (044-215-4530)

붙임 1. 스마트공장 지원 사업 개요

 ○ 지원 규모: 1,500개사
"""


def test_header_gives_subtitle_embargo_and_kind() -> None:
    meta = extract_metadata(RELEASE)
    assert meta.title == "스마트공장 확산으로 제조 AI 전환 가속"
    assert meta.subtitle == "내년 스마트공장 예산 4,366억원 편성\n중소기업 1,500개사 지원"
    assert meta.published_on == "2025-09-19"
    assert meta.embargo == "2025-09-19T11:30"
    assert meta.kind == "보도자료"


def test_immediate_release_takes_the_distribution_date_and_no_embargo() -> None:
    meta = extract_metadata("보도참고자료\n\n보도시점 | 배포 후 즉시 사용 | 배포 | 2026. 4. 14.(화)\n\n기금위 개최 결과 안내\n")
    assert (meta.published_on, meta.embargo, meta.kind) == ("2026-04-14", "", "보도참고자료")


def test_pdf_cell_order_still_finds_the_embargo_time() -> None:
    head = "보도자료\n2026. 4. 12.(일) 11:00\n보도시점\n배포\n2026. 4. 10.(금)\n한-방글라데시 CEPA 제3차 공식협상 개최\n"
    meta = extract_metadata(head)
    assert (meta.published_on, meta.embargo) == ("2026-04-12", "2026-04-12T11:00")


def test_explanation_release_kind() -> None:
    assert extract_metadata(" | 보도설명자료 |\n\n택시 차령을 최대 2년 추가연장할 수 있도록 하고 있습니다.\n").kind == "보도설명자료"


def test_chunks_carry_their_heading_path() -> None:
    chunks = chunk_text("r.txt", RELEASE, 60)
    by_text = {c.text.split("\n")[0].strip(): c for c in chunks}
    holder = next(c for c in chunks if "현장 인력 3천명" in c.text)
    assert holder.heading.startswith("Ⅱ. 주요 내용 > □ 스마트공장 확산")
    assert "○ 구축" not in holder.heading and "*" not in holder.heading
    assert by_text  # every chunk quotes the text exactly
    for chunk in chunks:
        assert RELEASE[chunk.start:chunk.end] == chunk.text


def test_attachment_is_searchable_but_marked() -> None:
    chunks = chunk_text("r.txt", RELEASE, 60)
    body = [c for c in chunks if not c.is_attachment]
    attached = [c for c in chunks if c.is_attachment]
    assert attached and body
    assert attached[0].text.startswith("붙임 1.")
    assert any("지원 규모: 1,500개사" in c.text for c in attached)
    assert all(c.start > max(b.start for b in body) for c in attached)
    assert not any("참고로" in c.text and c.is_attachment for c in chunk_text("p.txt", "참고로 말씀드리면 예산은 늘었다.\n", 60))


def test_long_prose_is_split_at_korean_sentence_ends() -> None:
    sentence = "정부는 스마트공장 보급을 확대하여 제조 경쟁력을 높이기로 했다. "
    line = sentence * 20
    chunks = chunk_text("p.txt", line, 200)
    assert len(chunks) > 1
    for chunk in chunks:
        assert line[chunk.start:chunk.end] == chunk.text
        assert chunk.text.endswith("했다.")
        assert len(chunk.text) <= 200


def test_release_key_ignores_spacing_punctuation_and_kind_prefix() -> None:
    hwpx = Briefing("a.hwpx", "", title="(참고) 중기부 ‘26년 추경예산 1조 6,903억원 확정", published_on="2026-04-10")
    pdf = Briefing("a.pdf", "", title="중기부 '26년 추경예산 1조 6,903억원  확정", published_on="2026-04-10")
    assert release_key(hwpx) == release_key(pdf) != ""
    assert release_key(Briefing("b.pdf", "", title="중기부 추경", published_on="")) == ""
