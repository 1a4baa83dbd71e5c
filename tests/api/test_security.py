import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings

ADMIN_TOKEN = "test-admin-token-7f3a"  # the admin_api fixture's token


def bearer(token: str = ADMIN_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_admin_routes_are_disabled_without_a_configured_token(api: TestClient) -> None:
    upload = api.post("/api/documents", files={"files": ("a.txt", "보도자료".encode())}, headers=bearer())
    delete = api.delete("/api/documents/0087.txt", headers=bearer())
    for response in (upload, delete):
        assert response.status_code == 403 and response.json()["error"]["code"] == "admin_disabled"
    assert api.get("/api/documents/0087.txt").status_code == 200


def test_missing_or_wrong_token_is_a_401(admin_api: TestClient) -> None:
    for headers in ({}, bearer("wrong"), {"Authorization": ADMIN_TOKEN}, {"Authorization": "Basic " + ADMIN_TOKEN}):
        response = admin_api.delete("/api/documents/0087.txt", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
        assert ADMIN_TOKEN not in response.text
    assert admin_api.get("/api/documents/0087.txt").status_code == 200


def test_the_token_never_reaches_the_logs(admin_api: TestClient, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.DEBUG):
        admin_api.delete("/api/documents/nope.txt", headers=bearer())
        admin_api.delete("/api/documents/nope.txt", headers=bearer(ADMIN_TOKEN + "x"))
    assert caplog.records and ADMIN_TOKEN not in caplog.text


def test_ask_rate_limit_answers_429_with_retry_after(built_index: Path) -> None:
    settings = Settings(index_dir=built_index, ask_rate_per_minute=2)
    with TestClient(create_app(settings, with_ui=False)) as client:
        codes = [client.post("/api/ask", json={"question": "예산은?"}).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        limited = client.post("/api/ask", json={"question": "예산은?"})
        assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 30
        assert client.get("/api/search", params={"q": "예산"}).status_code == 200  # only /api/ask is limited


def test_over_long_question_is_rejected(api: TestClient) -> None:
    response = api.post("/api/ask", json={"question": "가" * 1001})
    assert response.status_code == 422 and response.json()["error"]["field"] == "question"
    assert api.post("/api/ask", json={"question": "가" * 1000}).status_code == 200


def test_every_response_carries_a_request_id(api: TestClient) -> None:
    echoed = api.get("/api/health", headers={"X-Request-ID": "desk-42.abc"})
    assert echoed.headers["x-request-id"] == "desk-42.abc"
    generated = {api.get("/api/health").headers["x-request-id"] for _ in range(2)}
    assert len(generated) == 2 and all(len(g) == 32 for g in generated)
    for response in (api.get("/api/nowhere"), api.post("/api/ask", json={}), api.get("/api/documents/x.txt")):
        assert response.status_code in (404, 422) and response.headers["x-request-id"]
        assert set(response.json()["error"]) == {"code", "message", "field"}


def test_an_unsafe_request_id_is_replaced(api: TestClient) -> None:
    response = api.get("/api/health", headers={"X-Request-ID": "a b\"c" + "x" * 200})
    assert response.headers["x-request-id"] != "a b\"c" + "x" * 200 and len(response.headers["x-request-id"]) == 32


def test_access_log_is_one_json_line_per_request(api: TestClient, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.INFO, logger="briefqa.access"):
        api.get("/api/documents/0087.txt", headers={"X-Request-ID": "log-test-1"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "briefqa.access"]
    assert len(lines) == 1
    assert lines[0]["request_id"] == "log-test-1" and lines[0]["status"] == 200
    assert lines[0]["route"] == "/api/documents/{doc_id:path}" and lines[0]["method"] == "GET"
    assert lines[0]["duration_ms"] >= 0


def test_cors_is_closed_by_default_and_open_to_configured_origins(api: TestClient, built_index: Path) -> None:
    origin = {"Origin": "https://newsroom.example.kr"}
    assert "access-control-allow-origin" not in api.get("/api/health", headers=origin).headers
    settings = Settings(index_dir=built_index, cors_origins=["https://newsroom.example.kr"])
    with TestClient(create_app(settings, with_ui=False)) as client:
        response = client.get("/api/health", headers=origin)
        assert response.headers["access-control-allow-origin"] == "https://newsroom.example.kr"
        assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
        other = client.get("/api/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_metrics_count_requests_by_route_template(api: TestClient) -> None:
    api.get("/api/documents/0087.txt")
    api.get("/api/documents/0016.txt")
    text = api.get("/metrics").text
    assert 'briefqa_http_requests_total{method="GET",route="/api/documents/{doc_id:path}",status="200"}' in text
    assert "0087.txt" not in text
    assert 'briefqa_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/documents/{doc_id:path}"}' in text
    assert "briefqa_index_documents 6.0" in text and "briefqa_index_facts" in text


def test_settings_read_cors_origins_as_a_comma_list(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BRIEFQA_CORS_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("BRIEFQA_ADMIN_TOKEN", "")
    settings = Settings()
    assert settings.cors_origins == ["https://a.example", "https://b.example"] and settings.admin_token is None


@pytest.fixture(scope="module")
def served(built_index: Path):  # type: ignore[no-untyped-def]
    """The app as `briefqa serve` builds it: the API with the chat page mounted at /."""
    with TestClient(create_app(Settings(index_dir=built_index, ask_rate_per_minute=10_000))) as client:
        yield client


def _assert_security_headers(response) -> None:  # type: ignore[no-untyped-def]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "default-src 'self'" in csp


def test_security_headers_on_the_page_the_api_and_errors(served: TestClient) -> None:
    page = served.get("/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    _assert_security_headers(page)
    ask = served.post("/api/ask", json={"question": "내년 스마트공장 지원 예산은 얼마인가요?"})
    assert ask.status_code == 200 and "4,366억원" in ask.json()["answer"]
    _assert_security_headers(ask)
    error = served.post("/api/ask", json={})
    assert error.status_code == 422
    _assert_security_headers(error)


@pytest.mark.parametrize("path", ["/api/documents/", "/api/nothing-here", "/api/ask/"])
def test_unknown_api_paths_answer_in_the_error_shape_beside_the_chat(served: TestClient, path: str) -> None:
    response = served.post(path)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "요청한 주소가 없습니다.", "field": None}}
    _assert_security_headers(response)


def test_a_wrong_method_beside_the_chat_is_a_405_naming_the_allowed_ones(served: TestClient) -> None:
    response = served.put("/api/ask")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_chat_takes_no_uploads_and_shows_no_gradio_footer(served: TestClient) -> None:
    upload = served.post("/gradio_api/upload", files={"files": ("note.txt", b"hello", "text/plain")})
    assert upload.status_code == 404 and upload.json()["error"]["code"] == "not_found"
    _assert_security_headers(upload)
    config = served.get("/config").json()
    assert config.get("footer_links") in ([], None)
    assert {d["api_visibility"] for d in config["dependencies"]} == {"private"}
    assert served.get("/gradio_api/info").json() == {"named_endpoints": {}, "unnamed_endpoints": {}}
