"""The layer table: every op kind by name. The one place that says what a layer is; backends look ops up here."""

from __future__ import annotations

from netspec.ops import activation, conv, dense, merge, norm, pool, resample, reshape
from netspec.ops.base import AttrError, Attrs, Op, Shape, ShapeError, Window, describe, fmt_shape

_KINDS: tuple[type[Op], ...] = (
    conv.Conv,
    conv.ConvTranspose,
    resample.Upsample,
    resample.Interpolate,
    pool.MaxPool,
    pool.AvgPool,
    pool.AdaptiveAvgPool,
    pool.AdaptiveMaxPool,
    pool.GlobalAvgPool,
    pool.GlobalMaxPool,
    dense.Linear,
    dense.Flatten,
    norm.BatchNorm,
    norm.LayerNorm,
    norm.LayerNorm2d,
    norm.LRN,
    norm.LayerScale,
    norm.Dropout,
    norm.StochasticDepth,
    norm.GroupNorm,
    norm.InstanceNorm,
    norm.Dropout2d,
    reshape.Permute,
    reshape.Chunk,
    reshape.ChannelShuffle,
    reshape.ZeroPad,
    activation.ReLU,
    activation.LeakyReLU,
    activation.ReLU6,
    activation.ELU,
    activation.Sigmoid,
    activation.Tanh,
    activation.GELU,
    activation.SiLU,
    activation.Hardswish,
    activation.Hardsigmoid,
    activation.Softmax,
    activation.Identity,
    merge.Input,
    merge.Add,
    merge.Mul,
    merge.Concat,
    merge.PadShortcut,
)

OPS: dict[str, Op] = {kind.name: kind() for kind in _KINDS}
LAYERS: dict[str, Op] = {name: op for name, op in OPS.items() if op.callable}

__all__ = ["LAYERS", "OPS", "AttrError", "Attrs", "Op", "Shape", "ShapeError", "Window", "describe", "fmt_shape"]
