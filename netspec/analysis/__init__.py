"""The analyse stage: ir.Graph -> Report (shapes, parameters, MACs, receptive fields, memory, lints)."""

from netspec.analysis.analyse import DTYPE_BYTES, analyse
from netspec.analysis.report import Layer, Report, ScopeSummary, Totals

__all__ = ["DTYPE_BYTES", "Layer", "Report", "ScopeSummary", "Totals", "analyse"]
