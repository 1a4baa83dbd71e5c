from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings


@pytest.fixture(scope="module")
def client(built_index: Path):  # type: ignore[no-untyped-def]
    with TestClient(create_app(Settings(index_dir=built_index), with_ui=False)) as client:
        yield client


def test_ask_returns_a_cited_short_answer(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "내년 스마트공장 지원 예산은 얼마인가요?"})
    assert response.status_code == 200
    body = response.json()
    assert "4,366억원" in body["answer"]
    assert body["answer_type"] == "budget"
    first = body["citations"][0]
    assert first["source"] == "000_5a375b227c424bcf.txt"
    assert body["answer"] in first["quote"]
    assert len(body["passages"]) == 10


def test_ask_filters_narrow_the_sources(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "예산은 얼마인가요?", "ministry": "중소벤처기업부"}).json()
    assert body["passages"] and {p["source"] for p in body["passages"]} == {"0016.txt"}


def test_over_long_question_is_a_422_naming_the_field(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "가" * 1001})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["field"] == "question"


def test_malformed_body_is_a_json_error(client: TestClient) -> None:
    response = client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "error" in response.json()


def test_search_is_paginated(client: TestClient) -> None:
    first = client.get("/api/search", params={"q": "고위험 사업장 전수조사", "limit": 2}).json()
    second = client.get("/api/search", params={"q": "고위험 사업장 전수조사", "limit": 2, "offset": 2}).json()
    assert first["passages"][0]["source"] == "0087.txt"
    assert len(first["passages"]) == 2 and len(second["passages"]) == 2
    assert {p["chunk_id"] for p in first["passages"]}.isdisjoint({p["chunk_id"] for p in second["passages"]})


def test_documents_list_and_detail(client: TestClient) -> None:
    listing = client.get("/api/documents", params={"limit": 100}).json()
    assert listing["total"] == 6
    assert {d["id"] for d in listing["documents"]} >= {"000_5a375b227c424bcf.txt", "0087.txt"}
    detail = client.get("/api/documents/0087.txt").json()
    assert detail["ministry"] == "고용노동부"
    chunk = detail["chunks"][0]
    assert detail["text"][chunk["start"]:chunk["end"]] == chunk["text"]
    assert any(f["kind"] == "contact" and f["attrs"]["name"] == "배영일" for f in detail["facts"])


def test_unknown_document_is_a_404(client: TestClient) -> None:
    response = client.get("/api/documents/nope.txt")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "document_not_found"


@pytest.mark.parametrize(("method", "path"), [("PUT", "/api/ask"), ("DELETE", "/api/facts"), ("PATCH", "/api/documents")])
def test_a_wrong_method_is_a_405_in_korean(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    error = response.json()["error"]
    assert error["code"] == "method_not_allowed" and "메서드" in error["message"]


def test_an_unknown_path_is_a_404_in_korean(client: TestClient) -> None:
    error = client.get("/api/nothing-here").json()["error"]
    assert error["code"] == "not_found" and error["message"] == "요청한 주소가 없습니다."


def test_health_reports_the_index(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["documents"] == 6 and body["embedder"] == Settings.model_fields["embedder"].default


def test_without_an_index_the_api_says_so(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(index_dir=tmp_path / "none"), with_ui=False)) as client:
        assert client.get("/api/health").json()["status"] == "no_index"
        response = client.post("/api/ask", json={"question": "예산은?"})
        assert response.status_code == 503
        assert "briefqa ingest" in response.json()["error"]["message"]


def test_ui_is_mounted_at_the_root(built_index: Path) -> None:
    with TestClient(create_app(Settings(index_dir=built_index))) as client:
        page = client.get("/")
        assert page.status_code == 200 and "briefqa" in page.text
        assert client.get("/api/health").json()["status"] == "ok"
        assert client.get("/openapi.json").status_code == 200
