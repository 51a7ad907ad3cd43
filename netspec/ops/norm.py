"""Normalisation, scaling and regularisation: batchnorm, group/instance/layer norm, lrn, layerscale, dropout (2d),
stochastic depth."""

import math
from abc import ABC, abstractmethod
from typing import Annotated, ClassVar

from netspec.ops.base import (
    Attrs,
    Bool,
    Number,
    Op,
    Positive,
    PositiveNumber,
    Probability,
    ShapeError,
    choice,
    fmt_shape,
    require_image,
    require_split,
)


class Norm(Op, ABC):
    """A normalisation with an optional learned scale and shift per channel (`affine`): 2*C parameters; one that
    keeps running statistics also has 2*C + 1 buffers (mean, variance, the batch count). Its `what` says what
    is normalised over what, the first line of its explanation."""

    axis: ClassVar[int] = 0  # where the channels are: the first axis, or the last (layernorm)
    affine_note: ClassVar[str] = ""  # said after `affine=false` when the default is no scale and shift
    no_buffers: ClassVar[str | None] = None  # what its explanation says when it keeps no running statistics
    keeps_grid = True  # (layernorm, over the last axis of a channels-last map, says otherwise)

    def running_stats(self, a) -> bool:
        return False

    def params(self, a, shapes, out):
        return 2 * shapes[0][self.axis] if a.affine else 0

    def buffers(self, a, shapes, out):
        return 2 * shapes[0][self.axis] + 1 if self.running_stats(a) else 0

    @abstractmethod
    def what(self, a, shapes) -> str: ...

    def explain(self, a, shapes, out):
        c = shapes[0][self.axis]
        lines = [
            self.what(a, shapes),
            f"params = 2*C = 2*{c} = {2 * c:,}" if a.affine else f"params = 0 (affine=false{self.affine_note})",
        ]
        if self.running_stats(a):
            lines.append(
                f"buffers (not trained) = running mean + running var + batch count = 2*{c} + 1 = {2 * c + 1:,}"
            )
        elif self.no_buffers is not None:
            lines.append(self.no_buffers)
        return lines


class BatchNormAttrs(Attrs):
    eps: PositiveNumber = 1e-5
    momentum: Probability = 0.1
    affine: Bool = True
    zero_init: Bool = False  # start gamma at 0: the last BN of a residual branch, as ResNet recipes do


class BatchNorm(Norm):
    name = "batchnorm"
    Attrs = BatchNormAttrs
    summary = "batch normalisation over channels (2-D on images, 1-D on vectors)"

    def running_stats(self, a) -> bool:
        return True

    def what(self, a, shapes) -> str:
        return f"input {fmt_shape(shapes[0])}: one scale and one shift per channel"


class LRNAttrs(Attrs):
    size: Positive = 5
    alpha: Number = 1e-4
    beta: Number = 0.75
    k: Number = 1.0


class LRN(Op):
    keeps_grid = True
    name = "lrn"
    Attrs = LRNAttrs
    ranks = (3,)
    summary = "local response normalisation across channels (AlexNet): lrn(size=5, alpha=1e-4, beta=0.75, k=1)"

    def describe(self, a: LRNAttrs) -> str:
        return f"lrn {a.size}"


class DropoutAttrs(Attrs):
    p: Probability = 0.5


class Dropout(Op):
    keeps_grid = True
    name = "dropout"
    Attrs = DropoutAttrs
    layout = "any"
    summary = "dropout(p=0.5): zeroes activations while training"

    def describe(self, a: DropoutAttrs) -> str:
        return f"dropout {a.p:g}"


class LayerNormAttrs(Attrs):
    eps: PositiveNumber = 1e-5
    affine: Bool = True


class LayerNorm(Norm):
    """nn.LayerNorm over the last axis: the features of a vector, or the channels of a channels-last map."""

    name = "layernorm"
    Attrs = LayerNormAttrs
    keeps_grid = False  # on a channels-last map its grid is the leading axes: analysis/alignment.py follows it
    layout = "last"
    axis = -1
    where = "position"
    summary = "layer normalisation over the last axis (channels after permute([1, 2, 0])): layernorm(eps=1e-5)"

    def what(self, a, shapes) -> str:
        c = shapes[0][self.axis]
        return (
            f"input {fmt_shape(shapes[0])}: each {self.where} normalised over its {c} channels, then scaled and shifted"
        )


class LayerNorm2d(LayerNorm):
    """Layer norm over the channels of [C, H, W] at each pixel, as torchvision's LayerNorm2d (ConvNeXt)."""

    name = "layernorm2d"
    keeps_grid = True
    layout = "channels"
    ranks = (3,)
    axis = 0
    where = "pixel"
    summary = "layer normalisation over the channels of [C, H, W] at each pixel: layernorm2d(eps=1e-5)"


class LayerScaleAttrs(Attrs):
    init: Number = 1e-6


class LayerScale(Op):
    """A learned scale per channel, started small (CaiT, ConvNeXt): a parameter of shape [C, 1, 1] or [C].

    It is no submodule: the parameter itself is the member (torchvision's `layer_scale`).
    """

    name = "layerscale"
    keeps_grid = True
    Attrs = LayerScaleAttrs
    parameter = True
    summary = "x * gamma with gamma a learned [C, 1, 1] started at init: layerscale(init=1e-6)"

    def params(self, a, shapes, out):
        return shapes[0][0]

    def explain(self, a: LayerScaleAttrs, shapes, out):
        c = shapes[0][0]
        return [
            f"input {fmt_shape(shapes[0])} times a learned scale per channel, each starting at {a.init:g}",
            f"params = C = {c:,}",
            "MACs = 0 (elementwise products are not counted)",
        ]

    def describe(self, a: LayerScaleAttrs) -> str:
        return f"layerscale {a.init:g}"


class StochasticDepthAttrs(Attrs):
    p: Probability
    mode: Annotated[str, choice("row", "batch")] = "row"


class StochasticDepth(Op):
    """torchvision.ops.StochasticDepth: while training, drops a residual branch per sample ("row") or per batch.

    In eval it is the identity; while training the kept values are divided by 1 - p.
    """

    name = "stochastic_depth"
    keeps_grid = True
    Attrs = StochasticDepthAttrs
    layout = "any"
    summary = 'drops the whole input with probability p while training: stochastic_depth(p, mode="row")'

    def explain(self, a: StochasticDepthAttrs, shapes, out):
        per = "each sample" if a.mode == "row" else "the whole batch"
        return [
            f"training: for {per}, zero the input with probability {a.p:g}, else divide it by {1 - a.p:g}",
            f"eval: the identity; output shape = {fmt_shape(out)}",
            "params = 0",
        ]

    def describe(self, a: StochasticDepthAttrs) -> str:
        return f"stochastic depth {a.p:g}"


class GroupNormAttrs(Attrs):
    groups: Positive
    eps: PositiveNumber = 1e-5
    affine: Bool = True


class GroupNorm(Norm):
    """nn.GroupNorm: each sample's channels in `groups` groups, each normalised over its channels and pixels."""

    name = "groupnorm"
    Attrs = GroupNormAttrs
    summary = "group normalisation: groupnorm(groups, eps=1e-5, affine=true); groupnorm(1) normalises all of [C, H, W]"

    def infer(self, a: GroupNormAttrs, shapes):
        shape = shapes[0]
        require_split(shape, a.groups, "groups", "the group count must divide the channels")
        if self.needs_pixels(a, shapes) and math.prod(shape[1:]) == 1:
            raise ShapeError(
                "groupnorm of one value per group",
                f"input is {fmt_shape(shape)}, {a.groups} groups",
                "a single value has no spread (the output would be the bias alone): "
                "use fewer groups, or normalise before the map shrinks to 1x1",
            )
        return shape

    def needs_pixels(self, a: GroupNormAttrs, shapes) -> bool:
        """One channel per group: the group is one pixel's value, unless the map has more than one pixel."""
        return shapes[0][0] // a.groups == 1

    no_buffers = "buffers = 0 (no running statistics: train and eval compute the same)"

    def what(self, a: GroupNormAttrs, shapes) -> str:
        c = shapes[0][0]
        return (
            f"input {fmt_shape(shapes[0])}: {a.groups} groups of {c // a.groups} channels, each normalised "
            "over its channels and pixels, then one scale and shift per channel"
        )

    def describe(self, a: GroupNormAttrs) -> str:
        return f"groupnorm {a.groups}"


class InstanceNormAttrs(Attrs):
    eps: PositiveNumber = 1e-5
    momentum: Probability = 0.1
    affine: Bool = False  # nn.InstanceNorm2d's defaults: no scale and shift, no running statistics
    track_running_stats: Bool = False


class InstanceNorm(Norm):
    """nn.InstanceNorm2d: each channel of each sample normalised over its own pixels (style transfer, GANs)."""

    name = "instancenorm"
    Attrs = InstanceNormAttrs
    ranks = (3,)
    summary = "instance normalisation: instancenorm(eps=1e-5, affine=false, track_running_stats=false)"
    affine_note = ", as nn.InstanceNorm2d"
    no_buffers = "buffers = 0"

    def infer(self, a: InstanceNormAttrs, shapes):
        shape = shapes[0]
        require_image("instancenorm", shape)
        if shape[1] * shape[2] == 1 and self.needs_pixels(a, shapes):
            raise ShapeError(
                "instancenorm needs more than one pixel",
                f"input is {fmt_shape(shape)}",
                "a single pixel has no variance; normalise before the map shrinks to 1x1",
            )
        return shape

    def needs_pixels(self, a: InstanceNormAttrs, shapes) -> bool:
        """Without running statistics (in eval with them, as batchnorm, it normalises by those instead)."""
        return not a.track_running_stats

    def running_stats(self, a: InstanceNormAttrs) -> bool:
        return a.track_running_stats

    def what(self, a, shapes) -> str:
        c, h, w = shapes[0]
        return f"input {fmt_shape(shapes[0])}: each of the {c} channels normalised over its own {h}x{w} pixels"


class Dropout2d(Op):
    """nn.Dropout2d: zeroes whole channels while training (neighbouring pixels are too alike to drop singly)."""

    name = "dropout2d"
    keeps_grid = True
    Attrs = DropoutAttrs
    ranks = (3,)
    summary = "dropout2d(p=0.5): zeroes whole channels while training"

    def describe(self, a: DropoutAttrs) -> str:
        return f"dropout2d {a.p:g}"
