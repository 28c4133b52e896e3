"""The dashboard's web application (Starlette): one page, its JSON, a CSV, and live events.

Every route only reads. There is no route that sends a command, acknowledges an alarm or
writes to the ledger: acting goes through the spoken dialogue and its read-back, nowhere else.
A viewer shows who it is with a token (``?token=`` once, then a cookie, or an
``Authorization: Bearer`` header): the broker password of ``viewer-<name>`` from
``security.viewers``, so there is one credential per viewer and nothing new to store.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from wanwan.config import SiteConfig
from wanwan.dashboard.view import DashboardView, LedgerFilter
from wanwan.keys import SiteKey, same
from wanwan.security import viewer_user

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
COOKIE = "wanwan_viewer"
LANGUAGES = ("en", "ja")
COALESCE_S = 0.1  # a burst of changes goes out as one update per section
REFRESH_S = 5.0  # the instruments are sent at least this often (their ages, stale or not)


@dataclass(frozen=True)
class Viewers:
    """Who may look: token → viewer name. No viewers: open, and only on loopback."""

    tokens: dict[str, str]

    @classmethod
    def from_config(cls, config: SiteConfig, key: SiteKey) -> Viewers:
        return cls({key.password(viewer_user(name)): name
                    for name in config.security.viewers})

    @property
    def open(self) -> bool:
        return not self.tokens

    def who(self, token: str | None) -> str | None:
        if not token:
            return None
        found = None
        for known, name in self.tokens.items():  # compare with all of them, in constant time
            if same(token, known):
                found = name
        return found


def messages(language: str) -> dict[str, str]:
    text = resources.files("wanwan.data").joinpath(f"dashboard/{language}.yaml").read_text(
        encoding="utf-8")
    return yaml.safe_load(text)


def best_language(accept: str | None) -> str:
    """The first language of an Accept-Language header the dashboard speaks (else English)."""
    ranked = []
    for n, part in enumerate((accept or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            with contextlib.suppress(ValueError):
                quality = float(params.strip()[2:])
        ranked.append((-quality, n, tag.split("-")[0].lower()))
    for _, _, tag in sorted(ranked):
        if tag in LANGUAGES:
            return tag
    return "en"


class BadRequest(Exception):
    """A request the dashboard cannot answer as asked: 400, with what was wrong."""


async def _bad_request(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": str(exc)}, status_code=400)


def _ledger_filter(request: Request) -> LedgerFilter:
    q = request.query_params
    try:
        return LedgerFilter(lab=q.get("lab") or None, dewar=q.get("dewar") or None,
                            direction=q.get("direction") or None,
                            period=q.get("period") or None)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


class ViewerGate(BaseHTTPMiddleware):
    """Only viewers with a token see anything but the static files."""

    def __init__(self, app: Any, viewers: Viewers) -> None:
        super().__init__(app)
        self.viewers = viewers

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if self.viewers.open or request.url.path.startswith("/static/"):
            return await call_next(request)
        given = request.query_params.get("token")
        if given and self.viewers.who(given):
            # once from the link, then from a cookie: the token does not stay in the address
            clean = request.url.remove_query_params("token")
            response = RedirectResponse(str(clean), status_code=303)
            response.set_cookie(COOKIE, given, httponly=True, samesite="strict")
            return response
        header = request.headers.get("authorization", "")
        token = (header[7:] if header.lower().startswith("bearer ")
                 else request.cookies.get(COOKIE))
        viewer = self.viewers.who(token)
        if viewer is None:
            log.info("dashboard: refused %s %s from %s (no valid viewer token)",
                     request.method, request.url.path,
                     request.client.host if request.client else "?")
            return HTMLResponse(
                "<!doctype html><title>wanwan</title><p>This dashboard needs a viewer token. "
                "Ask for the link: <code>wanwan broker credentials viewer-NAME</code> gives the "
                "token of a viewer named in <code>security.viewers</code>; open "
                "<code>/?token=…</code> once.</p>", status_code=401)
        request.state.viewer = viewer
        return await call_next(request)


def create_app(view: DashboardView, viewers: Viewers) -> Starlette:
    """The ASGI application of one dashboard over ``view``."""

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def api_messages(request: Request) -> Response:
        language = request.query_params.get("lang") or best_language(
            request.headers.get("accept-language"))
        if language not in LANGUAGES:
            raise BadRequest(f"lang must be one of {', '.join(LANGUAGES)}")
        return JSONResponse({"language": language, "messages": messages(language),
                             "wake": view.config.speech.wake_phrase or ""})

    async def api_snapshot(request: Request) -> Response:
        which = _ledger_filter(request)
        return JSONResponse(await run_in_threadpool(view.snapshot, which))

    async def api_ledger_csv(request: Request) -> Response:
        which = _ledger_filter(request)

        def write() -> str:
            out = io.StringIO()
            view.assistant.ledger.export_csv(out, view.ledger_entries(which))
            return out.getvalue()

        parts = [v for v in (which.lab, which.dewar, which.direction, which.period) if v]
        name = "-".join(["wanwan-ledger", *parts]) + ".csv"
        return Response(await run_in_threadpool(write), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    async def api_events(request: Request) -> Response:
        which = _ledger_filter(request)
        loop = asyncio.get_running_loop()
        changed: asyncio.Queue[str] = asyncio.Queue()

        def on_change(section: str) -> None:  # on the assistant's threads
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody to tell
                loop.call_soon_threadsafe(changed.put_nowait, section)
                if section == "ledger":
                    loop.call_soon_threadsafe(changed.put_nowait, "plots")

        remove = view.listen(on_change)

        async def stream() -> AsyncIterator[str]:
            try:
                yield _event("snapshot", await run_in_threadpool(view.snapshot, which))
                while True:
                    try:
                        first = await asyncio.wait_for(changed.get(), REFRESH_S)
                    except TimeoutError:
                        # nothing published: readings age, and a silent instrument goes
                        # stale or offline without a message saying so
                        first = "instruments"
                    await asyncio.sleep(COALESCE_S)
                    names = {first}
                    while not changed.empty():
                        names.add(changed.get_nowait())
                    for name in sorted(names):
                        data = await run_in_threadpool(view.section, name, which)
                        yield _event(name, data)
            finally:
                remove()

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})

    routes = [
        Route("/", index),
        Route("/api/messages", api_messages),
        Route("/api/snapshot", api_snapshot),
        Route("/api/ledger.csv", api_ledger_csv),
        Route("/api/events", api_events),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(ViewerGate, viewers=viewers)],
                     exception_handlers={BadRequest: _bad_request})


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"
