"""netspec: a compiler for convolutional network specs (.net files).

Checks a spec statically (shapes, parameters, MACs, receptive fields) and compiles it to a live
torch.nn.Module, standalone PyTorch source, ONNX, diagrams and summary tables.
"""

from netspec.api import analyse, build, compile_source, costs, diagram, diff, export_onnx, load, sizes
from netspec.diagnostics import Diagnostic, NetspecError, Span

__version__ = "0.1.0"

__all__ = [
    "Diagnostic",
    "NetspecError",
    "Span",
    "__version__",
    "analyse",
    "build",
    "compile_source",
    "costs",
    "diagram",
    "diff",
    "export_onnx",
    "load",
    "sizes",
]
