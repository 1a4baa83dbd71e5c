"""Every original from korea.kr (HWP, HWPX, PDF) ingests: text, metadata read from the text, contacts.

The originals have a manifest.jsonl beside them (copied from the corpus); metadata is also checked
as read from the text alone, since a ministry's upload comes without one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.metadata import extract_metadata
from ingest.pipeline import collect_files, load_briefing, release_key

ORIGINALS = Path(__file__).resolve().parent.parent / "data" / "originals"
MANIFEST = {row["file"]: row for row in map(json.loads, (ORIGINALS / "manifest.jsonl").read_text(encoding="utf-8").splitlines())}

# file -> (a sentence of the body, date read from the text, ministry read from the text, kind, contact phone)
EXPECTED: dict[str, tuple[str, str, str, str, str]] = {
    "mafra_20240305_petfood_export.hwp": ("충북 음성 우리와(주) 펫푸드 생산공장을 방문하여", "2024-03-05", "농림축산식품부", "동정자료", "044-201-2651"),
    "moel_20260410_supplementary_budget.hwpx": ("본예산 대비 총 4,165억원 규모로 증액 의결되었다.", "2026-04-10", "고용노동부", "보도참고자료", "044-202-7026"),
    "moel_20260410_supplementary_budget.pdf": ("국회 본회의에서 2026년도 제1회 추가경정예산이 의결되었다.", "2026-04-10", "고용노동부", "보도참고자료", "044-202-7026"),
    "mohw_20260414_nps_fund_committee.hwpx": ("2026년도 제3차 회의를 개최하였다.", "2026-04-14", "", "보도자료", ""),
    "mohw_20260414_nps_fund_committee.pdf": ("2026년도 제3차 회의를 개최하였다.", "2026-04-14", "", "보도자료", ""),
    "molit_20240520_taxi_vehicle_age.hwpx": ("45개 지자체(대구‧청주‧포항 등)에서도 차령 연장조례를 제정하였으며", "2024-05-20", "국토교통부", "보도설명자료", "044-201-3823"),
    "motie_20260412_korea_bangladesh_cepa.hwp": ("제3차 공식 협상이 4.12(일)~17(금) 서울에서 개최된다.", "2026-04-12", "산업통상부", "보도자료", "044-203-5830"),
    "motie_20260412_korea_bangladesh_cepa.pdf": ("제3차 공식 협상이 4.12(일)~17(금) 서울에서 개최된다.", "2026-04-12", "산업통상부", "보도자료", "044-203-5830"),
    "mss_20260410_supplementary_budget.hwpx": ("1조 6,903억원으로 확정되었다고 밝혔다.", "", "중소벤처기업부", "보도자료", "044-204-7320"),
    "mss_20260410_supplementary_budget.pdf": ("1조 6,903억원으로 확정되었다고 밝혔다.", "", "중소벤처기업부", "보도자료", "044-204-7320"),
    "unikorea_20240624_nk_lecture.hwpx": ("캠프 험프리스에서 한미연합사 소속 한미 장병을 대상으로", "2024-06-24", "통일부", "보도자료", "02-901-7150"),
}


def test_every_original_is_covered_and_collected() -> None:
    files, failures = collect_files([ORIGINALS])
    assert not failures
    assert sorted(f.doc_id for f in files) == sorted(EXPECTED) == sorted(MANIFEST)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_original_ingests_with_text_metadata_and_contacts(name: str) -> None:
    sentence, date, ministry, kind, phone = EXPECTED[name]
    files, _ = collect_files([ORIGINALS / name])
    doc = load_briefing(files[0])
    b = doc.briefing
    assert sentence in " ".join(b.text.split()), name
    # The manifest beside the originals wins for title, date and ministry ...
    assert (b.title, b.published_on, b.ministry) == (MANIFEST[name]["title"], MANIFEST[name]["date"], MANIFEST[name]["ministry"])
    # ... and the text alone gives these.
    meta = extract_metadata(b.text)
    assert meta.published_on == date
    assert meta.kind == kind == b.kind
    if ministry:
        assert meta.ministry == ministry
    assert len(meta.title) >= 8
    for chunk in doc.chunks:
        assert b.text[chunk.start:chunk.end] == chunk.text
    contacts = [f for f in doc.facts if f.kind == "contact"]
    if phone:
        assert any(f.attrs.get("phone") == phone for f in contacts), [f.attrs for f in contacts]
        assert all(f.attrs.get("ministry") for f in contacts)


def test_hwp_and_pdf_of_one_release_share_a_release_key() -> None:
    pairs = [
        ("motie_20260412_korea_bangladesh_cepa.hwp", "motie_20260412_korea_bangladesh_cepa.pdf"),
        ("mohw_20260414_nps_fund_committee.hwpx", "mohw_20260414_nps_fund_committee.pdf"),
        ("mss_20260410_supplementary_budget.hwpx", "mss_20260410_supplementary_budget.pdf"),
        ("moel_20260410_supplementary_budget.hwpx", "moel_20260410_supplementary_budget.pdf"),
    ]
    files = {f.doc_id: f for f in collect_files([ORIGINALS])[0]}
    for first, second in pairs:
        keys = {release_key(load_briefing(files[name]).briefing) for name in (first, second)}
        assert len(keys) == 1 and "" not in keys, (first, keys)


def test_embargo_time_is_read_from_the_header() -> None:
    files = {f.doc_id: f for f in collect_files([ORIGINALS])[0]}
    assert load_briefing(files["mafra_20240305_petfood_export.hwp"]).briefing.embargo == "2024-03-05T17:00"
    cepa = load_briefing(files["motie_20260412_korea_bangladesh_cepa.hwp"]).briefing
    assert cepa.embargo == "2026-04-12T11:00"
    assert cepa.subtitle == "상품 양허, 서비스, 원산지, 경제협력 등 13개 분과 협상"


def test_attachment_of_an_original_is_marked() -> None:
    files = {f.doc_id: f for f in collect_files([ORIGINALS])[0]}
    chunks = load_briefing(files["mss_20260410_supplementary_budget.hwpx"]).chunks
    attached = [c for c in chunks if c.is_attachment]
    assert attached and not chunks[0].is_attachment
    assert any("수출바우처" in c.text for c in attached)
