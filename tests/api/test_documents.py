import json

from fastapi.testclient import TestClient


def test_documents_filter_by_kind_and_dates(api: TestClient) -> None:
    everything = api.get("/api/documents", params={"limit": 100}).json()
    releases = api.get("/api/documents", params={"kind": "보도자료", "limit": 100}).json()
    assert 0 < releases["total"] < everything["total"]
    assert all(d["kind"] == "보도자료" for d in releases["documents"])
    april = api.get("/api/documents", params={"date_from": "2026-04-12", "date_to": "2026-04-13"}).json()
    assert {d["id"] for d in april["documents"]} == {"0046.txt", "0087.txt"}
    assert all("2026-04-12" <= d["date"] <= "2026-04-13" for d in april["documents"])


def test_documents_are_paginated_newest_first(api: TestClient) -> None:
    first = api.get("/api/documents", params={"limit": 2}).json()
    second = api.get("/api/documents", params={"limit": 2, "offset": 2}).json()
    dates = [d["date"] for d in first["documents"] + second["documents"]]
    assert dates == sorted(dates, reverse=True) and first["total"] == second["total"] == 6
    assert {d["id"] for d in first["documents"]}.isdisjoint({d["id"] for d in second["documents"]})


def test_documents_reject_a_page_over_100_and_a_bad_date(api: TestClient) -> None:
    assert api.get("/api/documents", params={"limit": 101}).status_code == 422
    response = api.get("/api/documents", params={"date_from": "2026-13-01"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "date_from"


def test_ask_answer_keeps_the_contract(api: TestClient) -> None:
    body = api.post("/api/ask", json={"question": "고위험 사업장 전수조사 담당자 연락처는?"}).json()
    assert set(body) == {"question", "answer", "answer_type", "citations", "passages", "reason", "confidence", "items",
                         "cited_items", "rephrased", "rephrase_rejected"}
    assert body["rephrased"] is None and body["rephrase_rejected"] == ""  # BRIEFQA_LLM_URL is unset: off
    assert body["answer_type"] == "contact" and body["answer"].startswith("044-202-")
    assert body["citations"][0]["source"] == "0087.txt"


def test_ask_with_a_date_filter_that_excludes_everything_abstains(api: TestClient) -> None:
    body = api.post("/api/ask", json={"question": "예산은 얼마인가요?", "date_from": "2030-01-01"}).json()
    assert body["answer"] is None and body["passages"] == [] and body["reason"]


def test_openapi_documents_every_route_with_korean_examples(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()
    assert {"/api/ask", "/api/search", "/api/documents", "/api/documents/{doc_id}", "/api/documents/{doc_id}/facts",
            "/api/facts", "/api/contacts", "/api/health"} <= set(schema["paths"])
    assert set(schema["paths"]["/api/documents"]) == {"get", "post"}
    assert "multipart/form-data" in schema["paths"]["/api/documents"]["post"]["requestBody"]["content"]
    assert "스마트공장" in json.dumps(schema, ensure_ascii=False)
    assert api.get("/docs").status_code == 200
