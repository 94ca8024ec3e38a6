"""The console's guard: a token for every request, a CSRF check for every action, strict headers.

* The token is ``<workspace>/console/token`` (mode 0600). The URL ``sparkgrove console`` prints
  carries it once (``?token=``); the console then keeps it in an HttpOnly, SameSite=Strict cookie
  and redirects to the same page without it, so it does not stay in the address bar or history.
  Scripts may send ``Authorization: Bearer <token>`` instead.
* Every POST carries a form field derived from the token (HMAC), which another site cannot read,
  and must not come from another origin (``Origin`` and ``Sec-Fetch-Site``, which browsers set):
  a page on another port of the same host is same-site, so SameSite alone would not stop it.
* Pages forbid framing and foreign scripts (Content-Security-Policy) and send no referrer to
  other sites (a same-origin referrer keeps the browser's Origin header on form posts).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sparkgrove import tokens
from sparkgrove.settings import Settings

COOKIE = "sparkgrove_console"
CSRF_FIELD = "csrf"
HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
UNAUTHORIZED_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>sparkgrove console: sign-in needed</title></head><body><main>
<h1>The console needs its token</h1>
<p>Open the address that <code>sparkgrove console</code> printed: it carries the token once.
The token is also in the workspace's <code>console/token</code> file.</p></main></body></html>"""


def token_file(settings: Settings) -> Path:
    """Where the console's token is kept."""
    return settings.workspace / "console" / "token"


def ensure_token(settings: Settings) -> str:
    """The workspace's console token, created on first use."""
    return tokens.ensure_token(token_file(settings))


def csrf_value(token: str) -> str:
    """The form field every action carries: derived from the token, useless without it."""
    return hmac.new(token.encode(), b"sparkgrove-console-csrf", hashlib.sha256).hexdigest()


def _same(a: str | None, b: str) -> bool:
    return a is not None and secrets.compare_digest(a.encode(), b.encode())


class ConsoleGuard:
    """ASGI middleware: the token on every request, CSRF rules on POSTs, headers on answers."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token
        self.csrf = csrf_value(token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        answer = await self._check(request)
        if answer is not None:
            await self._with_headers(answer)(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, object]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))  # type: ignore[call-overload]
                present = {k.lower() for k, _ in headers}
                headers += [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()
                            if k.lower().encode() not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)  # type: ignore[arg-type]

    @staticmethod
    def _with_headers(response: Response) -> Response:
        for key, value in HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    async def _check(self, request: Request) -> Response | None:
        given = request.query_params.get("token")
        if given is not None and request.method == "GET":
            if not _same(given, self.token):
                return HTMLResponse(UNAUTHORIZED_PAGE, status_code=401)
            rest = [(k, v) for k, v in parse_qsl(request.url.query) if k != "token"]
            target = request.url.path + ("?" + urlencode(rest) if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict",
                                path="/", secure=request.url.scheme == "https")
            return response
        auth = request.headers.get("authorization", "")
        bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if not (_same(request.cookies.get(COOKIE), self.token) or _same(bearer, self.token)):
            return HTMLResponse(UNAUTHORIZED_PAGE, status_code=401)
        if request.method not in ("GET", "HEAD"):
            return await self._check_action(request)
        return None

    async def _check_action(self, request: Request) -> Response | None:
        fetch_site = request.headers.get("sec-fetch-site")
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if fetch_site not in (None, "same-origin", "none") or (origin not in (None, own)):
            return _refused("it came from another site or origin "
                            f"({origin or fetch_site}); actions are taken from the console's "
                            "own pages only")
        form = await form_of(request)
        if not _same(form.get(CSRF_FIELD), self.csrf):
            return _refused("its form lacks the console's CSRF field; reload the page and "
                            "submit the form again")
        return None


def _refused(why: str) -> Response:
    from html import escape

    return HTMLResponse(f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                        f"<title>Refused</title></head><body><main><h1>Action refused</h1>"
                        f"<p>The action was refused: {escape(why)}.</p></main></body></html>",
                        status_code=403)


FORM_KEY = "sparkgrove.form"


async def form_of(request: Request) -> dict[str, str]:
    """The POST's URL-encoded form (read once, kept on the request for the route)."""
    cached = request.scope.get(FORM_KEY)
    if cached is None:
        body = await request.body()
        cached = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        request.scope[FORM_KEY] = cached
    return dict(cached)

