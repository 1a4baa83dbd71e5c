"""The briefqa error hierarchy: every message names the file or field and the way out."""

from __future__ import annotations

from pathlib import Path


class BriefqaError(Exception):
    """Base class of every error briefqa raises on purpose."""


class ParseError(BriefqaError):
    """A file could not be read as a briefing."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class UnsupportedFormat(ParseError):
    """A file's format is not one briefqa reads."""

    def __init__(self, path: str | Path, suffix: str, supported: list[str]) -> None:
        self.suffix = suffix
        super().__init__(
            path, f"unsupported format {suffix or '(no suffix)'!r}; supported: {', '.join(sorted(supported))}"
        )


class IndexNotFound(BriefqaError):
    """No index exists at the given directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        super().__init__(f"no index at {self.path}; build one with 'briefqa ingest PATH --index {self.path}'")


class IndexCorrupt(BriefqaError):
    """An index directory exists but a file in it is missing or unreadable."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"index file {self.path}: {reason}; rebuild with 'briefqa ingest' into a new --index")


class IndexMismatch(BriefqaError):
    """The saved index was built with settings that differ from the current ones."""

    def __init__(self, field: str, saved: object, current: object) -> None:
        self.field = field
        self.saved = saved
        self.current = current
        super().__init__(
            f"index was built with {field}={saved!r} but settings ask for {current!r}; "
            f"rebuild with 'briefqa ingest' or set {field} back"
        )


class ConfigError(BriefqaError):
    """A setting has a value briefqa cannot use."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"setting {field}: {reason}")


class DocumentNotFound(BriefqaError):
    """No document with this id is indexed."""

    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        super().__init__(f"no indexed document {doc_id!r}")
