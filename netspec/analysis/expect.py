"""Report + the graph's `expect` statements -> a diagnostic for each expectation the analysis contradicts."""

from __future__ import annotations

import operator
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from netspec.analysis.report import Layer, Report, ScopeSummary
from netspec.diagnostics import Diagnostic, did_you_mean
from netspec.ir import Expectation
from netspec.parse.ast import UNITS

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

# Subjects of the whole network (at its top level) or of the group or block an `expect` stands in.
TOTALS: dict[str, Callable[[Report], Any]] = {
    "params": lambda r: r.totals.params,
    "trainable_params": lambda r: r.totals.trainable_params,
    "buffers": lambda r: r.totals.buffers,
    "macs": lambda r: r.totals.macs,
    "flops": lambda r: r.totals.flops,
    "layers": lambda r: r.totals.layers,
    "input": lambda r: tuple(r.input),
    "output": lambda r: tuple(r.output),
    "activation_memory": lambda r: r.totals.activation_bytes,
    "param_memory": lambda r: r.totals.param_bytes,
}

# Attributes of one layer, or of a group or block (its sums, and the shape and field of its last layer).
LAYER: dict[str, Callable[[Layer], Any]] = {
    "params": lambda x: x.params,
    "buffers": lambda x: x.buffers,
    "macs": lambda x: x.macs,
    "flops": lambda x: 2 * x.macs,
    "shape": lambda x: tuple(x.shape),
    "output": lambda x: tuple(x.shape),
    "rf": lambda x: _pair(x.rf),
    "jump": lambda x: _pair(x.jump),
    "activation_memory": lambda x: x.activation_bytes,
}
SCOPE: dict[str, Callable[[ScopeSummary, Layer], Any]] = {
    "params": lambda s, last: s.params,
    "macs": lambda s, last: s.macs,
    "flops": lambda s, last: 2 * s.macs,
    "shape": lambda s, last: tuple(s.shape),
    "output": lambda s, last: tuple(s.shape),
    "rf": lambda s, last: _pair(last.rf),
    "jump": lambda s, last: _pair(last.jump),
}


class SubjectError(Exception):
    def __init__(self, label: str, help: str = ""):
        self.label, self.help = label, help


def check_expectations(report: Report, expectations: list[Expectation]) -> list[Diagnostic]:
    """One error per expectation that does not hold, at the statement, showing the actual value."""
    found = []
    for e in expectations:
        try:
            actual = subject_value(report, e.subject, e.scope)
        except SubjectError as err:
            found.append(
                Diagnostic("error", f"`expect {e.subject}`: no such figure", e.span, err.label, err.help, "expect")
            )
            continue
        problem = _mismatch(e, actual)
        if problem is not None and e.scope != 0:
            problem += f" in `{report.scopes[e.scope].path or report.scopes[e.scope].label}`"
        if problem is not None:
            found.append(
                Diagnostic(
                    "error",
                    f"expectation failed: {e.subject} {e.op} {e.shown}",
                    e.span,
                    problem,
                    _help(e, actual),
                    "expect",
                )
            )
    return found


def subject_value(report: Report, subject: str, scope: int = 0) -> Any:
    """The figure an `expect` names, read relative to the scope it was written in."""
    base = report.scopes[scope]
    named = {o["name"]: o["shape"] for o in report.outputs if o["name"]}
    if scope == 0 and subject.startswith("output.") and subject[7:] in named:  # `expect output.aux == [21, H, W]`
        return tuple(named[subject[7:]])
    if "." not in subject:
        if scope == 0 and subject in TOTALS:
            return TOTALS[subject](report)
        if subject in SCOPE and scope != 0:
            return SCOPE[subject](base, report.layers[base.layers[-1]])
        names = list(TOTALS) if scope == 0 else list(SCOPE)
        raise SubjectError(
            f"`{subject}` is not a figure netspec knows", did_you_mean(subject, names) or "figures: " + ", ".join(names)
        )
    path, _, attr = subject.rpartition(".")
    full = f"{base.path}.{path}" if base.path else path
    layer = next((x for x in report.layers if x.name == full and x.op != "input"), None)
    if layer is not None:
        if attr not in LAYER:
            raise SubjectError(
                f"a layer has no figure `{attr}`", did_you_mean(attr, LAYER) or "layer figures: " + ", ".join(LAYER)
            )
        return LAYER[attr](layer)
    group = next((s for s in report.scopes if s.path == full and s.layers), None)
    if group is None:
        raise SubjectError(
            f"no layer, group or block named `{full}`",
            did_you_mean(full, [x.name for x in report.layers] + [s.path for s in report.scopes])
            or "use a name as `netspec summary` shows it, e.g. layer1.0.conv1.rf",
        )
    if attr not in SCOPE:
        raise SubjectError(
            f"a group or block has no figure `{attr}`",
            did_you_mean(attr, SCOPE) or "group figures: " + ", ".join(SCOPE),
        )
    return SCOPE[attr](group, report.layers[group.layers[-1]])


def _pair(values: list[int | Fraction]) -> int | Fraction | tuple[int | Fraction, int | Fraction]:
    """A receptive field or jump: one number when height and width agree, else (height, width)."""
    return values[0] if values[0] == values[1] else (values[0], values[1])


def _mismatch(e: Expectation, actual: Any) -> str | None:
    """None when the expectation holds; otherwise what the analysis found instead."""
    if isinstance(e.value, tuple) and not isinstance(actual, tuple):
        return f"{e.subject} is {_show(actual)}, a number, not a list"
    if isinstance(actual, tuple):
        return _mismatch_tuple(e, actual)
    within = e.tolerance and e.op == "=="
    ok = abs(actual - e.value) <= e.tolerance if within else _COMPARE[e.op](actual, e.value)
    return None if ok else f"actual: {_show(actual)}"


def _mismatch_tuple(e: Expectation, actual: tuple) -> str | None:
    if not isinstance(e.value, tuple):  # `layer1.rf >= 224` on a non-square field: every dim must hold
        ok = all(_COMPARE[e.op](a, e.value) for a in actual)
        return None if ok else f"actual: {_show(actual)} (height, width)"
    if e.op not in ("==", "!="):
        return f"lists compare with == or != only; actual: {_show(actual)}"
    return None if _COMPARE[e.op](actual, e.value) else f"actual: {_show(actual)}"


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, Fraction):
        return str(value)  # a jump after upsampling: `1/2`
    return f"{value:,}" if isinstance(value, int) else f"{value:,g}"


def _help(e: Expectation, actual: Any) -> str:
    if isinstance(actual, tuple):
        written = "[" + ", ".join(str(v) for v in actual) + "]"
    elif e.unit and isinstance(actual, (int, float)) and actual >= UNITS[e.unit]:
        exact = f"{actual:_}" if isinstance(actual, int) else f"{actual:g}"
        rounded = f"{actual / UNITS[e.unit]:.{max(e.decimals, 2)}f}"
        written = f"{rounded.rstrip('0').rstrip('.') if e.decimals == 0 else rounded}{e.unit}` (exactly {exact})"
        return f"if the network is right, write `expect {e.subject} == {written}"
    else:
        written = f"{actual:_}" if isinstance(actual, int) else f"{actual:g}"
    return f"if the network is right, write `expect {e.subject} == {written}`"
