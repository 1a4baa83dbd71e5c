"""Uploaded files into the index: staged under generated folders, ingested beside the live version.

A client's file name is never used as a path as given: only its sanitised basename is kept, as the
document id, inside a fresh temporary folder of our own.
"""

from __future__ import annotations

import logging
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile

from api.errors import ApiError
from api.schemas import UploadedFile
from core.settings import Settings
from index.build import IngestReport, ingest_paths
from index.embedders import Embedder
from ingest.parsers import supported_suffixes

logger = logging.getLogger(__name__)

MAX_FILES_PER_UPLOAD = 20
MAX_NAME_CHARS = 150  # of the client's name, echoed in the answer
MAX_NAME_BYTES = 200  # of the stored name in UTF-8: file systems allow 255 bytes, and Hangul takes 3 each
_COPY_BLOCK = 1024 * 1024
_UNSAFE_RUN = re.compile(r"[^\w.\-()]+")  # \w keeps Hangul letters and digits


def safe_basename(filename: str) -> str:
    """The last path component, NFC, with anything but letters, digits and ``._-()`` replaced by ``_``.

    A long name is cut to ``MAX_NAME_BYTES`` of UTF-8, at a character, keeping its suffix.

    >>> safe_basename("../../etc/보도자료 (최종).hwpx")
    '보도자료_(최종).hwpx'
    >>> long = safe_basename("가" * 94 + ".txt"); len(long.encode()), long[-6:]
    (199, '가가.txt')
    """
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_RUN.sub("_", "".join(ch for ch in name if ch.isprintable())).strip("._ ")
    if len(name.encode()) > MAX_NAME_BYTES:
        suffix = Path(name).suffix[:10]
        stem = name[: len(name) - len(suffix)].encode()[: MAX_NAME_BYTES - len(suffix.encode())]
        name = stem.decode(errors="ignore") + suffix
    return name or "upload"


@dataclass
class StagedFile:
    filename: str  # as the client sent it, for the answer only
    doc_id: str | None = None
    path: Path | None = None
    reason: str = ""


async def stage_uploads(uploads: list[UploadFile], folder: Path, max_bytes: int) -> list[StagedFile]:
    """Write each upload to ``folder/<n>/<safe name>``; 413 when one is over ``max_bytes``."""
    staged: list[StagedFile] = []
    taken: set[str] = set()
    suffixes = set(supported_suffixes())
    for n, upload in enumerate(uploads):
        item = StagedFile(filename=(upload.filename or "")[:MAX_NAME_CHARS])
        staged.append(item)
        name = safe_basename(upload.filename or "")
        if Path(name).suffix.lower() not in suffixes:
            item.reason = f"unsupported format {Path(name).suffix or '(no suffix)'!r}; supported: {', '.join(sorted(suffixes))}"
            continue
        if name in taken:
            item.reason = f"another file in this upload is also named {name!r}"
            continue
        taken.add(name)
        # Three generated levels, so the manifest lookup (folder and two parents) stays in our folder.
        target = folder / "files" / str(n) / name
        target.parent.mkdir(parents=True)
        written = 0
        with target.open("wb") as out:
            while block := await upload.read(_COPY_BLOCK):
                written += len(block)
                if written > max_bytes:
                    raise ApiError(413, "file_too_large",
                                   f"{item.filename}: 파일이 {max_bytes // (1024 * 1024)} MB 제한을 넘습니다.", "files")
                out.write(block)
        item.doc_id, item.path = name, target
    return staged


def ingest_staged(staged: list[StagedFile], settings: Settings, embedder: Embedder, folder: Path) -> list[UploadedFile]:
    """Ingest the staged files in one new index version; a bad file only fails itself."""
    paths = [s.path for s in staged if s.path is not None]
    report = ingest_paths(paths, Path(settings.index_dir), embedder, chunk_chars=settings.chunk_chars) if paths \
        else IngestReport()
    failures = {f.path: f.reason for f in report.failures}
    # Another file of a release already indexed (its HWPX and its PDF) is recorded, not indexed twice.
    duplicates = {d.doc_id: d.duplicate_of for d in getattr(report, "duplicates", [])}
    results = []
    for item in staged:
        if item.path is None:
            results.append(UploadedFile(filename=item.filename, id=None, status="failed", reason=item.reason))
        elif str(item.path) in failures:
            reason = failures[str(item.path)].replace(str(folder), "")  # never show our temp paths
            results.append(UploadedFile(filename=item.filename, id=None, status="failed", reason=reason))
        elif item.doc_id in duplicates:
            owner = duplicates[item.doc_id]
            results.append(UploadedFile(filename=item.filename, id=owner, status="duplicate",
                                        reason=f"same release as {owner}; not indexed twice"))
        else:
            status = "added" if item.doc_id in report.added else "updated" if item.doc_id in report.updated else "unchanged"
            results.append(UploadedFile(filename=item.filename, id=item.doc_id, status=status))
    logger.info("upload: %s", ", ".join(f"{r.id or r.filename}={r.status}" for r in results))
    return results


def upload_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="briefqa-upload-")
