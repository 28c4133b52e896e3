"""The site's secret key, and the keys derived from it for each purpose.

One random key per installation (32 bytes, hex, in a file only its owner may read) signs the
records' hash chains, the commands the dialogue sends, and derives each device's broker
password. Each purpose gets its own key (HMAC of the site key and the purpose's name), so an
instrument holding its command key cannot sign for another instrument, and a kiosk's
password says nothing about the records' key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from wanwan.errors import UserError


class SiteKey:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("a site key needs at least 16 bytes")
        self._secret = secret

    @classmethod
    def load(cls, path: Path | str, *, create: bool = True) -> SiteKey:
        """The key in ``path`` (hex); made, readable by its owner only, if it is not there."""
        path = Path(path).expanduser()
        if not path.exists():
            if not create:
                raise UserError(f"{path}: no site key (it is made on first start)")
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
        try:
            return cls(bytes.fromhex(path.read_text().strip()))
        except (OSError, ValueError) as exc:
            raise UserError(f"{path}: not a site key ({exc})") from None

    def derive(self, purpose: str) -> bytes:
        """The key for one purpose: "records", "command:transfer/tc1", "mqtt:kiosk-recovery"."""
        return hmac.new(self._secret, purpose.encode(), hashlib.sha256).digest()

    def password(self, user: str) -> str:
        """A device's broker password, derived: nothing to store beside the site key."""
        return self.derive(f"mqtt:{user}").hex()[:32]


def mac(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 of the parts, each length-prefixed so that no two splits collide."""
    h = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode()
        h.update(len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
