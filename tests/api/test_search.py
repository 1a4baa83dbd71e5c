from fastapi.testclient import TestClient

from core.text import fold


def test_search_highlights_are_spans_of_the_query_terms(api: TestClient) -> None:
    body = api.get("/api/search", params={"q": "고위험 사업장 전수조사", "limit": 3}).json()
    top = body["passages"][0]
    assert top["source"] == "0087.txt"
    marked = {fold(top["text"][h["start"]:h["end"]]) for h in top["highlights"]}
    assert {"고위험", "사업장"} <= marked or any("사업장" in m for m in marked)
    for passage in body["passages"]:
        spans = [(h["start"], h["end"]) for h in passage["highlights"]]
        assert spans == sorted(spans)
        assert all(0 <= s < e <= len(passage["text"]) for s, e in spans)


def test_search_highlights_ignore_width_and_case(api: TestClient) -> None:
    body = api.get("/api/search", params={"q": "AI 팩토리", "limit": 5}).json()
    hits = [p for p in body["passages"] if p["source"] == "000_5a375b227c424bcf.txt"]
    assert hits
    marked = {fold(p["text"][h["start"]:h["end"]]) for p in hits for h in p["highlights"]}
    assert "ai" in marked and "팩토리" in marked


def test_search_reports_total_and_next_offset(api: TestClient) -> None:
    first = api.get("/api/search", params={"q": "예산", "limit": 5}).json()
    assert first["total"] > 5 and first["next_offset"] == 5
    last = api.get("/api/search", params={"q": "예산", "limit": 5, "offset": first["total"] - 2}).json()
    assert len(last["passages"]) == 2 and last["next_offset"] is None
    beyond = api.get("/api/search", params={"q": "예산", "offset": first["total"] + 3}).json()
    assert beyond["passages"] == [] and beyond["next_offset"] is None


def test_search_total_counts_the_passages_that_hold_a_term(api: TestClient) -> None:
    chunks = api.get("/api/health").json()["chunks"]
    body = api.get("/api/search", params={"q": "스마트공장", "limit": 100}).json()
    assert 0 < body["total"] < chunks and len(body["passages"]) == body["total"]
    assert all(p["highlights"] for p in body["passages"])  # every listed passage holds the term
    none = api.get("/api/search", params={"q": "화성 이주 우주선"}).json()
    assert none["total"] == 0 and none["passages"] == []


def test_search_filters_by_ministry_and_date(api: TestClient) -> None:
    body = api.get("/api/search", params={"q": "예산", "ministry": "중소벤처기업부", "limit": 100}).json()
    assert body["passages"] and {p["source"] for p in body["passages"]} == {"0016.txt"}
    assert body["total"] == len(body["passages"])
    dated = api.get("/api/search", params={"q": "예산", "date_to": "2025-12-31", "limit": 100}).json()
    assert {p["source"] for p in dated["passages"]} <= {"0002.txt", "000_5a375b227c424bcf.txt"}


def test_search_rejects_a_bad_date_and_a_page_over_100(api: TestClient) -> None:
    bad_date = api.get("/api/search", params={"q": "예산", "date_from": "13/04/2026"})
    assert bad_date.status_code == 422 and bad_date.json()["error"]["field"] == "date_from"
    no_such_day = api.get("/api/search", params={"q": "예산", "date_to": "2026-02-30"})
    assert no_such_day.status_code == 422 and "없는 날짜" in no_such_day.json()["error"]["message"]
    too_big = api.get("/api/search", params={"q": "예산", "limit": 101})
    assert too_big.status_code == 422 and too_big.json()["error"]["field"] == "limit"
