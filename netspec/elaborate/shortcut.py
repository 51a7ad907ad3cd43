"""The shortcut path of a residual: identity, auto (1x1 conv + BN when shapes differ), pad (option A), none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netspec.elaborate.evaluate import UNKNOWN, Env, EvalError, Reported
from netspec.ops import OPS, fmt_shape
from netspec.parse import ast

if TYPE_CHECKING:
    from netspec.elaborate.elaborator import Ctx, Elaborator

KINDS = ("auto", "identity", "pad", "none")


def shortcut_kind(shortcut: ast.Shortcut | None, env: Env) -> str:
    """`auto`, `identity`, `pad`, `none`, or `body`; a name may also be a str parameter holding one of them."""
    if shortcut is None:
        return "identity"
    if shortcut.body is not None:
        return "body"
    kind = shortcut.kind
    if kind not in KINDS:
        try:
            kind = env.lookup(kind or "")
        except KeyError:
            kind = None
        if kind is UNKNOWN:
            raise Reported(f"`{shortcut.kind}` is unknown", shortcut.span)
    if kind not in KINDS:
        raise EvalError(
            f"unknown shortcut `{shortcut.kind}`",
            shortcut.span,
            f"a shortcut is {', '.join(KINDS)}, or a body {{ ... }}",
        )
    return kind


def stride_between(x_shape, y_shape) -> int | None:
    """The smallest stride s with ceil(H_in/s) == H_out and ceil(W_in/s) == W_out, as a 1x1 conv or a [::s]
    slice gives. Each dimension allows a range of strides (any s >= 1 maps a height of 1 to 1), so both are
    asked: a 1x3 map going to 1x2 takes stride 2, which its height alone cannot tell."""
    if len(x_shape) != 3 or len(y_shape) != 3 or y_shape[1] < 1 or y_shape[2] < 1:
        return None
    low, high = 1, None
    for x, y in zip(x_shape[1:], y_shape[1:], strict=True):
        # ceil(x / s) == y  <=>  (y - 1) * s < x <= y * s
        low = max(low, -(-x // y))
        if y > 1:
            bound = (x - 1) // (y - 1)
            high = bound if high is None else min(high, bound)
    return low if high is None or low <= high else None


def _identity(el: Elaborator, item: ast.Residual, x, body, ctx: Ctx):
    return x


def _auto(el: Elaborator, item: ast.Residual, x, body, ctx: Ctx):
    shortcut = item.shortcut
    assert shortcut is not None  # shortcut_kind: no shortcut is the identity
    x_shape, y_shape = el.shape(x), el.shape(body)
    if x_shape is None or y_shape is None or x_shape == y_shape:
        return x
    stride = stride_between(x_shape, y_shape)
    if stride is None:
        el.diags.error(
            "`shortcut auto` cannot project the input to the branch's shape",
            shortcut.span,
            f"input {fmt_shape(x_shape)}, branch output {fmt_shape(y_shape)}",
            "a 1x1 conv projects channels and strides; give an explicit shortcut body",
            code="shape",
        )
        return None
    member = ast.Member(shortcut.label, ast.Group((), shortcut.span), shortcut.span)
    inner = el.nested(member, ctx, "shortcut", shortcut.label or "shortcut")
    conv = OPS["conv"].Attrs(out=y_shape[0], kernel=1, stride=stride, bias=False)
    x = el.apply("conv", conv, (x,), inner.ns.qualify("0"), inner, shortcut.span)
    bn = OPS["batchnorm"].Attrs()
    return el.apply("batchnorm", bn, (x,), inner.ns.qualify("1"), inner, shortcut.span)


def _pad(el: Elaborator, item: ast.Residual, x, body, ctx: Ctx):
    shortcut = item.shortcut
    assert shortcut is not None  # shortcut_kind: no shortcut is the identity
    x_shape, y_shape = el.shape(x), el.shape(body)
    if x_shape is None or y_shape is None or x_shape == y_shape:
        return x
    stride = stride_between(x_shape, y_shape)
    extra = y_shape[0] - x_shape[0] if len(y_shape) == 3 and len(x_shape) == 3 else -1
    if stride is None or extra < 0:
        el.diags.error(
            "`shortcut pad` cannot reach the branch's shape",
            shortcut.span,
            f"input {fmt_shape(x_shape)}, branch output {fmt_shape(y_shape)}",
            "pad subsamples and adds zero channels; it cannot remove channels",
            code="shape",
        )
        return None
    attrs = OPS["pad"].Attrs(stride=stride, front=extra // 2, back=extra - extra // 2)
    return el.apply("pad", attrs, (x,), ctx.ns.qualify(shortcut.label or "pad"), ctx, shortcut.span)


SHORTCUTS = {"identity": _identity, "auto": _auto, "pad": _pad}
