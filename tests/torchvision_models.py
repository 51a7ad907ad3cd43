"""torchvision's model builders for tests, importable although `import torchvision` fails here.

torchvision's package `__init__` loads its compiled operators (`torchvision::nms`, ...), which do not match
this CPU build of torch, so `import torchvision` raises `operator torchvision::nms does not exist`. The model
definitions are plain Python and need none of them. A stub package whose `__path__` is the installed folder,
registered in `sys.modules` before `torchvision.models` is imported, skips the package `__init__` and nothing
else: the models are torchvision's own code, not a copy. Tests use it as the reference netspec must match.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

import torch


def _models():
    if "torchvision.models" in sys.modules:
        return sys.modules["torchvision.models"]
    if "torchvision" not in sys.modules:
        spec = importlib.util.find_spec("torchvision")
        if spec is None or spec.submodule_search_locations is None:
            raise ImportError("torchvision is not installed; `make setup` installs it (tests/requirements.txt)")
        stub = types.ModuleType("torchvision")
        stub.__path__ = list(spec.submodule_search_locations)
        stub.__file__ = spec.origin
        sys.modules["torchvision"] = stub
    import torchvision.models

    _regnet_widths_on_cpu(torchvision.models.regnet.BlockParams)
    return torchvision.models


_ON_CPU: set[type] = set()  # the classes whose builder runs on the CPU already


def _regnet_widths_on_cpu(params: Any) -> None:  # torchvision.models.regnet.BlockParams
    """RegNet's builders compute their widths with tensors and `.tolist()`, which fails when the model is built
    on the meta device (the tests' way to count a huge model's parameters); the arithmetic runs on the CPU."""
    if params in _ON_CPU:
        return
    compute = params.from_init_params.__func__

    def on_cpu(cls, *args, **kwargs):
        with torch.device("cpu"):
            return compute(cls, *args, **kwargs)

    params.from_init_params = classmethod(on_cpu)
    _ON_CPU.add(params)


def names() -> list[str]:
    """Every classification model torchvision registers (`torchvision.models.list_models`)."""
    models = _models()
    return models.list_models(module=models)


def segmentation_names() -> list[str]:
    """Every semantic segmentation model torchvision registers (torchvision.models.segmentation)."""
    models = _models()
    return models.list_models(module=models.segmentation)


def build(name: str, **kwargs):
    """torchvision's model `name`, untrained (weights=None); kwargs go to its builder (num_classes=...)."""
    return _models().get_model(name, weights=None, **kwargs)
