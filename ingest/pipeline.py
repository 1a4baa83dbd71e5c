"""From paths on disk to parsed briefings with their chunks and facts.

>>> files, failures = collect_files([Path("data/sample")])
>>> doc = load_briefing(files[0])
>>> doc.briefing.title, len(doc.chunks)
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ParseError
from core.text import nfkc
from ingest.chunking import chunk_text
from ingest.facts import extract_facts
from ingest.metadata import extract_metadata, find_manifest_entries, merge, metadata_from_manifest
from ingest.parsers import MAX_FILE_BYTES, parse_file, supported_suffixes
from ingest.records import Briefing, Chunk, Fact

logger = logging.getLogger(__name__)

_IGNORED_NAMES = {"manifest.jsonl"}


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to ingest: ``doc_id`` is its path relative to the folder argument it came from."""

    path: Path
    doc_id: str
    manifest_row: dict | None = None


@dataclass(frozen=True, slots=True)
class IngestFailure:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class LoadedBriefing:
    briefing: Briefing
    chunks: list[Chunk] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_source(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes; a file over ``max_bytes`` is refused by its size, before it is read."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ParseError(path, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit")
        return path.read_bytes()
    except OSError as exc:
        raise ParseError(path, f"cannot read file: {exc.strerror or exc}") from exc


# Kind markers and bracketed prefixes that differ between a release's HWPX and PDF titles: "(참고) ..."
_TITLE_PREFIX = re.compile(r"^\s*[(\[<]\s*(?:참고|설명|해명|보도\S*|설명자료|참고자료)\s*[)\]>]\s*")
_NOT_WORD = re.compile(r"[\W_]+")


def release_key(briefing: Briefing) -> str:
    """Title and date after normalisation: equal for the HWPX and the PDF of one release; "" when either is unknown.

    >>> release_key(Briefing("a.pdf", "", title="(참고) 중기부 ‘26년 추경예산 확정", published_on="2026-04-10"))
    '2026-04-10|중기부26년추경예산확정'
    """
    title = _NOT_WORD.sub("", _TITLE_PREFIX.sub("", nfkc(briefing.title))).lower()
    if len(title) < 4 or not briefing.published_on:
        return ""
    return f"{briefing.published_on}|{title}"


def collect_files(paths: list[Path]) -> tuple[list[SourceFile], list[IngestFailure]]:
    """Expand files and folders (recursively) into source files; missing paths are failures."""
    files: list[SourceFile] = []
    failures: list[IngestFailure] = []
    suffixes = set(supported_suffixes())
    for path in paths:
        if path.is_dir():
            manifest = find_manifest_entries(path)
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                rel = file.relative_to(path)
                if file.name in _IGNORED_NAMES or any(part.startswith(".") for part in rel.parts):
                    continue
                if file.suffix.lower() not in suffixes:
                    failures.append(IngestFailure(str(file), f"unsupported format {file.suffix or '(no suffix)'!r}"))
                    continue
                files.append(SourceFile(file, rel.as_posix(), manifest.get(file.resolve())))
        elif path.is_file():
            manifest = find_manifest_entries(path.parent)
            files.append(SourceFile(path, path.name, manifest.get(path.resolve())))
        else:
            failures.append(IngestFailure(str(path), "no such file or folder"))
    return files, failures


def load_briefing(source: SourceFile, chunk_chars: int = 400, data: bytes | None = None) -> LoadedBriefing:
    """Parse one file into a briefing with chunks and facts; raises ``ParseError`` naming the file."""
    if data is None:
        data = read_source(source.path)
    parsed = parse_file(source.path, data)
    meta = extract_metadata(parsed.text, parsed.title)
    if source.manifest_row:
        meta = merge(metadata_from_manifest(source.manifest_row), meta)
    briefing = Briefing(
        doc_id=source.doc_id,
        text=parsed.text,
        title=meta.title or source.doc_id,
        ministry=meta.ministry,
        published_on=meta.published_on,
        kind=meta.kind,
        format=parsed.format,
        content_hash=content_hash(data),
        source_path=str(source.path),
        subtitle=meta.subtitle,
        embargo=meta.embargo,
    )
    chunks = chunk_text(briefing.doc_id, briefing.text, chunk_chars)
    if not chunks:
        raise ParseError(source.path, "no text to index after chunking")
    facts = [_with_ministry(f, briefing.ministry) for f in extract_facts(briefing.doc_id, briefing.text, briefing.published_on)]
    return LoadedBriefing(briefing, chunks, facts)


def _with_ministry(fact: Fact, ministry: str) -> Fact:
    """Contact rows that do not name their ministry belong to the issuing one."""
    if fact.kind != "contact" or fact.attrs.get("ministry") or not ministry:
        return fact
    return Fact(fact.doc_id, fact.kind, fact.text, fact.start, fact.end, {**fact.attrs, "ministry": ministry})
