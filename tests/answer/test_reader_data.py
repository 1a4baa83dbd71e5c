"""The reader's training data and features: the domain set as committed, windows that map back to text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from answer.reader_features import encode, load_tokenizer, token_span
from training import domain_check

ROOT = Path(__file__).resolve().parents[2]
QA = ROOT / "data" / "qa"
CORPUS = ROOT.parent / "shared" / "corpus" / "briefings"


def _rows(paths: list[Path]) -> list[dict]:
    return [json.loads(line) for p in paths for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/briefings is not on this machine")
def test_every_domain_answer_is_a_span_of_its_release() -> None:
    files = sorted((QA / "train").glob("*.jsonl")) + [QA / "unseen_releases.jsonl"]
    assert domain_check.main([str(f) for f in files] + ["--corpus", str(CORPUS)]) == 0


def test_domain_set_size_mix_and_held_out_releases() -> None:
    train = _rows(sorted((QA / "train").glob("*.jsonl")))
    assert len(train) >= 1500
    assert {r["type"] for r in train} == domain_check.TYPES
    assert sum(not r["answerable"] for r in train) / len(train) >= 0.15
    held = {line.strip() for line in (QA / "heldout_releases.txt").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")}
    assert len(held) >= 30
    assert not held & {r["source"] for r in train}, "a held-out release has a training question"
    unseen = _rows([QA / "unseen_releases.jsonl"])
    assert {r["source"] for r in unseen} <= held


def test_windows_map_tokens_back_to_release_characters(briefings_dir: Path) -> None:
    from answer.reader import _tokenizer_path

    tokenizer = load_tokenizer(_tokenizer_path())
    text = (briefings_dir / "000_5a375b227c424bcf.txt").read_text(encoding="utf-8")
    start = text.index("4,366억원")
    windows = encode(tokenizer, "내년 스마트공장 예산은 얼마인가요?", [text], max_length=128, stride=32)
    assert len(windows) > 3  # a long release is read in overlapping windows
    labelled = [(w, token_span(windows.offsets[w], start, start + len("4,366억원"))) for w in range(len(windows))]
    holding = [(w, span) for w, span in labelled if span]
    assert holding, "no window holds the answer"
    for w, (first, last) in holding:
        lo, hi = windows.offsets[w][first][0], windows.offsets[w][last][1]
        assert text[lo:hi].strip() == "4,366억원"


def test_calibration_is_finite_monotone_and_picks_the_accuracy_best_threshold() -> None:
    from training.train_reader import fit_calibration

    # wrong answers below margin 0, right ones above: separable, where a plain Newton fit diverges
    rows = [(m, 0, 1) for m in (-6.0, -4.0, -2.5, -1.0)] + [(m, 1, 0) for m in (0.5, 2.0, 3.5, 7.0)]
    fit = fit_calibration(rows)
    assert all(abs(fit[k]) < 50 for k in ("a", "b"))
    assert fit["a"] > 0
    assert -1.0 < fit["threshold"] < 0.5
    assert fit["accuracy_at_threshold"] == 1.0
    # one-sided: every answer right, so the best threshold answers everything
    fit = fit_calibration([(m, 1, 0) for m in (-3.0, 1.0, 4.0)])
    assert fit["threshold"] < -3.0 and fit["a"] >= 0
