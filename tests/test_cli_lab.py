"""`wanwan ask`, `wanwan ledger export` and the config errors, as a user runs them."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import ROOT, run_cli
from wanwan.config import load_config


def test_ask_json_contract(tmp_path, monkeypatch):
    monkeypatch.setenv("WANWAN_DB", str(tmp_path / "db.sqlite3"))
    proc = run_cli("ask", "--site", "bay-1", "--json", "-",
                   stdin=b"start transfer from dewar seven\nconfirm\n")
    assert proc.returncode == 0, proc.stderr
    first, second = (json.loads(x) for x in proc.stdout.decode().splitlines())
    assert first["intent"] == "start_transfer" and first["decision"] == "readback"
    assert first["slots"] == {"source": "7"} and first["commands"] == []
    assert second["decision"] == "confirmed"
    assert second["commands"][0]["command"] == "start"
    assert second["commands"][0]["acknowledged"] is True and second["commands"][0]["ok"]
    assert second["reply"].startswith("Transfer started from dewar 7")


def test_ask_logs_and_ledger_exports_csv(tmp_path, monkeypatch):
    monkeypatch.setenv("WANWAN_DB", str(tmp_path / "db.sqlite3"))
    proc = run_cli("ask", "log twelve point five litres to sato lab")
    assert proc.stdout.decode().strip() == "Recorded 12.5 litres of liquid helium dispensed to Sato lab."
    out = run_cli("ledger", "export", "--csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout.decode())))
    assert [(r["amount"], r["unit"], r["lab"], r["site"]) for r in rows] == [
        ("12.5", "L", "sato", "kiosk-recovery")]


def test_ask_unknown_site_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("WANWAN_DB", str(tmp_path / "db.sqlite3"))
    proc = run_cli("ask", "--site", "attic", "stop")
    assert proc.returncode == 2
    assert proc.stderr.decode().strip().endswith(
        "unknown site 'attic' (configured: kiosk-recovery, bay-1)")


def test_example_config_is_the_issue_s_site():
    config = load_config(ROOT / "config")
    assert sorted(d.capacity_l for d in config.dewars) == [100] * 5 + [250]
    assert config.sites[0].allows("read_level") and not config.sites[0].allows("start_transfer")
    assert config.gas_bag and config.compressor and config.oxygen_monitors
    assert config.litres_to_m3 == 0.7


def test_bad_config_reference_names_file(tmp_path):
    bad = tmp_path / "site.yaml"
    bad.write_text("rooms: [{id: lab}]\nsites: [{id: k, room: attic}]\n")
    proc = run_cli("ask", "--config", str(bad), "stop")
    assert proc.returncode == 2
    assert f"{bad}: Value error, sites: 'k' is in unknown room 'attic'".encode() in proc.stderr


@pytest.mark.parametrize(("yaml_text", "message"), [
    # a typo in a policy must not lift the rule it was meant to set
    ("rooms: [{id: lab}]\nsites:\n  - id: k\n    room: lab\n    denied_intents: [start_transfers]\n",
     ":5: denied_intents of site 'k' names 'start_transfers', which is no intent (did you mean "
     "'start_transfer'?)"),
    ("rooms: [{id: lab}]\nrooms: [{id: x}]\n", ":2: YAML syntax error: duplicate key 'rooms'"),
    ("rooms: [{id: lab}]\nsites:\n  - id: k\n    room: lab\n    colour: red\n",
     ":5: sites.0.colour: Extra inputs are not permitted"),
    ("timeouts:\n  confirm_s: soon\n", ":2: timeouts.confirm_s: Input should be a valid number"),
])
def test_configuration_that_cannot_silently_lift_a_rule(tmp_path, yaml_text, message):
    bad = tmp_path / "site.yaml"
    bad.write_text(yaml_text)
    proc = run_cli("ask", "--config", str(bad), "stop")
    assert proc.returncode == 2
    assert f"wanwan: {bad}{message}" in proc.stderr.decode()
