"""Sliding-window arithmetic shared by conv and pooling: output size (floor or ceil mode) with its formula; the
size-below-1 check every layer that sizes its output shares (conv, pooling, convtranspose, resampling)."""

from __future__ import annotations

from collections.abc import Sequence

from netspec.ops.base import Shape, ShapeError, fmt_shape
from netspec.records import record

_DIMS = ("height", "width")


@record(slots=True)
class Size:
    value: int
    formula: str


def output_size(w: int, k: int, s: int, p: int, d: int, ceil: bool = False) -> Size:
    """PyTorch's conv/pool output size for one spatial dim, with the arithmetic that produced it."""
    span = w + 2 * p - d * (k - 1) - 1
    shown = f"({w} - {k} + 2*{p})" if d == 1 else f"({w} + 2*{p} - {d}*({k} - 1) - 1)"
    if not ceil:
        value = span // s + 1
        floor = f"{shown}/{s}" if span % s == 0 else f"floor({shown}/{s})"
        return Size(value, f"{floor} + 1 = {value}")
    value = -(-span // s) + 1
    note = ""
    if (value - 1) * s >= w + p:
        value -= 1
        note = " (the last window would start in the right padding, so one less)"
    return Size(value, f"ceil({shown}/{s}) + 1 = {value}{note}")


def spatial(op: str, shape: Shape, kernel, stride, padding, dilation, ceil: bool = False) -> tuple[Shape, list[str]]:
    """(C, H, W) -> (H_out, W_out) for a window op; ShapeError with the failing arithmetic when a size < 1."""
    sizes = [output_size(shape[1 + i], kernel[i], stride[i], padding[i], dilation[i], ceil) for i in range(2)]
    require_sizes(
        shape,
        [(s.value, s.formula) for s in sizes],
        "use a smaller kernel or stride, add padding, or feed a larger input",
    )
    formulas = [f"{dim}: {s.formula}" for dim, s in zip(("H_out", "W_out"), sizes, strict=True)]
    return (sizes[0].value, sizes[1].value), formulas


def require_sizes(shape: Shape, sizes: Sequence[tuple[int, str]], help: str) -> None:
    """ShapeError for the first output height or width below 1, with the (value, arithmetic) that gave it."""
    for dim, (value, formula) in zip(_DIMS, sizes, strict=True):
        if value < 1:
            raise ShapeError(f"output {dim} collapses to {value}", f"input is {fmt_shape(shape)}; {formula}", help)


def check_padding(op: str, kernel, padding, dilation=(1, 1)) -> None:
    """PyTorch's pooling rule: padding at most half the (effective) kernel."""
    for dim, k, p, d in zip(_DIMS, kernel, padding, dilation, strict=True):
        effective = d * (k - 1) + 1
        if 2 * p > effective:
            raise ShapeError(
                f"{op} padding {p} is more than half the kernel {effective}",
                f"{dim}: 2*{p} > {effective}",
                "PyTorch requires padding <= kernel / 2",
            )


def dropped(w: int, k: int, s: int, p: int, d: int) -> int:
    """How many input rows/columns (incl. padding) the last window never reaches."""
    return (w + 2 * p - d * (k - 1) - 1) % s
