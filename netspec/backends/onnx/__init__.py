"""The ONNX backend: takes a checked IR graph, gives a verified .onnx model traced node by node to the spec."""

from netspec.backends.onnx.convert import DEFAULT_OPSET
from netspec.backends.onnx.export import Options, Result, build, export, export_module
from netspec.backends.onnx.verify import Verification

__all__ = ["DEFAULT_OPSET", "Options", "Result", "Verification", "build", "export", "export_module"]
