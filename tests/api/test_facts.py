import csv
import io

from fastapi.testclient import TestClient

BUDGET_DOC = "000_5a375b227c424bcf.txt"


def test_budget_facts_are_money_with_a_citation(api: TestClient) -> None:
    body = api.get("/api/facts", params={"type": "budget", "q": "스마트공장", "limit": 100}).json()
    row = next(f for f in body["facts"] if f["source"] == BUDGET_DOC and "4,366억원" in f["quote"])
    assert row["type"] == "budget" and row["kind"] == "money"
    assert row["ministry"] == "기획재정부" and row["date"] == "2025-09-19" and row["title"].startswith("AI 대전환")
    text = api.get(f"/api/documents/{BUDGET_DOC}").json()["text"]
    assert text[row["start"]:row["end"]] == row["quote"]
    assert all(f["kind"] == "money" for f in body["facts"])


def test_facts_filter_by_ministry_year_and_page(api: TestClient) -> None:
    moel = api.get("/api/facts", params={"ministry": "고용노동부", "limit": 100}).json()
    assert moel["total"] > 0 and {f["source"] for f in moel["facts"]} == {"0087.txt"}
    year = api.get("/api/facts", params={"type": "budget", "year": 2026, "limit": 100}).json()
    assert year["total"] > 0 and all(f["attrs"].get("year") in (2026, None) for f in year["facts"])
    page = api.get("/api/facts", params={"limit": 3, "offset": 3}).json()
    everything = api.get("/api/facts", params={"limit": 100}).json()
    assert page["total"] == everything["total"] and page["facts"] == everything["facts"][3:6]


def test_document_facts_lists_the_contact_of_0087(api: TestClient) -> None:
    body = api.get("/api/documents/0087.txt/facts", params={"type": "contact"}).json()
    assert body["total"] >= 1
    person = next(f for f in body["facts"] if f["attrs"]["name"] == "배영일")
    assert person["attrs"]["phone"] == "044-202-8901" and person["source"] == "0087.txt"
    missing = api.get("/api/documents/nope.txt/facts")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "document_not_found"


def test_contacts_match_topic_words_from_the_release_title(api: TestClient) -> None:
    body = api.get("/api/contacts", params={"q": "산업재해"}).json()
    assert "배영일" in {c["name"] for c in body["contacts"]}
    who = next(c for c in body["contacts"] if c["name"] == "배영일")
    assert who["phone"] == "044-202-8901" and who["ministry"] == "고용노동부" and who["source"] == "0087.txt"
    assert "안전보건감독" in who["department"] and "배영일" in who["quote"]
    assert {c["source"] for c in body["contacts"]} == {"0087.txt"}


def test_contacts_filter_by_ministry_and_name(api: TestClient) -> None:
    body = api.get("/api/contacts", params={"ministry": "기획재정부", "q": "산업경제과"}).json()
    assert body["total"] >= 1 and all(c["ministry"] == "기획재정부" for c in body["contacts"])
    assert "정일" in {c["name"] for c in body["contacts"]}
    by_name = api.get("/api/contacts", params={"q": "배영일"}).json()
    assert by_name["total"] == 1


def _read_csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_facts_as_csv_with_query_parameter(api: TestClient) -> None:
    response = api.get("/api/facts", params={"type": "budget", "format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = _read_csv(response.content)
    json_total = api.get("/api/facts", params={"type": "budget"}).json()["total"]
    assert len(rows) == json_total  # CSV is the whole table, not one page
    row = next(r for r in rows if r["source"] == BUDGET_DOC and "4,366억원" in r["quote"])
    assert row["ministry"] == "기획재정부" and row["type"] == "budget"
    assert row["attrs.currency"] == "KRW" and row["attrs.item"]


def test_contacts_as_csv_with_accept_header(api: TestClient) -> None:
    response = api.get("/api/contacts", params={"q": "배영일"}, headers={"Accept": "text/csv"})
    rows = _read_csv(response.content)
    assert len(rows) == 1
    assert rows[0]["name"] == "배영일" and rows[0]["phone"] == "044-202-8901" and rows[0]["ministry"] == "고용노동부"


def test_unknown_fact_type_is_a_422(api: TestClient) -> None:
    response = api.get("/api/facts", params={"type": "salary"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "type"
