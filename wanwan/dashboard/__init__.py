"""A read-only web dashboard of a running assistant: levels, transfers, alarms, what was said,
the ledger and its plots, live (``wanwan serve --http``).

    with Dashboard(assistant, "127.0.0.1", 8080) as dashboard:
        print(dashboard.url)
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time

import uvicorn

from wanwan.assistant import Assistant
from wanwan.dashboard.app import Viewers, create_app
from wanwan.dashboard.view import DashboardView, LedgerFilter
from wanwan.errors import UserError

log = logging.getLogger(__name__)

__all__ = ["Dashboard", "DashboardView", "LedgerFilter", "Viewers", "parse_listen"]


def parse_listen(value: str) -> tuple[str, int]:
    """``[HOST:]PORT`` (``8080``, ``0.0.0.0:8080``, ``[::1]:8080``); HOST defaults to loopback."""
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", value
    host = host.strip("[]") or "127.0.0.1"
    try:
        number = int(port)
    except ValueError:
        raise UserError(f"--http {value!r}: expected [HOST:]PORT, e.g. 8080 or "
                        "0.0.0.0:8080") from None
    if not 0 <= number < 65536:
        raise UserError(f"--http {value!r}: the port must be 0-65535")
    return host, number


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Dashboard:
    """The dashboard of ``assistant``, served by uvicorn on a thread of its own.

    Without viewers in ``security.viewers`` it is open to anyone who can reach it, so it then
    listens on loopback only; serving other hosts needs viewers (and their tokens).
    """

    def __init__(self, assistant: Assistant, host: str = "127.0.0.1", port: int = 0, *,
                 stock_every_s: float = 60.0) -> None:
        viewers = Viewers.from_config(assistant.config, assistant.key)
        if viewers.open and not _loopback(host):
            raise UserError(
                f"--http {host}:{port}: a dashboard for other hosts needs viewers (each with "
                "a token): name them under security.viewers in the site configuration, or "
                "listen on 127.0.0.1")
        self.view = DashboardView(assistant, stock_every_s=stock_every_s)
        self.viewers = viewers
        self.host = host
        self._server = uvicorn.Server(uvicorn.Config(
            create_app(self.view, viewers), host=host, port=port, log_level="warning",
            lifespan="off", timeout_graceful_shutdown=1, access_log=False))
        self._thread = threading.Thread(target=self._server.run, name="wanwan-dashboard",
                                        daemon=True)
        self.port = port

    def start(self, timeout: float = 10.0) -> Dashboard:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.view.close()
                raise UserError(f"the dashboard could not listen on {self.host}:{self.port} "
                                "(is the port in use?)")
            time.sleep(0.02)
        sockets = [s for server in self._server.servers for s in server.sockets]
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("dashboard on %s", self.url)
        return self

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if host in ("0.0.0.0", "[::]"):
            host = socket.gethostname()
        return f"http://{host}:{self.port}/"

    def close(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)
        self.view.close()

    def __enter__(self) -> Dashboard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
