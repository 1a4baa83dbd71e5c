"""Build and update the index incrementally: unchanged files are skipped, changed ones replaced.

>>> report = ingest_paths([Path("data/sample")], Path("var/index"), load_embedder("e5-onnx"))
>>> report.added, report.failures
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NamedTuple

import numpy as np

from core.errors import ParseError
from index.embedders import Embedder
from index.keyword import TOKENIZER_NAME, KeywordIndex
from index.passage_vectors import EmbedAhead, known_passages, passage_text, vectors_and_tokens
from index.store import (
    FORMAT_VERSION,
    Duplicate,
    IndexManifest,
    Store,
    check_embedder,
    current_version,
    discard,
    has_index,
    new_version_dir,
    publish,
    read_manifest,
    write_manifest,
    writer_lock,
)
from index.vector import VectorIndex
from ingest.pipeline import (
    IngestFailure,
    LoadedBriefing,
    collect_files,
    content_hash,
    read_source,
    release_key,
)
from ingest.sandbox import BoundedLoader

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]
# Which file of a release to index when it comes in several formats: structured text first, PDF last.
_FORMAT_PREFERENCE = {"hwpx": 0, "hwp": 1, "docx": 2, "html": 3, "txt": 4, "pdf": 5}


@dataclass
class IngestReport:
    """What one ingest did; ``failures`` name each bad file with its reason."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)  # files of releases indexed from another file
    failures: list[IngestFailure] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0  # new chunks whose passage was in the old version: its vector copied
    chunk_count: int = 0
    fact_count: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0  # of ``seconds``, the time spent in the embedder
    version: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures


def briefqa_version() -> str:
    try:
        return version("briefqa")
    except PackageNotFoundError:
        return "0+unknown"


def ingest_paths(
    paths: list[Path],
    index_dir: Path,
    embedder: Embedder,
    *,
    chunk_chars: int = 400,
    on_file: Progress | None = None,
    on_chunk: Progress | None = None,
    on_files_found: Progress | None = None,
    on_chunks_found: Progress | None = None,
    delete_ids: list[str] | None = None,
    parse_memory_mb: int | None = None,
    parse_timeout_s: float | None = None,
) -> IngestReport:
    """Add or update the files under ``paths`` (and drop ``delete_ids``) in a new index version.

    ``on_files_found``/``on_chunks_found`` get the totals (for progress bars) before the work they count.
    Files are parsed in a capped worker process (``ingest.sandbox``; limits from the settings
    ``BRIEFQA_PARSE_MEMORY_MB`` and ``BRIEFQA_PARSE_TIMEOUT_S`` unless given).
    """
    if parse_memory_mb is None or parse_timeout_s is None:
        from core.settings import get_settings

        settings = get_settings()
        parse_memory_mb = settings.parse_memory_mb if parse_memory_mb is None else parse_memory_mb
        parse_timeout_s = settings.parse_timeout_s if parse_timeout_s is None else parse_timeout_s
    started = time.perf_counter()
    report = IngestReport()
    sources, report.failures = collect_files(paths)
    if on_files_found:
        on_files_found(len(sources))
    with writer_lock(index_dir):
        old = _open_old(index_dir, embedder)
        old_docs = {d.doc_id: d for d in old[0].documents()} if old else {}
        old_dups = {d.doc_id: d for d in old[0].duplicates()} if old else {}
        # Vectors are copied only from a version made by the very same embedder (key = passage text).
        known = known_passages(old.store) if old and sources and old.embedder == embedder.name else {}
        ahead = EmbedAhead(embedder, known)
        try:
            with BoundedLoader(parse_memory_mb, parse_timeout_s) as loader:
                loaded = _load_and_embed_ahead(sources, chunk_chars, old_docs, old_dups, ahead, report, on_file,
                                               loader)
            _finish(index_dir, embedder, old, loaded, old_docs, old_dups, delete_ids, ahead, known, report,
                    on_chunk, on_chunks_found)
        finally:
            ahead.close()
            if old:
                old.store.close()
    report.seconds = time.perf_counter() - started
    report.embed_seconds = ahead.embed_seconds
    return report


def _load_and_embed_ahead(
    sources: list, chunk_chars: int, old_docs: dict, old_dups: dict, ahead: EmbedAhead, report: IngestReport,
    on_file: Progress | None, loader: BoundedLoader,
) -> list[LoadedBriefing]:
    """Parse the new and changed files; each one's passages start embedding as soon as it is parsed.

    A file that looks like another format of a release already seen (old or parsed) is not embedded
    ahead: it is most likely dropped as a duplicate, and embedded later if it is not.
    """
    releases = {key: doc.format for doc in old_docs.values() if (key := release_key(doc))}
    loaded: list[LoadedBriefing] = []
    for source in sources:
        try:
            data = read_source(source.path)
            digest = content_hash(data)
            known = old_docs.get(source.doc_id) or old_dups.get(source.doc_id)
            if known is not None and known.content_hash == digest:
                report.unchanged.append(source.doc_id)
            else:
                item = loader.load(source, chunk_chars, data)
                loaded.append(item)
                key = release_key(item.briefing)
                if not key or releases.setdefault(key, item.briefing.format) == item.briefing.format:
                    ahead.add([passage_text(item.briefing.title, c) for c in item.chunks])
        except ParseError as exc:
            report.failures.append(IngestFailure(str(source.path), exc.reason))
        if on_file:
            on_file(1)
    ahead.flush()
    return loaded


def _finish(
    index_dir: Path, embedder: Embedder, old: _OldVersion | None, loaded: list[LoadedBriefing], old_docs: dict,
    old_dups: dict, delete_ids: list[str] | None, ahead: EmbedAhead, known: dict[str, int],
    report: IngestReport, on_chunk: Progress | None, on_chunks_found: Progress | None,
) -> None:
    """Settle duplicates and deletions, then write the new version (or note that nothing changed)."""
    deleting = set(delete_ids or [])
    report.deleted = [d for d in (delete_ids or []) if d in old_docs or d in old_dups]
    loaded = _drop_duplicates(loaded, old_docs, deleting, report)
    for item in loaded:
        (report.updated if item.briefing.doc_id in old_docs else report.added).append(item.briefing.doc_id)
    if on_chunks_found:
        on_chunks_found(sum(len(item.chunks) for item in loaded))
    if loaded or report.deleted or report.duplicates:
        duplicates = _merge_duplicates(old_dups, report, loaded, old_docs, deleting)
        _write_version(index_dir, embedder, old, loaded, duplicates, report, ahead, known, on_chunk)
    elif old:
        report.chunk_count = old.vectors.size


def _drop_duplicates(
    loaded: list[LoadedBriefing], old_docs: dict, deleting: set[str], report: IngestReport
) -> list[LoadedBriefing]:
    """Keep one file per release (same title and date, another format): the indexed one, else the best format.

    Two files of the same format with the same title and date are both kept: that is a corrected
    re-issue or a copy someone chose to index, not the HWPX/PDF pair a ministry publishes.
    """
    loaded_ids = {item.briefing.doc_id for item in loaded}
    owners: dict[str, tuple[str, str]] = {}  # release key -> (doc_id, format)
    for doc_id, doc in old_docs.items():
        if doc_id not in loaded_ids and doc_id not in deleting and (key := release_key(doc)):
            owners.setdefault(key, (doc_id, doc.format))
    kept: list[LoadedBriefing] = []
    ranked = sorted(loaded, key=lambda it: (_FORMAT_PREFERENCE.get(it.briefing.format, 9), it.briefing.doc_id))
    for item in ranked:
        b = item.briefing
        key = release_key(b)
        owner = owners.get(key) if key else None
        if owner is None or owner[1] == b.format:
            if key:
                owners.setdefault(key, (b.doc_id, b.format))
            kept.append(item)
            continue
        report.duplicates.append(Duplicate(b.doc_id, owner[0], b.content_hash, b.source_path))
        logger.info("%s: same release as %s (%s); not indexed twice", b.source_path, owner[0], key)
    order = {item.briefing.doc_id: i for i, item in enumerate(loaded)}
    return sorted(kept, key=lambda it: order[it.briefing.doc_id])


def _merge_duplicates(
    old_dups: dict[str, Duplicate], report: IngestReport, loaded: list[LoadedBriefing], old_docs: dict, deleting: set[str]
) -> list[Duplicate]:
    """The duplicates table of the new version: old rows still valid plus this batch's."""
    fresh = {d.doc_id for d in report.duplicates} | {item.briefing.doc_id for item in loaded}
    owners = ({*old_docs} | {item.briefing.doc_id for item in loaded}) - deleting
    kept = [d for d in old_dups.values() if d.doc_id not in fresh and d.doc_id not in deleting and d.duplicate_of in owners]
    return sorted(kept + report.duplicates, key=lambda d: d.doc_id)


class _OldVersion(NamedTuple):
    store: Store
    vectors: VectorIndex
    embedder: str  # the manifest's: vectors are reused only under the same name


def _open_old(index_dir: Path, embedder: Embedder) -> _OldVersion | None:
    if not has_index(index_dir):
        return None
    folder = current_version(index_dir)
    manifest = read_manifest(folder)
    check_embedder(manifest, embedder.name, embedder.dim)
    return _OldVersion(Store(folder / "store.sqlite"), VectorIndex.load(folder / "vectors.faiss"), manifest.embedder)


def _write_version(
    index_dir: Path,
    embedder: Embedder,
    old: _OldVersion | None,
    loaded: list[LoadedBriefing],
    duplicates: list[Duplicate],
    report: IngestReport,
    ahead: EmbedAhead,
    known: dict[str, int],
    on_chunk: Progress | None,
) -> None:
    building = new_version_dir(index_dir)
    try:
        store = Store(building / "store.sqlite", create=True)
        # A file that now duplicates another release loses its own chunks, like a deleted one.
        replaced = {b.briefing.doc_id for b in loaded} | set(report.deleted) | {d.doc_id for d in report.duplicates}
        also_files: dict[str, list[str]] = {}
        for duplicate in duplicates:
            store.add_duplicate(duplicate)
            also_files.setdefault(duplicate.duplicate_of, []).append(duplicate.doc_id)
        vectors: list[np.ndarray] = []
        corpus_tokens: list[list[str]] = []
        row = 0
        old_matrix: np.ndarray | None = None
        if old:
            old_matrix = old.vectors.vectors()
            for doc in old.store.documents():
                if doc.doc_id not in replaced:
                    kept = old.store.document(doc.doc_id)
                    assert kept is not None
                    store.add_document(replace(kept, also_files=tuple(also_files.get(doc.doc_id, ()))))
                    store.add_facts(old.store.facts(doc_id=doc.doc_id))
            for old_row, chunk, tokens in old.store.chunk_rows():
                if chunk.doc_id in replaced:
                    continue
                store.add_chunk(row, chunk, tokens)
                vectors.append(old_matrix[old_row : old_row + 1])
                corpus_tokens.append(tokens)
                row += 1
        for item in loaded:
            store.add_document(replace(item.briefing, also_files=tuple(also_files.get(item.briefing.doc_id, ()))))
            store.add_facts(item.facts)
            report.fact_count += len(item.facts)
        chunks = [c for item in loaded for c in item.chunks]
        titles = [item.briefing.title for item in loaded for _ in item.chunks]
        new_vectors, new_tokens, report.chunks_embedded = vectors_and_tokens(
            [passage_text(title, c) for title, c in zip(titles, chunks, strict=True)], ahead, known, old_matrix, on_chunk)
        report.chunks_reused = len(chunks) - report.chunks_embedded
        for chunk, tokens in zip(chunks, new_tokens, strict=True):
            store.add_chunk(row, chunk, tokens)
            corpus_tokens.append(tokens)
            row += 1
        vectors.append(new_vectors)
        store.add_doc_freqs(doc_freqs(corpus_tokens))
        store.commit()
        store.close()
        matrix = np.vstack(vectors) if vectors else np.zeros((0, embedder.dim), dtype=np.float32)
        vector_index = VectorIndex.build(matrix)
        vector_index.save(building / "vectors.faiss")
        KeywordIndex.build(corpus_tokens).save(building / "bm25")
        document_count = len({*(b.briefing.doc_id for b in loaded)} | _kept_docs(old, replaced))
        write_manifest(
            building,
            IndexManifest(
                format_version=FORMAT_VERSION,
                briefqa_version=briefqa_version(),
                embedder=embedder.name,
                dim=embedder.dim,
                tokenizer=TOKENIZER_NAME,
                vector_index=vector_index.kind,
                vector_params=vector_index.params(),
                chunk_count=row,
                document_count=document_count,
                created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            ),
        )
        report.chunk_count = row
        report.version = publish(index_dir, building).name
    except BaseException:
        discard(building)
        raise


def doc_freqs(corpus_tokens: list[list[str]]) -> dict[str, int]:
    """How many chunks hold each term: the ``df`` of the idf that weighs question terms."""
    counts: Counter[str] = Counter()
    for tokens in corpus_tokens:
        counts.update(set(tokens))
    return dict(counts)


def _kept_docs(old: _OldVersion | None, replaced: set[str]) -> set[str]:
    if not old:
        return set()
    return {d.doc_id for d in old[0].documents() if d.doc_id not in replaced}
