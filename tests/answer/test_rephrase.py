"""The optional LLM rephrasing step, against a real OpenAI-compatible HTTP endpoint on loopback.

The endpoint is a small ``http.server`` in a thread that answers ``POST /v1/chat/completions`` with
replies each test configures: a stand-in for an external service, not a mock of our code. Answers
come from the real answerer over the real test index.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from answer.answerer import Answerer
from answer.rephrase import MAX_PASSAGES, SYSTEM_PROMPT, Rephraser, ungrounded_terms
from api.app import build_rephraser, create_app
from core.errors import ConfigError
from core.settings import Settings
from ingest.sentences import kiwi
from ui.render import render_answer

QUESTION = "내년 스마트공장 지원 예산은 얼마인가요?"
# Every number and name here is in the first cited passage ("…확대(+84.9%, '25년 2,361억원→'26년 4,366억원)…").
GROUNDED = "'26년 스마트공장 구축·확산 지원 예산은 4,366억원으로, '25년 2,361억원보다 84.9% 늘었습니다."


@dataclasses.dataclass
class Script:
    """What the stand-in endpoint answers next, and what it was sent."""

    status: int = 200
    body: bytes = b""
    delay_s: float = 0.0
    requests: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def reply(self, content: str) -> None:
        self.status, self.delay_s = 200, 0.0
        self.body = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "model": "stand-in",
                                "choices": [{"index": 0, "finish_reason": "stop",
                                             "message": {"role": "assistant", "content": content}}]},
                               ensure_ascii=False).encode()


class _Endpoint(BaseHTTPRequestHandler):
    script: Script

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length", 0))
        self.script.requests.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                                     "json": json.loads(self.rfile.read(length))})
        time.sleep(self.script.delay_s)
        try:
            self.send_response(self.script.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(self.script.body)))
            self.end_headers()
            self.wfile.write(self.script.body)
        except OSError:
            pass  # the client gave up (the timeout test)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (http.server's signature)
        pass


@dataclasses.dataclass
class Llm:
    url: str
    script: Script


@pytest.fixture(scope="module")
def _server() -> Iterator[tuple[str, type[_Endpoint]]]:
    handler = type("Endpoint", (_Endpoint,), {"script": Script()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def llm(_server: tuple[str, type[_Endpoint]]) -> Llm:
    url, handler = _server
    handler.script = Script()
    handler.script.reply(GROUNDED)
    return Llm(url, handler.script)


def _rephrasing(answerer: Answerer, url: str, **kwargs: Any) -> Answerer:
    return Answerer(answerer.index, rephraser=Rephraser(url, "stand-in", **kwargs))


def test_grounded_rephrase_is_kept_beside_the_extractive_answer(answerer, llm: Llm) -> None:  # type: ignore[no-untyped-def]
    plain = answerer.ask(QUESTION)
    answer = _rephrasing(answerer, llm.url, api_key="k-123").ask(QUESTION)
    assert answer.rephrased == GROUNDED and answer.rephrase_rejected == ""
    assert answer.text == plain.text and answer.citations == plain.citations
    sent = llm.script.requests[-1]
    assert sent["path"] == "/v1/chat/completions" and sent["authorization"] == "Bearer k-123"
    assert sent["json"]["model"] == "stand-in"
    system, user = sent["json"]["messages"]
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    assert QUESTION in user["content"] and plain.text in user["content"]
    assert plain.citations[0].quote in user["content"]


def test_rephrase_with_a_changed_amount_is_rejected(answerer, llm: Llm, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    llm.script.reply(GROUNDED.replace("4,366억원", "4,636억원"))
    with caplog.at_level(logging.INFO, logger="answer.rephrase"):
        answer = _rephrasing(answerer, llm.url).ask(QUESTION)
    assert answer.rephrased is None
    assert "4,636억원" in answer.rephrase_rejected
    assert answer.text == answerer.ask(QUESTION).text
    assert any("4,636억원" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("reply", "absent"), [
    ("홍길동 장관은 '26년 스마트공장 예산이 4,366억원이라고 밝혔습니다.", "홍길동"),
    ("산업통상자원부는 '26년 스마트공장 예산을 4,366억원으로 늘립니다.", "산업통상자원부"),
    ("KOTRA는 '26년 스마트공장 예산 4,366억원을 집행합니다.", "KOTRA"),
    ("'26년 \"스마트 제조 2030\" 예산은 4,366억원입니다.", "스마트 제조 2030"),
])
def test_rephrase_naming_someone_absent_from_the_passages_is_rejected(answerer, llm: Llm, reply: str,  # type: ignore[no-untyped-def]
                                                                      absent: str) -> None:
    llm.script.reply(reply)
    answer = _rephrasing(answerer, llm.url).ask(QUESTION)
    assert answer.rephrased is None
    assert absent in answer.rephrase_rejected


def test_a_name_that_is_in_a_cited_passage_is_allowed(answerer, llm: Llm) -> None:  # type: ignore[no-untyped-def]
    question = "AI 팩토리 선도사업 공장을 2030년까지 몇 개로 늘리나요?"
    answer = answerer.ask(question)
    quoted = " ".join(c.quote for c in answer.citations[:MAX_PASSAGES])
    names = [t.form for t in kiwi().tokenize(quoted) if t.tag in ("NNP", "SL") and len(t.form) >= 2]
    assert answer.text and names, "the cited sentence holds a name (a proper noun or a Latin word)"
    llm.script.reply(f"{names[0]} 관련 목표는 {answer.text}입니다.")
    assert _rephrasing(answerer, llm.url).ask(question).rephrased is not None


def _refused_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.mark.parametrize(("failure", "reason"), [
    ("server down", "연결 실패"),
    ("status 500", "상태 500"),
    ("timeout", "시간 초과"),
    ("garbage", "JSON"),
    ("no choices", "JSON"),
    ("empty content", "비어"),
])
def test_endpoint_failures_keep_the_extractive_answer(answerer, llm: Llm, failure: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    url = llm.url
    if failure == "server down":
        url = _refused_port()
    elif failure == "status 500":
        llm.script.status, llm.script.body = 500, b'{"error": {"message": "overloaded"}}'
    elif failure == "timeout":
        llm.script.delay_s = 2.0
    elif failure == "garbage":
        llm.script.body = b"<html>not json"
    elif failure == "no choices":
        llm.script.body = b'{"object": "chat.completion", "choices": []}'
    elif failure == "empty content":
        llm.script.reply("   ")
    started = time.monotonic()
    answer = _rephrasing(answerer, url, timeout_s=0.5).ask(QUESTION)
    assert time.monotonic() - started < 10
    assert answer.rephrased is None and reason in answer.rephrase_rejected
    assert answer.text == answerer.ask(QUESTION).text and answer.citations


def test_an_abstention_is_not_sent_to_the_endpoint(answerer, llm: Llm) -> None:  # type: ignore[no-untyped-def]
    answer = _rephrasing(answerer, llm.url).ask("화성 탐사선 발사 예산은 얼마인가요?")
    assert answer.text is None and answer.rephrased is None and answer.rephrase_rejected == ""
    assert llm.script.requests == []


@pytest.mark.parametrize(("sentence", "missing"), [
    ("예산은 4366억 원입니다.", []),  # the same amount, written differently
    ("예산은 0.4366조원입니다.", []),  # the same value in another scale
    ("2026년 예산은 4,366억원입니다.", []),  # '26년 in the passage
    ("2027년 예산은 4,366억원입니다.", ["2027년"]),
    ("예산은 366억원입니다.", ["366억원"]),  # inside 4,366억원, but another amount
    ("84.9% 늘었습니다.", []),
    ("4.9% 늘었습니다.", ["4.9%"]),  # inside 84.9%
    ("문의는 044-204-7262입니다.", []),
    ("문의는 044-204-7263입니다.", ["044-204-7263"]),
    ("12단계로 나눕니다.", ["12"]),  # the passage lists "1, 2단계", not 12
])
def test_ungrounded_terms_compare_numbers_by_value_and_whole_number(sentence: str, missing: list[str]) -> None:
    passages = ["스마트공장 구축·확산 지원 예산도 대폭 확대(+84.9%, '25년 2,361억원→'26년 4,366억원)",
                "제조혁신과(044-204-7262) 1, 2단계"]
    assert ungrounded_terms(sentence, passages) == missing


def test_api_ask_carries_the_rephrased_sentence(built_index: Path, llm: Llm, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(index_dir=built_index, ask_rate_per_minute=10_000, llm_url=llm.url, llm_model="stand-in",
                        llm_api_key="sk-secret-7f3a")
    with caplog.at_level(logging.DEBUG), TestClient(create_app(settings, with_ui=False)) as client:
        body = client.post("/api/ask", json={"question": QUESTION}).json()
        assert body["rephrased"] == GROUNDED and body["rephrase_rejected"] == ""
        assert "4,366억원" in body["answer"]
        llm.script.reply(GROUNDED.replace("2,361억원", "2,631억원"))
        body = client.post("/api/ask", json={"question": QUESTION}).json()
        assert body["rephrased"] is None and "2,631억원" in body["rephrase_rejected"]
        assert "4,366억원" in body["answer"]
    assert llm.script.requests[0]["authorization"] == "Bearer sk-secret-7f3a"
    assert not any("sk-secret-7f3a" in r.getMessage() for r in caplog.records)
    assert "sk-secret-7f3a" not in repr(settings)


def test_rephrasing_is_off_by_default_and_validates_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert build_rephraser(Settings()) is None
    monkeypatch.setenv("BRIEFQA_LLM_URL", "http://127.0.0.1:8080/v1")
    monkeypatch.setenv("BRIEFQA_LLM_MODEL", "qwen")
    rephraser = build_rephraser(Settings())
    assert rephraser is not None and rephraser.endpoint == "http://127.0.0.1:8080/v1/chat/completions"
    with pytest.raises(ConfigError, match="BRIEFQA_LLM_MODEL"):
        build_rephraser(Settings(llm_url="http://127.0.0.1:8080/v1", llm_model=""))
    with pytest.raises(ConfigError, match="BRIEFQA_LLM_URL"):
        build_rephraser(Settings(llm_url="127.0.0.1:8080", llm_model="qwen"))


def test_chat_shows_the_rephrased_sentence_under_the_answer(answerer) -> None:  # type: ignore[no-untyped-def]
    answer = answerer.ask(QUESTION)
    assert "briefqa-rephrased" not in render_answer(answer)
    html = render_answer(dataclasses.replace(answer, rephrased="예산은 <b>4,366억원</b>입니다."))
    assert '<p class="briefqa-rephrased">예산은 &lt;b&gt;4,366억원&lt;/b&gt;입니다.</p>' in html
    assert html.index("briefqa-answer") < html.index("briefqa-rephrased") < html.index("briefqa-card")
