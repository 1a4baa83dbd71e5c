"""/api/ask for list questions: every item comes with its own citation."""

from fastapi.testclient import TestClient

from core.text import norm


def test_ask_list_of_budget_facts_cites_each_item(api: TestClient) -> None:
    body = api.post("/api/ask", json={"question": "이 보도자료의 예산 항목을 모두 알려주세요",
                                      "sources": ["0016.txt"]}).json()
    assert body["answer_type"] == "list" and len(norm(body["answer"])) <= 120
    assert [i["text"] for i in body["cited_items"]] == body["items"] and len(body["items"]) >= 4
    document = api.get("/api/documents/0016.txt").json()
    money = {(f["start"], f["end"]): f["text"] for f in document["facts"] if f["kind"] == "money"}
    for item in body["cited_items"]:
        assert item["source"] == "0016.txt"
        assert document["text"][item["start"]:item["end"]] == item["quote"] == money[(item["start"], item["end"])]
    assert any("6,903억원" in i["quote"] for i in body["cited_items"])


def test_ask_figure_answer_has_no_cited_items(api: TestClient) -> None:
    body = api.post("/api/ask", json={"question": "내년 스마트공장 지원 예산은 얼마인가요?"}).json()
    assert body["items"] == [] and body["cited_items"] == []
