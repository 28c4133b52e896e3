"""A private mosquitto for when no broker is configured (and for the tests).

Started on a free loopback port with a generated configuration, watched, and stopped on exit.
Nothing is persisted: the broker is a pipe between wanwan's own parts. It never outlives the
process that started it: on Linux the kernel sends it SIGTERM when its parent dies, even by
SIGKILL, and the folder a killed parent left behind is removed by the next broker started.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from wanwan.errors import UserError

log = logging.getLogger(__name__)

MOSQUITTO_PATHS = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


def find_mosquitto() -> str:
    found = shutil.which("mosquitto") or next(
        (p for p in MOSQUITTO_PATHS if Path(p).exists()), None)
    if not found:
        raise UserError("mosquitto is not installed: run `bash scripts/bootstrap.sh` "
                        "(or apt-get install mosquitto), or configure broker.host")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def _broker_user() -> pwd.struct_passwd | None:
    """The user a broker started by root runs as (mosquitto's own), or None."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("mosquitto")
    except KeyError:
        return None


def _hand_to_broker_user(folder: Path) -> None:
    """Started as root, the broker runs as its own user: that user must be able to read its
    password and access files and write its log and saved sessions (nobody else can)."""
    user = _broker_user()
    if user is None:
        return
    for path in [folder, *folder.iterdir()]:
        os.chown(path, user.pw_uid, user.pw_gid)


PR_SET_PDEATHSIG = 1
FOLDER_PREFIX = "wanwan-mosquitto-"


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent dies. Linux ties this to the thread
    that started the child, so wanwan starts its broker from a thread that lives as long."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_folders(parent: Path | None = None) -> int:
    """Remove the folders of brokers whose owner is gone (killed before it could clean up)."""
    removed = 0
    for folder in Path(parent or tempfile.gettempdir()).glob(FOLDER_PREFIX + "*"):
        owner = folder / "owner.pid"
        with contextlib.suppress(OSError, ValueError):
            if owner.exists() and not _alive(int(owner.read_text().strip())):
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed


def write_address_file(path: Path, host: str, port: int) -> Path:
    """Where a running server's private broker listens, for satellites on the same machine."""
    path.parent.mkdir(parents=True, exist_ok=True)
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    path.write_text(json.dumps({"host": reachable, "port": port, "pid": os.getpid()}))
    return path


def read_address_file(path: Path) -> tuple[str, int] | None:
    """(host, port) of a running server's private broker, or None (no server, or it died)."""
    try:
        data = json.loads(path.read_text())
        if _alive(int(data["pid"])):
            return str(data["host"]), int(data["port"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


class EmbeddedBroker:
    """``with EmbeddedBroker() as broker: broker.port``; restartable on the same port."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1", *,
                 persistence: bool = False,
                 users: Callable[[Path], Path] | None = None, acl: str | None = None) -> None:
        """``persistence``: keep sessions and queued messages across restarts (saved every
        second), as a production broker would. ``users`` writes the password file into the
        path it is given, and ``acl`` is the access list: with them nobody anonymous gets in
        and every device does only what the list allows (wanwan.security). Without them the
        broker is open: a test bench for the bus."""
        self.host = host
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        remove_stale_folders()
        self._dir = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        (self._dir / "owner.pid").write_text(str(os.getpid()))
        self._conf = self._dir / "mosquitto.conf"
        self._log = self._dir / "mosquitto.log"
        persist = (f"persistence true\npersistence_location {self._dir}/\nautosave_interval 1\n"
                   if persistence else "persistence false\n")
        access = "allow_anonymous true\n"
        if users is not None:
            password_file = users(self._dir / "passwords")
            access = f"allow_anonymous false\npassword_file {password_file}\n"
            if acl is not None:
                (self._dir / "acl").write_text(acl + "\n")
                access += f"acl_file {self._dir / 'acl'}\n"
        self.secured = users is not None
        self._conf.write_text(
            f"listener {self.port} {self.host}\n"
            f"{access}"
            # Nagle's algorithm against delayed ACKs stalls small request/ack pairs ~80 ms
            "set_tcp_nodelay true\n"
            f"{persist}"
            f"log_dest file {self._log}\n"
            "log_type error\nlog_type warning\n"
            "max_inflight_messages 0\n"
            "max_queued_messages 100000\n"
            "message_size_limit 2000000\n"
        )
        _hand_to_broker_user(self._dir)
        atexit.register(self.close)

    def start(self, timeout: float = 10.0) -> EmbeddedBroker:
        if self.running:
            return self
        binary = find_mosquitto()
        # As root, the child becomes the broker's user before exec rather than letting
        # mosquitto switch: a change of user clears the parent-death signal.
        user = _broker_user()
        self.process = subprocess.Popen(
            [binary, "-c", str(self._conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            **({"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = (self.process.stderr.read() if self.process.stderr else b"").decode()
                raise UserError(f"mosquitto exited at start: {err.strip() or 'no message'}"
                                f" (log: {self._log})")
            if port_open(self.host, self.port):
                log.debug("mosquitto up on %s:%d", self.host, self.port)
                return self
            time.sleep(0.02)
        self.stop()
        raise UserError(f"mosquitto did not open port {self.port} within {timeout:.0f} s")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def kill(self) -> None:
        """Stop abruptly, as a crash or power cut would (for fault tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.stop()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def close(self) -> None:
        """Stop for good and remove the configuration and log (fixtures that only start and
        stop left a folder in /tmp per broker)."""
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __exit__(self, *exc: object) -> None:
        self.close()
