"""The PyTorch backend: a checked ir.Graph -> a live nn.Module (`build_module`) or standalone source (`emit_source`).

Attributes are imported on first use: `emit_source` and the layer table never import torch.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "build_module": "netspec.backends.torch.module",
    "load_weights": "netspec.backends.torch.weights",
    "read_weights": "netspec.backends.torch.weights",
    "WeightsError": "netspec.backends.torch.weights",
    "emit_source": "netspec.backends.torch.source",
    "Source": "netspec.backends.torch.source",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
