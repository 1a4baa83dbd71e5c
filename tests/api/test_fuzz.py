"""Property tests: arbitrary requests to every route never produce a 500 or a non-JSON error."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from api.highlight import highlight_spans
from api.uploads import safe_basename
from core.text import fold

QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_value = st.one_of(
    _text,
    st.integers(-3, 3000).map(str),
    st.sampled_from(["예산", "스마트공장", "'26년", "2026-04-13", "2026-13-45", "budget", "contact", "csv", "json",
                     "0087.txt", "../../etc/passwd", "%00", "=1+1", "1e309", "NaN", " ", "가" * 1001]),
)

def _mostly(*valid: str) -> st.SearchStrategy[str]:
    """Valid values most of the time, so requests reach the handlers and not only validation."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), _value)


_params = st.fixed_dictionaries({}, optional={
    "q": _mostly("예산", "스마트공장 예산", "배영일", "AI", "산업재해 담당"),
    "ministry": _mostly("고용노동부", "기획", ""),
    "kind": _mostly("보도자료", ""),
    "type": _mostly("budget", "target", "contact", "date"),
    "year": st.integers(1890, 2300).map(str) | _value,
    "date_from": _mostly("2025-01-01", "2026-04-13", ""),
    "date_to": _mostly("2026-12-31", "2024-01-01"),
    "limit": st.integers(-1, 120).map(str),
    "offset": st.integers(-1, 1200).map(str),
    "format": _mostly("csv", "json", ""),
})
_get_path = st.one_of(
    st.sampled_from(["/api/search", "/api/documents", "/api/facts", "/api/contacts", "/api/health"]),
    st.sampled_from(["/api/search", "/api/facts", "/api/contacts", "/api/documents/0087.txt/facts"]),
    _mostly("0087.txt", "0016.txt").map(lambda v: f"/api/documents/{quote(v, safe='')}"),
    _mostly("000_5a375b227c424bcf.txt").map(lambda v: f"/api/documents/{quote(v, safe='')}/facts"),
)
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
                     max_leaves=8)
_ask_body = st.one_of(
    st.fixed_dictionaries({"question": _value}, optional={
        "top_k": st.integers(0, 60), "ministry": _value, "date_from": st.sampled_from(["2026-04-01", "", "어제"]),
        "date_to": _value, "sources": st.lists(_value, max_size=3)}),
    _json,
)


def _assert_well_formed(response) -> None:  # type: ignore[no-untyped-def]
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.text
    assert response.headers.get("x-request-id")
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"] and error["message"]


@QUICK
@given(path=_get_path, params=_params, accept=st.sampled_from(["application/json", "text/csv", "*/*"]))
def test_get_routes_never_fail(api: TestClient, path: str, params: dict[str, str], accept: str) -> None:
    response = api.get(path, params=params, headers={"Accept": accept})
    _assert_well_formed(response)
    if response.status_code == 200 and response.headers["content-type"].startswith("text/csv"):
        assert response.content.startswith(b"\xef\xbb\xbf")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_ask_body)
def test_ask_never_fails(api: TestClient, body: object) -> None:
    _assert_well_formed(api.post("/api/ask", json=body))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc_id=_value, name=_text, payload=st.binary(max_size=64))
def test_admin_routes_without_a_token_are_refused(api: TestClient, doc_id: str, name: str, payload: bytes) -> None:
    delete = api.delete(f"/api/documents/{quote(doc_id, safe='')}")
    upload = api.post("/api/documents", files={"files": (name or "x", payload)})
    for response in (delete, upload):
        _assert_well_formed(response)
        assert response.status_code in (403, 404, 405)


@given(text=_text, terms=st.lists(_text, max_size=4))
def test_highlights_are_sorted_disjoint_spans_of_the_terms(text: str, terms: list[str]) -> None:
    spans = highlight_spans(text, terms)
    folded_terms = [fold(t).strip() for t in terms]
    previous_end = -1
    for start, end in spans:
        assert previous_end < start < end <= len(text)
        assert any(t and t in fold(text[start:end]) for t in folded_terms)
        previous_end = end


@given(name=st.text(max_size=300))
def test_safe_basename_is_a_plain_file_name(name: str) -> None:
    safe = safe_basename(name)
    assert safe and "/" not in safe and "\\" not in safe and not safe.startswith(".")
    assert safe not in (".", "..") and len(safe.encode()) <= 255 and all(ch.isprintable() for ch in safe)
