"""CSV answers for Excel: UTF-8 with a BOM, one row per record, nested attrs flattened to columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def wants_csv(request: Request, fmt: str) -> bool:
    """``?format=csv`` wins; otherwise an Accept header that names text/csv."""
    if fmt:
        return fmt == "csv"
    return "text/csv" in request.headers.get("accept", "").lower()


def flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"attrs": {"year": 2026}}`` → ``{"attrs.year": 2026}``; lists become ``"a; b"``."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, list | tuple):
            flat[name] = "; ".join(_cell(v) for v in value)
        else:
            flat[name] = value
    return flat


def csv_response(records: Iterable[Mapping[str, Any]], filename: str) -> Response:
    rows = [flatten(r) for r in records]
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    body = "\ufeff" + buffer.getvalue()
    return Response(body.encode("utf-8"), media_type=CSV_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 436600000000.0 → 436600000000, as Excel shows it
    text = str(value)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True
