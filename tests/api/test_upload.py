from pathlib import Path

from fastapi.testclient import TestClient

HWPX = "moel_20260410_supplementary_budget.hwpx"


def _file(path: Path, name: str | None = None) -> tuple[str, tuple[str, bytes]]:
    return ("files", (name or path.name, path.read_bytes()))


def test_upload_indexes_a_real_hwpx_and_reports_a_corrupt_file(admin_api: TestClient, admin_headers: dict[str, str], data_dir: Path) -> None:
    before = admin_api.get("/api/health").json()
    response = admin_api.post("/api/documents", headers=admin_headers, files=[
        _file(data_dir / "originals" / HWPX), _file(data_dir / "broken" / "not_a_zip.hwpx")])
    assert response.status_code == 201, response.text
    body = response.json()
    added, failed = body["files"]
    assert added == {"filename": HWPX, "id": HWPX, "status": "added", "reason": ""}
    assert failed["status"] == "failed" and failed["id"] is None and failed["reason"]
    assert "/tmp" not in failed["reason"] and "briefqa-upload" not in failed["reason"]
    assert body["documents"] == before["documents"] + 1 and body["index_version"] != before["index_version"]
    # The live holder serves the new version: the release, its facts and its passages.
    doc = admin_api.get(f"/api/documents/{HWPX}").json()
    assert doc["ministry"] == "고용노동부" and doc["format"] == "hwpx"
    assert admin_api.get("/api/documents/not_a_zip.hwpx").status_code == 404
    contacts = admin_api.get("/api/contacts", params={"q": "최영범"}).json()["contacts"]
    assert contacts and contacts[0]["source"] == HWPX
    hits = admin_api.get("/api/search", params={"q": "추가경정예산 고용노동부", "limit": 3}).json()["passages"]
    assert HWPX in {p["source"] for p in hits}


def test_upload_of_only_broken_files_is_a_422_that_changes_nothing(admin_api: TestClient, admin_headers: dict[str, str], data_dir: Path) -> None:
    before = admin_api.get("/api/health").json()
    response = admin_api.post("/api/documents", headers=admin_headers, files=[
        _file(data_dir / "broken" / "truncated.hwpx"), _file(data_dir / "broken" / "empty.pdf"),
        ("files", ("notes.exe", b"MZ\x90\x00"))])
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "ingest_failed"
    assert [f["status"] for f in body["files"]] == ["failed"] * 3
    assert "empty" in body["files"][1]["reason"] and "unsupported format" in body["files"][2]["reason"]
    assert admin_api.get("/api/health").json() == before


def test_upload_filenames_are_never_paths(admin_api: TestClient, admin_headers: dict[str, str], data_dir: Path) -> None:
    text = (data_dir / "facts" / "0014.txt").read_bytes()  # a release the shared index does not hold
    response = admin_api.post("/api/documents", headers=admin_headers,
                              files=[("files", ("../../../../etc/숲길 안내.txt", text))])
    assert response.status_code == 201, response.text
    item = response.json()["files"][0]
    assert item["id"] == "숲길_안내.txt" and item["status"] == "added"
    assert admin_api.get("/api/documents/숲길_안내.txt").status_code == 200


def test_a_long_hangul_file_name_is_stored_and_its_neighbours_indexed(admin_api: TestClient, admin_headers: dict[str, str],
                                                                     data_dir: Path) -> None:
    long_name = "산림청" * 31 + "숲.txt"  # 94 Hangul letters: 282 bytes of UTF-8, over a file system's 255
    response = admin_api.post("/api/documents", headers=admin_headers, files=[
        ("files", (long_name, (data_dir / "facts" / "0014.txt").read_bytes())), _file(data_dir / "originals" / HWPX)])
    assert response.status_code == 201, response.text
    stored, neighbour = response.json()["files"]
    assert stored["status"] == "added" and stored["id"].endswith(".txt") and len(stored["id"].encode()) <= 255
    assert stored["id"].startswith("산림청산림청") and neighbour["status"] in ("added", "duplicate")
    assert admin_api.get(f"/api/documents/{stored['id']}").json()["text"].strip()


def test_upload_over_the_size_limit_is_a_413(admin_api: TestClient, admin_headers: dict[str, str]) -> None:
    before = admin_api.get("/api/health").json()
    big = "보도자료 본문입니다. ".encode() * 80_000  # > 1 MB (the fixture's max_upload_mb)
    response = admin_api.post("/api/documents", headers=admin_headers, files=[("files", ("big.txt", big))])
    assert response.status_code == 413 and response.json()["error"]["code"] == "file_too_large"
    assert admin_api.get("/api/health").json() == before


def test_upload_without_files_is_a_422(admin_api: TestClient, admin_headers: dict[str, str]) -> None:
    response = admin_api.post("/api/documents", headers=admin_headers, data={"note": "파일 없음"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "files"


def test_delete_removes_a_document(admin_api: TestClient, admin_headers: dict[str, str]) -> None:
    response = admin_api.delete("/api/documents/0087.txt", headers=admin_headers)
    assert response.status_code == 200
    assert response.json()["deleted"] == "0087.txt" and response.json()["documents"] == 5
    assert admin_api.get("/api/documents/0087.txt").status_code == 404
    assert admin_api.get("/api/contacts", params={"q": "배영일"}).json()["total"] == 0
    again = admin_api.delete("/api/documents/0087.txt", headers=admin_headers)
    assert again.status_code == 404
