"""What every page of the review app shares: the officer's session, CSRF protection, roles, and
the page frame.

A page needs a signed-in officer (else it redirects to /login). A form post must come from this
site (same Origin) and carry the session's CSRF token, so a page elsewhere cannot decide through
an officer's browser even if the Origin header were missing or forged by a proxy.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backoffice.accounts import Accounts, Session
from backoffice.store import Store

COOKIE = "etle_session"
STYLE = """
body{font-family:sans-serif;margin:1.5em;color:#222} table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
.ok{color:#176317;font-weight:bold} .bad{color:#b00020;font-weight:bold} .muted{color:#777}
figure{display:inline-block;margin:.4em} img{max-width:420px;border:1px solid #999}
img.thumb{max-width:120px} nav a,header a{margin-right:1em} header{margin-bottom:1em}
kbd{border:1px solid #999;border-radius:3px;padding:0 .3em}
"""


@dataclass(frozen=True, slots=True)
class Where:
    data: Path
    database: str | None


class LoginRequiredError(Exception):
    """No valid session: the handler sends the browser to the login page."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


@contextmanager
def opened(where: Where) -> Iterator[Store]:
    store = Store.open(where.data, where.database)
    try:
        yield store
    finally:
        store.close()


def page(title: str, body: str, session: Session | None = None) -> HTMLResponse:
    header = ""
    if session is not None:
        o = session.officer
        links = '<a href="/">queue</a><a href="/devices">devices</a>'
        links += '<a href="/audit">audit log</a>' if o.may("supervisor") else ""
        header = (f"<header>{links}<span id=who>{e(o.full_name)} ({e(o.role)})</span> "
                  f'<form method=post action="/logout" style="display:inline">{csrf_field(session)}'
                  "<button>log out</button></form></header>")
    return HTMLResponse(f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{e(title)}</title>"
                        f"<style>{STYLE}</style></head><body>{header}{body}</body></html>",
                        headers={"Cache-Control": "no-store"})


def csrf_field(session: Session) -> str:
    return f'<input type=hidden name=csrf value="{e(session.csrf)}">'


def form_of(body: bytes) -> dict[str, str]:
    return {k: v[0].strip() for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == request.headers.get("host")


def checked_post(request: Request, session: Session, form: dict[str, str]) -> None:
    if not same_origin(request):
        raise HTTPException(403, "decisions are taken on this review page only")
    if form.get("csrf") != session.csrf:
        raise HTTPException(403, "the form is stale or from elsewhere (CSRF token): reload the page")


def _login_form(next_path: str, message: str = "") -> HTMLResponse:
    note = f"<p class=bad id=login-error>{e(message)}</p>" if message else ""
    return page("Log in", f"<h1>ETLE back office: log in</h1>{note}<form method=post action=/login>"
                f'<input type=hidden name=next value="{e(next_path)}">'
                "<p><label>Username <input name=username autocomplete=username required autofocus></label></p>"
                "<p><label>Password <input name=password type=password autocomplete=current-password required>"
                "</label></p><button id=login>Log in</button></form>")


def signed_in(request: Request) -> Session:
    """The page's session (a FastAPI dependency): else to the login page."""
    with opened(request.app.state.where) as store:
        found = Accounts(store).session(request.cookies.get(COOKIE))
    if found is None:
        raise LoginRequiredError(request.url.path)
    return found


SignedIn = Annotated[Session, Depends(signed_in)]


def install_auth(app: FastAPI, where: Where, https: bool) -> None:
    """Login and logout routes, and the store the sessions are checked in."""
    app.state.where = where

    @app.exception_handler(LoginRequiredError)
    async def to_login(_request: Request, exc: LoginRequiredError) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.path)}", status_code=303)

    @app.get("/login", response_class=HTMLResponse)
    def login_page(next: str = "/") -> HTMLResponse:
        return _login_form(next)

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = form_of(await request.body())
        if not same_origin(request):
            raise HTTPException(403, "log in on this site's login page")
        with opened(where) as store:
            done = Accounts(store).login(form.get("username", ""), form.get("password", ""))
        if done is None:
            return _login_form(form.get("next", "/"), "wrong username or password")
        target = form.get("next", "/")
        response = RedirectResponse(target if target.startswith("/") and not target.startswith("//") else "/",
                                    status_code=303)
        response.set_cookie(COOKIE, done[0], httponly=True, samesite="strict", secure=https, path="/")
        return response

    @app.post("/logout")
    async def logout(request: Request, session: SignedIn) -> Response:
        checked_post(request, session, form_of(await request.body()))
        with opened(where) as store:
            Accounts(store).logout(request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response


def require(session: Session, role: str) -> None:
    if not session.officer.may(role):
        raise HTTPException(403, f"this page is for a {role} or above; you are a {session.officer.role}")
