"""Admin-only routes: ``Authorization: Bearer $BRIEFQA_ADMIN_TOKEN``; disabled (403) when the token is unset."""

from __future__ import annotations

import hmac
import math
from typing import Annotated

from fastapi import Depends, Request

from api.deps import SettingsDep
from api.errors import ApiError
from api.ratelimit import TokenBucketLimiter


def require_admin(request: Request, settings: SettingsDep) -> None:
    """Raises 403 when uploads are disabled, 401 for a missing or wrong token (never logged)."""
    expected = settings.admin_token.get_secret_value() if settings.admin_token else ""
    if not expected:
        raise ApiError(403, "admin_disabled",
                       "관리 기능이 꺼져 있습니다. 서버에 BRIEFQA_ADMIN_TOKEN을 설정하면 켜집니다.")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise ApiError(401, "unauthorized", "관리 토큰이 필요합니다: 'Authorization: Bearer <토큰>'.",
                       "Authorization", headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8")):
        raise ApiError(401, "unauthorized", "관리 토큰이 맞지 않습니다.", "Authorization",
                       headers={"WWW-Authenticate": "Bearer"})


def limit_ask_rate(request: Request) -> None:
    """429 with Retry-After when this client has used up its /api/ask budget."""
    limiter: TokenBucketLimiter | None = request.app.state.ask_limiter
    if limiter is None:
        return
    client = request.client.host if request.client else "unknown"
    wait_s = limiter.acquire(client)
    if wait_s > 0:
        retry_after = max(1, math.ceil(wait_s))
        raise ApiError(429, "rate_limited", f"질문이 너무 많습니다. {retry_after}초 뒤에 다시 시도하세요.",
                       headers={"Retry-After": str(retry_after)})


AdminDep = Annotated[None, Depends(require_admin)]
AskRateDep = Annotated[None, Depends(limit_ask_rate)]
