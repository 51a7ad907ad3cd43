"""Activations: elementwise, no parameters, shape unchanged (softmax normalises over channels)."""

from netspec.ops.base import Attrs, Bool, NoAttrs, Number, Op


class InplaceAttrs(Attrs):
    inplace: Bool = False


class LeakyAttrs(Attrs):
    slope: Number = 0.01
    inplace: Bool = False


class Activation(Op):
    keeps_grid = True
    layout = "any"

    def describe(self, a) -> str:
        return self.name


def _activation(name: str, attrs=NoAttrs, text: str = "") -> type[Op]:
    return type(name.title().replace("_", ""), (Activation,), {"name": name, "Attrs": attrs, "summary": text})


ReLU = _activation("relu", InplaceAttrs, "max(0, x)")
LeakyReLU = _activation("leaky_relu", LeakyAttrs, "x if x > 0 else slope*x: leaky_relu(slope=0.01)")
ReLU6 = _activation("relu6", InplaceAttrs, "min(max(0, x), 6)")
ELU = _activation("elu", InplaceAttrs, "exponential linear unit")
Sigmoid = _activation("sigmoid", text="1 / (1 + exp(-x))")
Tanh = _activation("tanh", text="hyperbolic tangent")
GELU = _activation("gelu", text="Gaussian error linear unit")
SiLU = _activation("silu", InplaceAttrs, "x * sigmoid(x) (swish)")
Hardswish = _activation("hardswish", InplaceAttrs, "x * relu6(x + 3) / 6 (MobileNetV3)")
Hardsigmoid = _activation("hardsigmoid", InplaceAttrs, "relu6(x + 3) / 6 (MobileNetV3's gates)")
Softmax = _activation("softmax", text="normalises over channels to probabilities")
Softmax.layout = "channels"
Identity = _activation("identity", text="passes its input through (a path that does nothing)")
