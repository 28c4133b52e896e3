"""`wanwan intents check` and loading errors: each names the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from wanwan.nlu import CatalogErrors, IntentEngine, load_catalog
from wanwan.nlu.check import check_catalog

BASE = """
language: en
lists:
  colour: {values: [red, green]}
"""


def write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "intents.yaml").write_text(BASE + body)
    return tmp_path / "intents.yaml"


def problems(tmp_path: Path) -> list[str]:
    catalog = load_catalog(tmp_path, strict=False)
    return [str(p) for p in check_catalog(catalog)]


@pytest.mark.parametrize("body,line,fragment", [
    ("intents:\n  paint:\n    data:\n      - sentences: ['paint it {color}']\n", 8, "unknown list {color}"),
    ("intents:\n  paint:\n    data:\n      - sentences: ['paint <polite> it']\n", 8, "unknown expansion rule"),
    ("intents:\n  paint:\n    data:\n      - sentences: ['paint (it|that']\n", 8, "never closed"),
    ("intents:\n  paint:\n    data:\n      - sentences: ['paint it']\n    colour: red\n", 9, "unknown key 'colour'"),
    ("intents:\n  paint:\n    data: []\n", 7, "needs 'data'"),
    ("intents:\n  paint:\n    data:\n      - sentences: ['paint it']\n  paint:\n    data: []\n", 9, "duplicate key"),
    ("intents: [oops\n", 6, "YAML syntax error"),
])
def test_load_errors_name_file_and_line(tmp_path, body, line, fragment):
    path = write(tmp_path, body)
    found = problems(tmp_path)
    assert any(p.startswith(f"{path}:{line}:") and fragment in p for p in found), found


def test_overlap_between_intents(tmp_path):
    write(tmp_path, """
intents:
  paint:
    data:
      - sentences: ['paint it {colour}']
  colour_it:
    data:
      - sentences: ['(paint|colour) it {colour}']
""")
    found = problems(tmp_path)
    assert any("colour_it and paint both claim 'paint it red'" in p for p in found), found


def test_template_that_can_never_match(tmp_path):
    # a site list the configuration never filled: nothing can be said for {brush}
    write(tmp_path, """
  brush: {external: true}
intents:
  paint:
    data:
      - sentences: ['paint it {colour}', 'paint with {brush}']
""")
    found = problems(tmp_path)
    assert any(":10:" in p and "'paint with {brush}' can never match" in p for p in found), found


def test_failing_test_sentence_is_reported(tmp_path):
    path = write(tmp_path, """
intents:
  paint:
    data:
      - sentences: ['paint it {colour}']
    tests:
      - {text: paint it green, slots: {colour: red}}
reject:
  - paint it red
""")
    found = problems(tmp_path)
    assert any(p.startswith(f"{path}:11:") and "expected slots" in p for p in found), found
    assert any(p.startswith(f"{path}:13:") and "expected None" in p for p in found), found


def test_strict_load_raises(tmp_path):
    write(tmp_path, "intents:\n  paint:\n    data:\n      - sentences: ['paint {nope}']\n")
    with pytest.raises(CatalogErrors, match="unknown list"):
        load_catalog(tmp_path)


def test_shipped_catalogue_is_clean():
    catalog = load_catalog(ROOT / "intents" / "en", strict=False)
    assert check_catalog(catalog, IntentEngine(catalog)) == []


def test_cli_check_reports_and_fails(tmp_path):
    write(tmp_path, "intents:\n  paint:\n    data:\n      - sentences: ['paint {nope}']\n")
    proc = run_cli("intents", "check", "--intents", str(tmp_path))
    assert proc.returncode == 1
    assert b"unknown list {nope}" in proc.stdout
    assert b"Traceback" not in proc.stderr
