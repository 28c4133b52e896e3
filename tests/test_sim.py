"""Simulator physics (stepped by hand: no broker needed) against the reference figures."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from wanwan.bus.client import BrokerAddress
from wanwan.bus.messages import CommandRequest
from wanwan.config import load_config
from wanwan.instruments.sim import LabSimulator


@pytest.fixture
def sim():
    return LabSimulator(load_config(ROOT / "config"), BrokerAddress(port=1))  # never started


def start(sim, **args):
    req = CommandRequest(reply_to="x", command="start", args=args, deadline=1e12)
    return sim._transfer_command(sim.transfers["tc1"], req)


def test_boil_off_is_about_one_percent_of_capacity_a_day(sim):
    before = sim.dewars["12"].content_l
    for _ in range(24):
        sim.step(3600)
    assert before - sim.dewars["12"].content_l == pytest.approx(1.0, rel=1e-6)  # 100 L dewar
    assert sim.dewars["20"].boiloff_pct_per_day == 0.8


def test_transfer_rate_loss_and_target(sim):
    ok, error, _ = start(sim, source="7", target="magnet2", target_level=60)
    assert ok, error
    sim.step(30)  # pressurising takes 30 s
    assert sim.transfers["tc1"].state == "transferring"
    bag_before = sim.gas.bag_gas_m3
    sim.step(600)  # ten minutes at 130 L/h drawn
    t = sim.transfers["tc1"]
    drawn = 130 * 600 / 3600
    assert t.moved_l == pytest.approx(drawn * 0.8) and t.loss_l == pytest.approx(drawn * 0.2)
    assert sim.gas.bag_gas_m3 - bag_before == pytest.approx(drawn * 0.2 * 0.7, rel=1e-3)
    for _ in range(200):
        sim.step(60)
    assert t.state == "stopped" and t.stop_reason == "target reached"
    assert sim.vessels["magnet2"].level_pct == pytest.approx(60, abs=0.5)


def test_transfer_stops_when_supply_runs_low(sim):
    ok, *_ = start(sim, source="15")  # 18 % full, no target
    assert ok
    for _ in range(200):
        sim.step(60)
    t = sim.transfers["tc1"]
    assert t.stop_reason == "supply low" and sim.dewars["15"].level_pct <= 5.1
    ok, error, _ = start(sim, source="15")
    assert not ok and "nearly empty" in error


def test_compressor_hysteresis_fills_storage(sim):
    gas = sim.gas
    gas.bag_gas_m3 = gas.bag_volume_m3 * 0.74
    sim.step(1)
    assert gas.compressor_state == "stop"
    gas.bag_gas_m3 = gas.bag_volume_m3 * 0.76
    pressure = gas.storage_mpa
    sim.step(1)
    assert gas.compressor_state == "run"
    for _ in range(600):
        sim.step(10)
        if gas.compressor_state == "stop":
            break
    assert gas.compressor_state == "stop" and gas.bag_pct <= 30.1
    assert gas.storage_mpa > pressure


def test_oxygen_thresholds_and_alarm(sim):
    monitor = sim.oxygen["o2-recovery"]
    assert monitor.level == "normal"
    sim.inject("oxygen_drop", "recovery", value=19.0)
    assert monitor.level == "warning" and "oxygen:o2-recovery" in sim.active_alarms
    sim.inject("oxygen_drop", "recovery", value=17.9)
    assert monitor.level == "alarm"
    assert sim.active_alarms["oxygen:o2-recovery"].severity == "alarm"
    sim.inject("oxygen_drop", "recovery", on=False)
    for _ in range(60):
        sim.step(60)
    assert monitor.level == "normal" and not sim.active_alarms
