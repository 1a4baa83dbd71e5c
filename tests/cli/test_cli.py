import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli


def test_ask_json_follows_the_contract(built_index: Path) -> None:
    result = CliRunner().invoke(cli, ["ask", "내년 스마트공장 지원 예산은 얼마인가요?", "--index", str(built_index), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "4,366억원" in data["answer"]
    assert data["citations"][0]["source"] == "000_5a375b227c424bcf.txt"


def test_search_json_lists_passages_with_offsets(built_index: Path) -> None:
    result = CliRunner().invoke(cli, ["search", "불법 스팸 협의체", "--index", str(built_index), "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["query"] == "불법 스팸 협의체" and len(data["passages"]) == 3
    assert data["passages"][0]["source"] == "0113.txt"
    assert {"source", "chunk_id", "score", "text", "start", "end"} <= set(data["passages"][0])


def test_index_defaults_to_the_environment(built_index: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from core.settings import get_settings

    monkeypatch.setenv("BRIEFQA_INDEX", str(built_index))
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["search", "불법 스팸", "-k", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["passages"][0]["source"] == "0113.txt"


def test_ingest_exit_codes(index_dir: Path, briefings_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    unchanged = runner.invoke(cli, ["ingest", str(briefings_dir), "--index", str(index_dir)])
    assert unchanged.exit_code == 0, unchanged.output
    assert "6 unchanged" in unchanged.output
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(briefings_dir / "0046.txt", batch / "0046-copy.txt")
    (batch / "bad.txt").write_bytes(b"\x00\xff" * 10)
    partial = runner.invoke(cli, ["ingest", str(batch), "--index", str(index_dir)])
    assert partial.exit_code == 1
    assert "bad.txt" in partial.output and "1 new" in partial.output
    assert runner.invoke(cli, ["ingest"]).exit_code == 2


def test_missing_index_is_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["ask", "예산은?", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "no index at" in result.output and "briefqa ingest" in result.output


def test_eval_reports_every_figure(built_index: Path, data_dir: Path, tmp_path: Path) -> None:
    metrics = tmp_path / "metrics.json"
    predictions = tmp_path / "pred.jsonl"
    qa = data_dir / "eval" / "dev_sample.jsonl"
    result = CliRunner().invoke(cli, ["eval", str(qa), "--index", str(built_index), "--json", str(metrics),
                                      "--predictions", str(predictions)])
    assert result.exit_code == 0, result.output
    report = json.loads(metrics.read_text(encoding="utf-8"))
    assert list(report)[0] == "accuracy"
    assert {"recall@5", "mrr@10", "by_type"} <= set(report)
    rows = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == sum(1 for _ in qa.open(encoding="utf-8") if _.strip())
    assert all({"id", "question", "answer", "answer_type", "citations", "passages"} <= set(r) for r in rows)
