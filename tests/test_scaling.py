"""Large networks elaborate without recursion limits or budget errors (no timings here: see benchmarks/)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import netspec
from netspec.elaborate import elaborator

ROOT = Path(__file__).resolve().parent.parent


def gen_spec():
    spec = importlib.util.spec_from_file_location("gen_spec", ROOT / "benchmarks" / "gen_spec.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_twenty_thousand_layers_of_blocks_in_loops():
    report = netspec.analyse(gen_spec().generate(20_000, "blocks"))
    assert report.totals.layers == 20_000
    assert len(report.layers) == 20_001 and report.output == [8, 16, 16]
    assert report.layers[-1].rf[0] > 10_000  # the receptive field grew through every conv


def test_twenty_thousand_layers_in_one_body():
    text = "network Long {\n    input [8, 16, 16]\n" + "    relu()\n    identity()\n" * 10_000 + "}\n"
    report = netspec.analyse(text)
    assert report.totals.layers == 20_000
    assert report.layers[-1].name == "19999"


def test_the_budget_has_room_for_the_benchmarked_100k_layers():
    assert elaborator.MAX_NODES > 100_001  # 100k layers and the input
    assert elaborator.MAX_STEPS > 1.3 * 100_000  # gen_spec's blocks style takes ~1.29 steps per layer
