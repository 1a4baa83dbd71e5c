"""Title, date, ministry and kind of a release, from a manifest line when one exists, else from its text."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from core.text import nfkc

logger = logging.getLogger(__name__)

KINDS = ("보도참고자료", "보도설명자료", "보도해명자료", "보도자료", "설명자료", "해명자료", "참고자료", "동정자료")

# 2025. 9. 19. / 2025.9.19 / 2025년 9월 19일
_FULL_DATE = re.compile(r"(20\d{2})\s*[.년\-/]\s*(\d{1,2})\s*[.월\-/]\s*(\d{1,2})")
# The same, optionally followed by the weekday and a time: "2025. 9. 19.(금) 11:30"
_DATE_TIME = re.compile(
    r"(20\d{2})\s*[.년\-/]\s*(\d{1,2})\s*[.월\-/]\s*(\d{1,2})\s*[.일]?\s*(?:\(\s*[월화수목금토일]\s*\))?\s*(?:(\d{1,2})\s*:\s*(\d{2}))?"
)
_DATE_LABEL = re.compile(r"(보도\s*시점|보도\s*일시|배포\s*일시|배포\s*시점|배포|보도)")
_EMBARGO_LABEL = re.compile(r"보도\s*(?:시점|일시)")
# "배포" as a field label ("| 배포 |", "배포: 2026. ..."), not the word in "배포 즉시" or "배포 후 즉시 사용"
_DISTRIBUTION_LABEL = re.compile(r"배포\s*(?:일시|시점)?\s*(?=[|:：/\n]|(?:20\d{2}|\d{1,2}\s*\.))")
_SUBTITLE = re.compile(r"^\s*[-–—]\s*\S")
_STARTS_WITH_DATE = re.compile(r"^\s*(?:\([^)]{1,8}\)\s*)?20\d{2}\s*[.년]\s*\d{1,2}\s*[.월]")
# "국토교통부(장관 ...)" or "고용노동부(장관직무대행 ...)": the issuing body named with its head
_MINISTRY_WITH_HEAD = re.compile(r"([가-힣]{2,15}(?:부|처|청|원|위원회|본부|실))\s*\((?:부총리|장관|처장|청장|원장|위원장|실장|본부장|차관)")
_MINISTRY_NAME = re.compile(r"([가-힣]{2,12}(?:부|처|청|위원회))")
_SKIP_TITLE = re.compile(r"^(!\[|<|\||보도|배포|담당|\s*-|※|\*|□|ㅇ|○|◈|◇|◆|▶)")


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str = ""
    published_on: str = ""
    ministry: str = ""
    kind: str = ""
    subtitle: str = ""
    embargo: str = ""  # "2025-09-19T11:30" when 보도시점 names a time


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
    title_line = _guess_title_line(text)
    guessed_title = text.splitlines()[title_line].strip().strip("|").strip().strip("“”\"「」") if title_line >= 0 else ""
    published_on, embargo = _release_time(head)
    return Metadata(
        title=_pick_title(format_title, guessed_title),
        published_on=published_on or _guess_date(head),
        ministry=_guess_ministry(nfkc(text[:6000])),
        kind=_guess_kind(head[:600]),
        subtitle=_guess_subtitle(text, title_line),
        embargo=embargo,
    )


def merge(primary: Metadata, fallback: Metadata) -> Metadata:
    """Fields of ``primary``, with gaps filled from ``fallback``."""
    return Metadata(
        title=primary.title or fallback.title,
        published_on=primary.published_on or fallback.published_on,
        ministry=primary.ministry or fallback.ministry,
        kind=primary.kind or fallback.kind,
        subtitle=primary.subtitle or fallback.subtitle,
        embargo=primary.embargo or fallback.embargo,
    )


def _iso(match: re.Match[str]) -> tuple[str, str]:
    """(date, date-and-time) of a ``_DATE_TIME`` match; "" for parts it lacks or gets wrong."""
    year, month, day = (int(g) for g in match.groups()[:3])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return "", ""
    date = f"{year:04d}-{month:02d}-{day:02d}"
    hour, minute = match.group(4), match.group(5)
    if hour is None or not (0 <= int(hour) <= 24 and 0 <= int(minute) < 60):
        return date, ""
    return date, f"{date}T{int(hour):02d}:{minute}"


def _release_time(head: str) -> tuple[str, str]:
    """(published_on, embargo) from the 보도시점/배포 fields of the header.

    "보도시점 | 2025. 9. 19.(금) 11:30 | 배포 | 2025. 9. 18.(목)" → ("2025-09-19", "2025-09-19T11:30");
    "보도시점 | 배포 즉시 | 배포 | 2026. 4. 13.(월)" → ("2026-04-13", "").
    """
    label = _EMBARGO_LABEL.search(head)
    if label:
        line_end = head.find("\n", label.end())
        line_end = len(head) if line_end < 0 else line_end
        dist = _DISTRIBUTION_LABEL.search(head, label.end())
        seg_end = dist.start() if dist and dist.start() <= line_end else line_end
        match = _DATE_TIME.search(head, label.end(), seg_end)
        if match is None and not head[label.end():seg_end].strip(" |:：\t"):
            # PDF tables come out cell by cell: the time can sit just above its label.
            match = next((m for m in _DATE_TIME.finditer(head, 0, label.start()) if m.group(4)), None)
        if match:
            date, embargo = _iso(match)
            if date:
                return date, embargo
    dist = _DISTRIBUTION_LABEL.search(head)
    if dist:
        match = _DATE_TIME.search(head, dist.end(), dist.end() + 60)
        if match:
            return _iso(match)[0], ""
    return "", ""


def _pick_title(format_title: str, guessed: str) -> str:
    """The file's own title field, unless it is only a ministry name (HWP summaries often are)."""
    usable = len(format_title) >= 8 and not _MINISTRY_NAME.fullmatch(format_title.strip())
    return format_title if usable else guessed or format_title


def _guess_kind(head: str) -> str:
    found = [(head.find(k), -len(k), k) for k in KINDS if k in head]
    return min(found)[2] if found else ""


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


def _guess_title_line(text: str) -> int:
    """Index of the title line among ``text.splitlines()``, or -1."""
    for i, raw in enumerate(text.splitlines()[:60]):
        line = raw.strip().strip("|").strip()
        if not line or _SKIP_TITLE.match(line) or "|" in line or line in KINDS or _STARTS_WITH_DATE.match(line):
            continue
        line = line.strip("“”\"「」")
        # Body sentences end in "다."; a 설명자료 title may end in "습니다." itself.
        if 8 <= len(line) <= 150 and (not line.endswith(("다.", "다")) or line.endswith("습니다.")):
            return i
    return -1


def _guess_subtitle(text: str, title_line: int) -> str:
    """The "- ..." lines right under the title (a PDF may wrap one onto a second line)."""
    if title_line < 0:
        return ""
    lines: list[str] = []
    for raw in text.splitlines()[title_line + 1 : title_line + 8]:
        line = raw.strip()
        if _SUBTITLE.match(raw):
            lines.append(line.strip("-–— ").strip())
        elif lines and line and not raw[:1].isspace() and len(line) < 100 and lines[-1].endswith(","):
            lines[-1] += " " + line.strip("-–— ").strip()
        else:
            break
    return "\n".join(line for line in lines if line)


def _guess_ministry(text: str) -> str:
    match = _MINISTRY_WITH_HEAD.search(text)
    if match:
        return match.group(1)
    match = _MINISTRY_NAME.search(text)
    return match.group(1) if match else ""
