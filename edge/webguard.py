"""Who may use the local web tools (the calibration tool, the officers' review page).

Bound to loopback they need nothing more; bound anywhere else every request must carry the
token printed at start (a header, `?token=` once, then an HttpOnly SameSite=Strict cookie).
On loopback the Host header must be a loopback name: otherwise a web page elsewhere could make
the browser talk to 127.0.0.1 through a DNS name it rebinds.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.middleware.base import RequestResponseEndpoint
from starlette.middleware.trustedhost import TrustedHostMiddleware

LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (then no token is needed).

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0"), is_loopback("10.1.2.3")
    (True, True, False, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def new_token(host: str) -> str | None:
    """A fresh token when `host` is reachable from elsewhere, else None."""
    return None if is_loopback(host) else secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Guard:
    token: str | None  # None: no token needed (loopback)
    loopback: bool
    header: str  # e.g. x-calibrate-token
    cookie: str
    hint: str  # what a refused user should do

    def token_ok(self, request: Request) -> bool:
        if self.token is None:
            return True
        supplied = (request.headers.get(self.header) or request.query_params.get("token")
                    or request.cookies.get(self.cookie))
        return supplied is not None and secrets.compare_digest(supplied.encode(), self.token.encode())

    def install(self, app: FastAPI) -> None:
        if self.loopback:
            app.add_middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_NAMES)

        @app.middleware("http")
        async def guard(request: Request, call_next: RequestResponseEndpoint) -> Response:
            if not self.token_ok(request):
                return JSONResponse({"detail": f"token required: {self.hint}"}, status_code=401)
            response = await call_next(request)
            if self.token is not None and request.query_params.get("token"):
                response.set_cookie(self.cookie, self.token, httponly=True, samesite="strict")
            return response
