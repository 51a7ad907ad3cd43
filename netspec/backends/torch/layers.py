"""IR node -> how it becomes torch: an nn class with constructor arguments, or a function of its inputs.

The one table both the live builder (module.py) and the code generator (source.py) read, so a layer is
compiled the same way by both. An op's emitter is the function named after it, found by `emitter(op)`.
This module never imports torch: `netspec compile` works, and stays fast, without it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from netspec.ops import OPS, Shape

REQUIRED = object()
CUSTOM = ("Permute", "LayerNorm2d", "StochasticDepth")  # the classes of custom.py, for `Construct(custom=True)`


@dataclass(frozen=True, slots=True)
class Arg:
    """A constructor argument, named as torch names it; generated source leaves out a keyword at its default."""

    name: str
    value: Any
    default: Any = REQUIRED


@dataclass(frozen=True, slots=True)
class Init:
    """A named parameter initialiser: calls of `torch.nn.init` functions on the module's parameters."""

    name: str  # also the helper function's name in generated source: `kaiming_init(nn.Conv2d(...))`
    doc: str
    calls: tuple[tuple[str, str, tuple[tuple[str, Any], ...]], ...]  # (torch.nn.init function, parameter, kwargs)


@dataclass(frozen=True, slots=True)
class Construct:
    """A layer that is an `nn.<cls>` module: `nn.Conv2d(3, 64, 7, stride=2, ...)`, then an optional init."""

    cls: str
    args: tuple[Arg, ...] = ()  # positional
    kwargs: tuple[Arg, ...] = ()
    init: Init | None = None
    custom: bool = False  # a class of custom.py (torch.nn has none like it), written into generated source

    def live_args(self) -> list[Any]:
        return [a.value for a in self.args]

    def live_kwargs(self) -> dict[str, Any]:
        return {a.name: a.value for a in self.kwargs}


@dataclass(frozen=True, slots=True)
class Function:
    """A structural op: `name` in functional.py for the live module, `template` for generated source.

    The template's `{0}`, `{1}`, ... are the inputs and `{param}` the keyword parameters, rendered as code.
    """

    name: str
    template: str
    params: tuple[tuple[str, Any], ...] = ()
    imports: tuple[str, ...] = ()  # names the template needs: "torch", "F"


@dataclass(frozen=True, slots=True)
class Site:
    """What an emitter needs to know about one node."""

    attrs: Any
    shapes: tuple[Shape, ...]
    shape: Shape
    inplace_ok: bool = False  # the input has no other user, so an in-place activation cannot corrupt it


@dataclass(frozen=True, slots=True)
class Parameter:
    """A learned tensor that is itself the member (ConvNeXt's `layer_scale`), filled with `value`; the forward
    multiplies its input by it."""

    shape: tuple[int, ...]
    value: float


Emission = Construct | Function | Parameter

KAIMING = Init(
    "kaiming_init",
    "He init for ReLU networks (fan_out, as torchvision's ResNet); zero bias.",
    (("kaiming_normal_", "weight", (("mode", "fan_out"), ("nonlinearity", "relu"))), ("zeros_", "bias", ())),
)
XAVIER = Init(
    "xavier_init",
    "Glorot uniform init of the weight; zero bias.",
    (("xavier_uniform_", "weight", ()), ("zeros_", "bias", ())),
)
ZEROS = Init(
    "zeros_init", "All weights and the bias start at zero.", (("zeros_", "weight", ()), ("zeros_", "bias", ()))
)
ZERO_GAMMA = Init(
    "zero_gamma_init",
    "The batchnorm scale starts at 0: a residual branch starts as the identity.",
    (("zeros_", "weight", ()),),
)
INITS = {"default": None, "kaiming": KAIMING, "xavier": XAVIER, "zeros": ZEROS}


def emitter(op: str):
    """The emitter of an op kind: the function of this module named after it."""
    if op not in OPS or op == "input" or op not in globals():
        raise KeyError(f"the torch backend has no emitter for op `{op}`")
    return globals()[op]


@functools.lru_cache(maxsize=4096)
def emit(op: str, site: Site) -> Emission:
    """How a node becomes torch. Cached: the layers of repeated blocks are emitted once (emissions are frozen)."""
    return emitter(op)(site)


def _side(pair: tuple[int, int]) -> int | tuple[int, int]:
    """(3, 3) -> 3, as a person writes it; (1, 3) stays a pair."""
    return pair[0] if pair[0] == pair[1] else pair


def _stride(a) -> Arg:
    """Pooling's stride; None (torch's default) means the kernel size, and is left out of generated source."""
    return Arg("stride", None if a.stride is None else _side(a.stride), None)


def _image(site: Site) -> bool:
    return len(site.shapes[0]) == 3


# ---- layers with weights ----------------------------------------------------------------------------


def conv(site: Site) -> Construct:
    a = site.attrs
    padding = a.padding if isinstance(a.padding, str) else _side(a.padding)
    kwargs = (
        Arg("stride", _side(a.stride), 1),
        Arg("padding", padding, 0),
        Arg("dilation", _side(a.dilation), 1),
        Arg("groups", a.groups, 1),
        Arg("bias", a.bias, True),
    )
    args = (Arg("in_channels", site.shapes[0][0]), Arg("out_channels", a.out), Arg("kernel_size", _side(a.kernel)))
    return Construct("Conv2d", args, kwargs, INITS[a.init])


def convtranspose(site: Site) -> Construct:
    a = site.attrs
    kwargs = (
        Arg("stride", _side(a.stride), 1),
        Arg("padding", _side(a.padding), 0),
        Arg("output_padding", _side(a.output_padding), 0),
        Arg("groups", a.groups, 1),
        Arg("bias", a.bias, True),
        Arg("dilation", _side(a.dilation), 1),
    )
    args = (Arg("in_channels", site.shapes[0][0]), Arg("out_channels", a.out), Arg("kernel_size", _side(a.kernel)))
    return Construct("ConvTranspose2d", args, kwargs, INITS[a.init])


def linear(site: Site) -> Construct:
    a = site.attrs
    args = (Arg("in_features", site.shapes[0][-1]), Arg("out_features", a.out))
    return Construct("Linear", args, (Arg("bias", a.bias, True),), INITS[a.init])


def batchnorm(site: Site) -> Construct:
    a = site.attrs
    kwargs = (Arg("eps", a.eps, 1e-5), Arg("momentum", a.momentum, 0.1), Arg("affine", a.affine, True))
    cls = "BatchNorm2d" if _image(site) else "BatchNorm1d"
    return Construct(cls, (Arg("num_features", site.shapes[0][0]),), kwargs, ZERO_GAMMA if a.zero_init else None)


def layernorm(site: Site) -> Construct:
    a = site.attrs
    kwargs = (Arg("eps", a.eps, 1e-5), Arg("elementwise_affine", a.affine, True))
    return Construct("LayerNorm", (Arg("normalized_shape", site.shapes[0][-1]),), kwargs)


def layernorm2d(site: Site) -> Construct:
    a = site.attrs
    kwargs = (Arg("eps", a.eps, 1e-5), Arg("elementwise_affine", a.affine, True))
    return Construct("LayerNorm2d", (Arg("normalized_shape", site.shapes[0][0]),), kwargs, custom=True)


def groupnorm(site: Site) -> Construct:
    a = site.attrs
    args = (Arg("num_groups", a.groups), Arg("num_channels", site.shapes[0][0]))
    return Construct("GroupNorm", args, (Arg("eps", a.eps, 1e-5), Arg("affine", a.affine, True)))


def instancenorm(site: Site) -> Construct:
    a = site.attrs
    kwargs = (
        Arg("eps", a.eps, 1e-5),
        Arg("momentum", a.momentum, 0.1),
        Arg("affine", a.affine, False),
        Arg("track_running_stats", a.track_running_stats, False),
    )
    return Construct("InstanceNorm2d", (Arg("num_features", site.shapes[0][0]),), kwargs)


def layerscale(site: Site) -> Parameter:
    shape = site.shapes[0]
    return Parameter((shape[0],) + (1,) * (len(shape) - 1), site.attrs.init)


# ---- windows ----------------------------------------------------------------------------------------


def maxpool(site: Site) -> Construct:
    a = site.attrs
    kwargs = (
        _stride(a),
        Arg("padding", _side(a.padding), 0),
        Arg("dilation", _side(a.dilation), 1),
        Arg("ceil_mode", a.ceil_mode, False),
    )
    return Construct("MaxPool2d", (Arg("kernel_size", _side(a.kernel)),), kwargs)


def avgpool(site: Site) -> Construct:
    a = site.attrs
    kwargs = (
        _stride(a),
        Arg("padding", _side(a.padding), 0),
        Arg("ceil_mode", a.ceil_mode, False),
        Arg("count_include_pad", a.count_include_pad, True),
    )
    return Construct("AvgPool2d", (Arg("kernel_size", _side(a.kernel)),), kwargs)


def adaptive_avgpool(site: Site) -> Construct:
    return Construct("AdaptiveAvgPool2d", (Arg("output_size", _side(site.attrs.output)),))


def adaptive_maxpool(site: Site) -> Construct:
    return Construct("AdaptiveMaxPool2d", (Arg("output_size", _side(site.attrs.output)),))


def global_avgpool(site: Site) -> Construct:
    return Construct("AdaptiveAvgPool2d", (Arg("output_size", 1),))


def global_maxpool(site: Site) -> Construct:
    return Construct("AdaptiveMaxPool2d", (Arg("output_size", 1),))


def _scale(scale) -> float | tuple[float, float] | None:
    return None if scale is None else _side(scale)


def upsample(site: Site) -> Construct:
    a = site.attrs
    size = None if a.size is None else _side(a.size)
    kwargs = (
        Arg("size", size, None),
        Arg("scale_factor", _scale(a.scale), None),
        Arg("mode", a.mode, "nearest"),
        Arg("align_corners", a.align_corners, None),
    )
    return Construct("Upsample", (), kwargs)


def zeropad(site: Site) -> Construct:
    p = site.attrs.padding
    return Construct("ZeroPad2d", (Arg("padding", p[0] if len(set(p)) == 1 else p),))


def flatten(site: Site) -> Construct:
    return Construct("Flatten")


def lrn(site: Site) -> Construct:
    a = site.attrs
    kwargs = (Arg("alpha", a.alpha, 1e-4), Arg("beta", a.beta, 0.75), Arg("k", a.k, 1.0))
    return Construct("LocalResponseNorm", (Arg("size", a.size),), kwargs)


def dropout(site: Site) -> Construct:
    return Construct("Dropout", (), (Arg("p", site.attrs.p, 0.5),))


def dropout2d(site: Site) -> Construct:
    return Construct("Dropout2d", (), (Arg("p", site.attrs.p, 0.5),))


def stochastic_depth(site: Site) -> Construct:
    return Construct("StochasticDepth", (Arg("p", site.attrs.p), Arg("mode", site.attrs.mode)), custom=True)


def permute(site: Site) -> Construct:
    return Construct("Permute", (Arg("dims", (0, *(d + 1 for d in site.attrs.dims))),), custom=True)


# ---- activations ------------------------------------------------------------------------------------


def _inplace(site: Site) -> tuple[Arg, ...]:
    # In place only where nothing else reads the input: the spec describes pure functions.
    return (Arg("inplace", site.attrs.inplace and site.inplace_ok, False),)


def relu(site: Site) -> Construct:
    return Construct("ReLU", (), _inplace(site))


def relu6(site: Site) -> Construct:
    return Construct("ReLU6", (), _inplace(site))


def elu(site: Site) -> Construct:
    return Construct("ELU", (), _inplace(site))


def silu(site: Site) -> Construct:
    return Construct("SiLU", (), _inplace(site))


def hardswish(site: Site) -> Construct:
    return Construct("Hardswish", (), _inplace(site))


def hardsigmoid(site: Site) -> Construct:
    return Construct("Hardsigmoid", (), _inplace(site))


def leaky_relu(site: Site) -> Construct:
    return Construct("LeakyReLU", (), (Arg("negative_slope", site.attrs.slope, 0.01), *_inplace(site)))


def sigmoid(site: Site) -> Construct:
    return Construct("Sigmoid")


def tanh(site: Site) -> Construct:
    return Construct("Tanh")


def gelu(site: Site) -> Construct:
    return Construct("GELU")


def softmax(site: Site) -> Construct:
    return Construct("Softmax", (), (Arg("dim", 1, None),))


def identity(site: Site) -> Construct:
    return Construct("Identity")


# ---- structural ops: functions of their inputs, no module -------------------------------------------


def add(site: Site) -> Function:
    return Function("add", " + ".join(f"{{{i}}}" for i in range(len(site.shapes))))


def mul(site: Site) -> Function:
    return Function("mul", " * ".join(f"{{{i}}}" for i in range(len(site.shapes))))


def chunk(site: Site) -> Function:
    a = site.attrs
    return Function("chunk", "{0}.chunk({chunks}, dim=1)[{index}]", (("chunks", a.chunks), ("index", a.index)))


def channel_shuffle(site: Site) -> Function:
    return Function(
        "channel_shuffle",
        "{0}.unflatten(1, ({groups}, -1)).transpose(1, 2).flatten(1, 2)",
        (("groups", site.attrs.groups),),
    )


def interpolate(site: Site) -> Function:
    """F.interpolate with only the keywords given: `F.interpolate(x, scale_factor=2, mode='bilinear')`, or
    `F.interpolate(x, size=ref.shape[-2:], ...)` for `like=@ref`."""
    a = site.attrs
    given = (
        ("size", None if a.size is None else _side(a.size)),
        ("scale_factor", _scale(a.scale)),
        ("mode", a.mode),
        ("align_corners", a.align_corners),
    )
    params = tuple((k, v) for k, v in given if v is not None)
    keywords = "".join(f", {k}={{{k}}}" for k, _ in params)
    if a.like is not None:  # the size of another input, read at run time: the model works at any input size
        keywords = f", size={{{int(a.like)}}}.shape[-2:]" + keywords
    return Function("interpolate", f"F.interpolate({{0}}{keywords})", params, imports=("F",))


def concat(site: Site) -> Function:
    inputs = ", ".join(f"{{{i}}}" for i in range(len(site.shapes)))
    return Function("concat", f"torch.cat([{inputs}], dim=1)", imports=("torch",))


def pad(site: Site) -> Function:
    a = site.attrs
    return Function(
        "pad_channels",
        "F.pad({0}[:, :, ::{stride}, ::{stride}], (0, 0, 0, 0, {front}, {back}))",
        (("stride", a.stride), ("front", a.front), ("back", a.back)),
        imports=("F",),
    )


__all__ = ["Arg", "Construct", "Emission", "Function", "Init", "Parameter", "Site", "emit", "emitter"]
