"""Rhasspy's side of the wire, run in .venv-hermes (scripts/hermes-env.sh) by the tests.

Reads a JSON list of jobs on stdin and prints a JSON list of results:
- ``{"parse": "rhasspyhermes.nlu.NluIntent", "payload": "..."}``: the message as the
  rhasspy-hermes dataclass reads it (``to_dict()``), or ``{"error": ...}``;
- ``{"build": "rhasspyhermes.nlu.NluQuery", "fields": {...}}``: the payload it publishes;
- ``{"chunks": "file.wav", "frames": 1024}``: a recording as the hex of the audioFrame WAV
  chunks a Rhasspy satellite streams.
"""

import importlib
import json
import sys


def _class(path):
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def run(job):
    if "parse" in job:
        try:
            message = _class(job["parse"]).from_json(job["payload"])
        except Exception as exc:  # the answer is that it does not parse
            return {"error": f"{type(exc).__name__}: {exc}"}
        return json.loads(message.to_json())
    if "build" in job:
        return _class(job["build"])(**job["fields"]).payload()
    if "chunks" in job:
        from rhasspyhermes.audioserver import AudioFrame

        with open(job["chunks"], "rb") as wav:
            return [c.hex() for c in AudioFrame.iter_wav_chunked(wav, job["frames"])]
    raise ValueError(f"unknown job {job}")


if __name__ == "__main__":
    print(json.dumps([run(job) for job in json.load(sys.stdin)]))
