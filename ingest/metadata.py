"""Title, date, ministry and kind of a release, from a manifest line when one exists, else from its text."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from core.text import nfkc

logger = logging.getLogger(__name__)

KINDS = ("보도참고자료", "보도자료", "설명자료", "해명자료", "참고자료")

# 2025. 9. 19. / 2025.9.19 / 2025년 9월 19일
_FULL_DATE = re.compile(r"(20\d{2})\s*[.년\-/]\s*(\d{1,2})\s*[.월\-/]\s*(\d{1,2})")
_DATE_LABEL = re.compile(r"(보도\s*시점|보도\s*일시|배포\s*일시|배포\s*시점|배포|보도)")
# "국토교통부(장관 ...)" or "고용노동부(장관직무대행 ...)": the issuing body named with its head
_MINISTRY_WITH_HEAD = re.compile(r"([가-힣]{2,15}(?:부|처|청|원|위원회|본부|실))\s*\((?:부총리|장관|처장|청장|원장|위원장|실장|본부장|차관)")
_MINISTRY_NAME = re.compile(r"([가-힣]{2,12}(?:부|처|청|위원회))")
_SKIP_TITLE = re.compile(r"^(!\[|<|\||보도|배포|담당|\s*-|※|\*|□|ㅇ|○)")


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str = ""
    published_on: str = ""
    ministry: str = ""
    kind: str = ""


def find_manifest_entries(folder: Path) -> dict[Path, dict]:
    """Manifest lines that describe files under ``folder``, keyed by resolved path.

    A ``manifest.jsonl`` in the folder or one of its two parents names files relative to
    itself (``{"file": "briefings/0001.txt", "title": ..., "date": ..., "ministry": ...}``).
    """
    entries: dict[Path, dict] = {}
    folder = folder.resolve()
    for base in (folder, folder.parent, folder.parent.parent):
        manifest = base / "manifest.jsonl"
        if not manifest.is_file():
            continue
        with manifest.open(encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    path = (base / row["file"]).resolve()
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    logger.warning("%s:%d: skipped manifest line (%s)", manifest, line_no, exc)
                    continue
                entries.setdefault(path, row)
    return entries


def metadata_from_manifest(row: dict) -> Metadata:
    return Metadata(
        title=str(row.get("title") or "").strip(),
        published_on=str(row.get("date") or "").strip(),
        ministry=str(row.get("ministry") or "").strip(),
        kind=str(row.get("kind") or "").strip(),
    )


def extract_metadata(text: str, format_title: str = "") -> Metadata:
    """Best-effort metadata from a release's own text (used when no manifest line describes it)."""
    head = nfkc(text[:3000])
    return Metadata(
        title=format_title or _guess_title(text),
        published_on=_guess_date(head),
        ministry=_guess_ministry(nfkc(text[:6000])),
        kind=next((k for k in KINDS if k in head[:600]), ""),
    )


def merge(primary: Metadata, fallback: Metadata) -> Metadata:
    """Fields of ``primary``, with gaps filled from ``fallback``."""
    return Metadata(
        title=primary.title or fallback.title,
        published_on=primary.published_on or fallback.published_on,
        ministry=primary.ministry or fallback.ministry,
        kind=primary.kind or fallback.kind,
    )


def _guess_date(head: str) -> str:
    label = _DATE_LABEL.search(head)
    search_from = label.start() if label else 0
    match = _FULL_DATE.search(head, search_from) or _FULL_DATE.search(head)
    if not match:
        return ""
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


def _guess_title(text: str) -> str:
    for raw in text.splitlines()[:60]:
        line = raw.strip().strip("|").strip()
        if not line or _SKIP_TITLE.match(line) or "|" in line or line in KINDS:
            continue
        line = line.strip("“”\"「」")
        if 8 <= len(line) <= 150 and not line.endswith(("다.", "다")):
            return line
    return ""


def _guess_ministry(text: str) -> str:
    match = _MINISTRY_WITH_HEAD.search(text)
    if match:
        return match.group(1)
    match = _MINISTRY_NAME.search(text)
    return match.group(1) if match else ""
