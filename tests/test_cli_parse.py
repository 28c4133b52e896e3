"""`wanwan parse`: the JSON contract of intents.md and clean failures on bad input."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def test_parse_json_contract():
    proc = run_cli("parse", "--json", "log fifty litres to tanaka lab")
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert obj["text"] == "log fifty litres to tanaka lab"
    assert obj["intent"] == "log_volume"
    assert obj["slots"] == {"amount": 50, "unit": "L", "lab": "tanaka"}
    assert isinstance(obj["slots"]["amount"], int)
    assert 0 < obj["confidence"] <= 1


def test_parse_stdin_one_per_line_in_order():
    lines = "log twelve point five litres\nhello there\n\nstop\n"
    proc = run_cli("parse", "--json", "-", stdin=lines.encode())
    objs = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [o["intent"] for o in objs] == ["log_volume", None, None, "stop"]
    assert objs[0]["slots"]["amount"] == 12.5
    assert objs[1]["slots"] == {} and objs[2]["text"] == ""


def test_parse_plain_output():
    proc = run_cli("parse", "what's the level in dewar twelve")
    assert proc.stdout.decode().startswith("read_level dewar=12")


def test_bad_input_is_a_clear_message(tmp_path):
    big = run_cli("parse", "--json", "-", stdin=b"word " * 2000 + b"\n\xff\xfe\x00junk\n")
    assert big.returncode == 0
    assert [json.loads(x)["intent"] for x in big.stdout.decode().splitlines()] == [None, None]

    missing = run_cli("parse", "--intents", str(tmp_path / "nope"), "hello")
    assert missing.returncode == 2
    assert b"intent folder not found" in missing.stderr and b"Traceback" not in missing.stderr

    (tmp_path / "broken.yaml").write_text("intents:\n  x: [\n")
    broken = run_cli("parse", "--intents", str(tmp_path), "hello")
    assert broken.returncode == 2
    assert b"broken.yaml:3: YAML syntax error" in broken.stderr
    assert b"Traceback" not in broken.stderr


def test_bad_config_names_file_and_key(tmp_path):
    bad = tmp_path / "site.yaml"
    bad.write_text("dewars:\n  - {id: '7', capacity_l: -5}\n")
    proc = run_cli("parse", "--config", str(bad), "hello")
    assert proc.returncode == 2
    assert f"{bad}:2: dewars.0.capacity_l: Input should be greater than 0".encode() in proc.stderr
