"""The dot source of every zoo spec (and a few views of ResNet) against its golden file in tests/goldens/diagram/."""

from pathlib import Path

import pytest

import netspec
from netspec.backends.diagram import to_dot

SPECS = Path(__file__).parent.parent / "specs"
ZOO = sorted(p.stem for p in SPECS.glob("*.net"))

# golden name -> (spec, parameters, to_dot options): the views a default drawing of the zoo does not show
VIEWS = {
    "resnet152": ("resnet.net", {"depth": 152}, {}),
    "resnet18_full": ("resnet18.net", {}, {"depth": "full"}),
    "resnet18_depth1_lr": ("resnet18.net", {}, {"depth": 1, "rankdir": "LR"}),
}


@pytest.mark.parametrize("spec", ZOO)
def test_zoo_spec(spec, golden):
    """Every specs/*.net at its defaults: a new spec needs `pytest --update-goldens`, then a review of its .dot."""
    golden.check(f"diagram/{spec}.dot", to_dot(netspec.analyse(SPECS / f"{spec}.net")))


@pytest.mark.parametrize("name", VIEWS)
def test_view(name, golden):
    spec, params, options = VIEWS[name]
    golden.check(f"diagram/{name}.dot", to_dot(netspec.analyse(SPECS / spec, **params), **options))
