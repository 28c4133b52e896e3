"""The dashboard, looked at in a real browser (Debian's chromium, headless, driven by Playwright)
against a real assistant: real mosquitto, the simulated lab speaking MQTT, a real SQLite ledger.

What is asserted is what a person sees on the page. Screenshots are written to
``WANWAN_SCREENSHOTS`` (the README's pictures: ``WANWAN_SCREENSHOTS=docs/img bash
scripts/test.sh tests/test_dashboard.py``), else to the test's temporary folder.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, make_lab, wait_for
from wanwan.bus.client import BrokerAddress, Bus
from wanwan.bus.messages import Alarm, DewarState, LedgerEntryMessage, ReplyMessage, SimFault
from wanwan.dashboard import Dashboard, parse_listen
from wanwan.dashboard.app import best_language
from wanwan.errors import UserError
from wanwan.security import viewer_user

playwright_api = pytest.importorskip("playwright.sync_api")

BAY, KIOSK = "bay-1", "kiosk-recovery"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("WANWAN_SCREENSHOTS") or tmp_path)
    folder = folder if folder.is_absolute() else ROOT / folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "chromium is not installed: `bash scripts/bootstrap.sh` installs it"
    with playwright_api.sync_playwright() as p:
        # root in a container: chromium's sandbox needs user namespaces it may not have
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


@pytest.fixture
def dashboard(lab):
    with Dashboard(lab, stock_every_s=0.5) as d:
        yield d


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=10_000)


def _dewar_levels(page) -> dict[str, int]:
    """What the page says each dewar's level is: {"12": 62}."""
    levels = page.eval_on_selector_all(
        "[data-dewar]", "cards => cards.map(c => [c.dataset.dewar, "
        "c.querySelector('.level').textContent])")
    return {ident: int(text.replace("%", "").strip()) for ident, text in levels}


def _canvas_drawn(page, selector: str) -> bool:
    """True when the plot's canvas has pixels of more than one colour (axes alone have)."""
    return page.evaluate(
        """sel => { const c = document.querySelector(sel + ' canvas');
             if (!c) return false;
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             const seen = new Set();
             for (let i = 0; i < d.length; i += 4 * 7) {
               if (d[i + 3] > 0) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
               if (seen.size > 3) return true;
             }
             return false; }""", selector)


def _plot_series_colours(page, selector: str) -> int:
    """How many pixels of the canvas are coloured (not grey: the axes and grid are grey)."""
    return page.evaluate(
        """sel => { const c = document.querySelector(sel + ' canvas');
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             let n = 0;
             for (let i = 0; i < d.length; i += 4) {
               const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
               if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) n++;
             }
             return n; }""", selector)


# -- in one process: the assistant of the lab fixture ------------------------------------------

def test_every_dewar_on_the_page_says_what_wanwan_says(dashboard, lab, page):
    _open(page, dashboard.url)
    shown = _dewar_levels(page)
    assert set(shown) == {d.id for d in lab.config.dewars}
    for ident, level in shown.items():
        state = lab.instruments.reading("dewar", ident).state
        assert abs(level - state.level_pct) <= 0.5 + 0.05, (ident, level, state.level_pct)
    spoken = lab.ask("what's the level in dewar twelve", BAY).reply
    assert spoken.startswith(f"Dewar 12 is at {shown['12']} percent"), (spoken, shown["12"])
    card = page.inner_text("[data-dewar='12']")
    assert "L" in card and "live" in card  # content and how fresh the reading is


def test_an_instrument_gone_offline_is_shown_as_such(dashboard, lab, page):
    _open(page, dashboard.url)
    assert "live" in page.inner_text("[data-dewar='15']")
    lab.sim.inject("offline", "15")
    page.wait_for_function("document.querySelector(\"[data-dewar='15']\").className"
                           ".includes('offline')", timeout=2000)
    assert "offline" in page.inner_text("[data-dewar='15']")
    assert "live" in page.inner_text("[data-dewar='12']")  # the others are still live


def test_a_litre_logged_by_voice_is_in_the_ledger_table_within_a_second(dashboard, lab, page):
    _open(page, dashboard.url)
    assert page.locator("#ledger tbody tr").count() == 0
    turn = lab.ask("log fifty litres to tanaka lab", BAY)
    if turn.decision == "readback":
        turn = lab.ask("confirm", BAY)
    logged = time.monotonic()
    row = page.locator("#ledger tbody tr").first
    row.wait_for(timeout=1000)
    seen = time.monotonic() - logged
    assert seen < 1.0, seen
    text = row.inner_text()
    assert "50 L" in text and "Tanaka lab" in text and "log fifty litres" in text
    assert "1 entries" in page.inner_text("#ledger-totals")
    # and what was said is on the page too, with the intent and the recogniser's confidence
    page.wait_for_function("document.querySelector('#conversation').innerText"
                           ".includes('log fifty litres')", timeout=1000)
    assert "log_volume" in page.inner_text("#conversation")


def test_an_oxygen_alarm_turns_the_page_red_within_a_second(dashboard, lab, page):
    _open(page, dashboard.url)
    assert "No active alarms" in page.inner_text("#alarms")
    assert not page.evaluate("document.body.classList.contains('alarm')")
    raised = threading.Event()
    lab.instruments.on_alarm(lambda a: raised.set() if a.active else None)
    lab.sim.inject("oxygen_drop", "recovery", value=17.4)
    assert raised.wait(5)
    published = time.monotonic()
    page.wait_for_function("document.body.classList.contains('alarm')", timeout=1000)
    assert time.monotonic() - published < 1.0
    red = page.evaluate("getComputedStyle(document.querySelector('#alarms')).backgroundColor")
    r, g, b = (int(x) for x in red[red.index("(") + 1:red.index(")")].split(",")[:3])
    assert r > 150 and g < 80 and b < 80, red
    assert "17.4" in page.inner_text("#alarms") and "not acknowledged" in page.inner_text(
        "#alarms")
    lab.ask("acknowledge", KIOSK)
    page.wait_for_function("document.querySelector('#alarms').innerText"
                           ".includes('acknowledged at kiosk-recovery')", timeout=2000)
    lab.sim.inject("clear")
    page.wait_for_function("!document.body.classList.contains('alarm')", timeout=3000)


def test_plots_are_drawn_and_the_ledger_filters_and_downloads(dashboard, lab, page, tmp_path):
    month = 31 * 86400
    now = time.time()
    for n, (lab_id, litres) in enumerate([("tanaka", 120), ("sato", 80), ("tanaka", 60),
                                          ("suzuki", 40), ("sato", 90)]):
        lab.ledger.log(site=BAY, amount=litres, unit="L", phase="liquid", direction="dispensed",
                       lab=lab_id, dewar="7", heard="written for the plots",
                       ts=now - (4 - n) * month)
        lab.ledger.log(site=KIOSK, amount=litres * 0.6, unit="m3", phase="gas",
                       direction="recovered", heard="recovered gas", ts=now - (4 - n) * month)
    _open(page, dashboard.url)
    # stock is sampled every 0.5 s here: a line once there are two samples
    wait_for(lambda: _plot_series_colours(page, "#plot-stock") > 50, timeout=5)
    for plot in ("#plot-labs", "#plot-recovery", "#plot-stock"):
        assert _canvas_drawn(page, plot), plot
        assert _plot_series_colours(page, plot) > 50, plot  # the data, not only the axes
    legend = page.inner_text("#plot-labs")
    assert "Tanaka lab" in legend and "Sato lab" in legend

    page.select_option("#ledger-filter select[name=lab]", "tanaka")
    page.wait_for_function("document.querySelectorAll('#ledger tbody tr').length === 2",
                           timeout=3000)
    href = page.get_attribute("#csv", "href")
    assert "lab=tanaka" in href
    with page.expect_download() as download:
        page.click("#csv")
    saved = tmp_path / "ledger.csv"
    download.value.save_as(saved)
    rows = saved.read_text().splitlines()
    assert rows[0].startswith("id,time,site,amount")
    assert len(rows) == 3 and all(",tanaka," in r for r in rows[1:])
    page.screenshot(path=str(_screenshots(tmp_path) / "dashboard-plots.png"), full_page=True)


def test_the_page_speaks_japanese_to_a_japanese_browser(dashboard, browser, tmp_path):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        _open(page, dashboard.url)
        assert page.evaluate("document.documentElement.lang") == "ja"
        assert page.inner_text("#dewars-panel h2") == "デュワー"
        assert "警報はありません" in page.inner_text("#alarms")
        assert len(_dewar_levels(page)) == len(dashboard.view.config.dewars)
        page.screenshot(path=str(_screenshots(tmp_path) / "dashboard-ja.png"), full_page=True)
    finally:
        context.close()
    assert best_language("fr-FR,ja;q=0.8,en;q=0.5") == "ja"
    assert best_language("en-US,ja;q=0.9") == "en"
    assert best_language(None) == "en"


def test_a_running_transfer_shows_how_to_stop_it(dashboard, lab, page, tmp_path):
    lab.ask("start transfer from dewar seven into the nmr six hundred", BAY)
    lab.ask("confirm", BAY)
    _open(page, dashboard.url)
    page.wait_for_function("document.querySelector('#transfers').innerText"
                           ".includes('transferring')", timeout=5000)
    text = page.inner_text("#transfers")
    assert "from 7" in text and "to nmr600" in text and "wan wan, stop" in text
    page.screenshot(path=str(_screenshots(tmp_path) / "dashboard.png"), full_page=True)
    lab.ask("stop", BAY)
    page.wait_for_function("!document.querySelector('#transfers').innerText"
                           ".includes('wan wan, stop')", timeout=3000)


# -- who may look ------------------------------------------------------------------------------

def _get(url: str, headers: dict[str, str] | None = None, method: str = "GET"
         ) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture
def guarded(broker, site_config, engine, tmp_path):
    config = site_config.model_copy(update={"security": site_config.security.model_copy(
        update={"viewers": ["office"]})})
    lab = make_lab(config, engine, broker.port, tmp_path / "db.sqlite3")
    with Dashboard(lab) as d:
        yield lab, d
    lab.close()


def test_a_viewer_needs_its_token_and_can_only_look(guarded, browser):
    lab, dashboard = guarded
    token = lab.key.password(viewer_user("office"))
    for path in ("/", "/api/snapshot", "/api/ledger.csv", "/api/events"):
        status, body = _get(dashboard.url.rstrip("/") + path)
        assert status == 401, path
        assert b"viewer token" in body
    status, _ = _get(dashboard.url + "api/snapshot", {"Authorization": "Bearer wrong"})
    assert status == 401
    status, body = _get(dashboard.url + "api/snapshot", {"Authorization": f"Bearer {token}"})
    assert status == 200 and json.loads(body)["instruments"]["dewars"]
    # nothing acts: every route refuses anything but reading
    for path in ("/", "/api/snapshot", "/api/ledger.csv", "/api/events", "/api/messages"):
        for method in ("POST", "PUT", "DELETE"):
            status, _ = _get(dashboard.url.rstrip("/") + path,
                             {"Authorization": f"Bearer {token}"}, method)
            assert status == 405, (method, path)
    # a browser opens the link once; the token moves to a cookie and leaves the address
    context = browser.new_context()
    try:
        page = context.new_page()
        _open(page, f"{dashboard.url}?token={token}")
        assert "token" not in page.url
        assert len(_dewar_levels(page)) == len(lab.config.dewars)
    finally:
        context.close()


def test_a_dashboard_for_other_hosts_needs_viewers(lab):
    with pytest.raises(UserError, match=r"security\.viewers"):
        Dashboard(lab, "0.0.0.0", 0)
    assert parse_listen("8080") == ("127.0.0.1", 8080)
    assert parse_listen("0.0.0.0:80") == ("0.0.0.0", 80)
    assert parse_listen("[::1]:8080") == ("::1", 8080)
    with pytest.raises(UserError, match="HOST"):
        parse_listen("eighty")


def test_a_bad_filter_is_a_clear_error(dashboard):
    status, body = _get(dashboard.url + "api/snapshot?period=fortnight")
    assert status == 400 and b"period must be one of" in body
    status, body = _get(dashboard.url + "api/ledger.csv?direction=sideways")
    assert status == 400 and b"direction must be dispensed or recovered" in body


# -- the command line: `wanwan serve --sim --http` ---------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Watcher:
    """A tool on the broker: the simulator's dewar states, alarms, ledger entries, replies."""

    def __init__(self, port: int) -> None:
        self.dewars: dict[str, DewarState] = {}
        self.replies: list[ReplyMessage] = []
        self.ledger: list[tuple[float, LedgerEntryMessage]] = []
        self.alarms: list[tuple[float, Alarm]] = []
        self.bus = Bus(BrokerAddress(port=port), presence=False)
        self.bus.subscribe("wanwan/+/dewar/+/state", DewarState,
                           lambda t, s: self.dewars.__setitem__(s.id, s))
        self.bus.subscribe("wanwan/site/+/reply", ReplyMessage,
                           lambda t, r: self.replies.append(r))
        self.bus.subscribe("wanwan/ledger/entry", LedgerEntryMessage,
                           lambda t, e: self.ledger.append((time.monotonic(), e)))
        self.bus.subscribe("wanwan/+/oxygen/+/alarm", Alarm,
                           lambda t, a: self.alarms.append((time.monotonic(), a)))
        self.bus.start()

    def ask(self, site: str, text: str, timeout: float = 10) -> str:
        seen = len(self.replies)
        self.bus.publish(f"wanwan/site/{site}/query", json.dumps({"text": text}).encode())
        return wait_for(lambda: next((r.text for r in self.replies[seen:]
                                      if r.site == site and r.kind in ("reply", "readback")),
                                     None), timeout)


def test_wanwan_serve_sim_http_shows_the_simulators_numbers_live(broker, page, tmp_path):
    """The issue's case, end to end: the command line, the broker, the page."""
    config = yaml.safe_load((ROOT / "config" / "site.yaml").read_text())
    config["broker"] = {"host": "127.0.0.1", "port": broker.port, "protocol": "5"}
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(config))
    watcher = Watcher(broker.port)
    port = _free_port()
    env = dict(os.environ, WANWAN_DB=str(tmp_path / "db.sqlite3"), PYTHONUNBUFFERED="1")
    serve = subprocess.Popen(
        [sys.executable, "-m", "wanwan", "serve", "--sim", "--no-satellites", "--http",
         f"127.0.0.1:{port}", "--config", str(tmp_path / "site.yaml")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/"

        def up() -> bool:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                connection.request("GET", "/api/messages")
                return connection.getresponse().status == 200
            except OSError:
                return False
        wait_for(up, timeout=30)
        wait_for(lambda: len(watcher.dewars) == len(config["dewars"]), timeout=10)
        _open(page, url)
        shown = _dewar_levels(page)
        assert set(shown) == {str(d["id"]) for d in config["dewars"]}
        for ident, level in shown.items():
            assert abs(level - watcher.dewars[ident].level_pct) <= 0.55, ident

        reply = watcher.ask(BAY, "log fifty litres to tanaka lab")
        if "confirm" in reply.lower():
            watcher.ask(BAY, "confirm")
        logged_at, entry = wait_for(lambda: watcher.ledger[-1] if watcher.ledger else None)
        assert entry.amount == 50 and entry.lab == "tanaka"
        page.locator("#ledger tbody tr").first.wait_for(timeout=1000)
        assert time.monotonic() - logged_at < 1.0
        assert "Tanaka lab" in page.inner_text("#ledger tbody")

        watcher.bus.publish("wanwan/sim/fault", SimFault(fault="oxygen_drop", value=17.4))
        raised_at, _ = wait_for(lambda: next(((t, a) for t, a in watcher.alarms
                                              if a.active and a.severity == "alarm"), None))
        page.wait_for_function("document.body.classList.contains('alarm')", timeout=1000)
        assert time.monotonic() - raised_at < 1.0
    finally:
        watcher.bus.stop()
        serve.send_signal(signal.SIGINT)
        _out, err = serve.communicate(timeout=15)
    assert serve.returncode == 0, err.decode()[-2000:]
    assert f"dashboard on http://127.0.0.1:{port}/" in err.decode()
