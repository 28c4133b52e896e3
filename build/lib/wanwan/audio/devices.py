"""The sound card: a microphone read block by block.

sounddevice is imported when a device is opened, not with this module: it loads PortAudio,
which a server without a sound card (a satellite server, CI) need not have.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from wanwan.errors import UserError

RATE = 16000
BLOCK = 1600  # 100 ms, what the endpointer is tuned on


class Microphone:
    """``for block in Microphone().blocks(): ...`` (16 kHz mono int16, 100 ms a block)."""

    def __init__(self, device: str | int | None = None) -> None:
        try:
            import sounddevice as sd  # deferred: loads PortAudio

            info = sd.query_devices(device, kind="input")
        except Exception as exc:
            raise UserError(f"no microphone available ({str(exc).strip() or 'no input device'})"
                            "; try `wanwan parse --audio FILE` for recorded speech") from None
        self.device = device
        self.name = str(info["name"])

    def blocks(self) -> Iterator[np.ndarray]:
        import sounddevice as sd  # deferred: loads PortAudio

        with sd.InputStream(samplerate=RATE, channels=1, dtype="int16", blocksize=BLOCK,
                            device=self.device) as stream:
            while True:
                block, _ = stream.read(BLOCK)
                yield block[:, 0]
