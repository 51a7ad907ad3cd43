"""Normalisation and regularisation: batchnorm, lrn, dropout."""

from netspec.ops.base import Attrs, Bool, Op, Positive, PositiveNumber, Probability, fmt_shape, Number, require_image


class BatchNormAttrs(Attrs):
    eps: PositiveNumber = 1e-5
    momentum: Probability = 0.1
    affine: Bool = True
    zero_init: Bool = False  # start gamma at 0: the last BN of a residual branch, as ResNet recipes do


class BatchNorm(Op):
    name = "batchnorm"
    Attrs = BatchNormAttrs
    summary = "batch normalisation over channels (2-D on images, 1-D on vectors)"

    def params(self, a: BatchNormAttrs, shapes, out):
        return 2 * shapes[0][0] if a.affine else 0

    def buffers(self, a, shapes, out):
        return 2 * shapes[0][0] + 1  # running mean, running var, num_batches_tracked

    def explain(self, a: BatchNormAttrs, shapes, out):
        c = shapes[0][0]
        return [f"input {fmt_shape(shapes[0])}: one scale and one shift per channel",
                f"params = 2*C = 2*{c} = {self.params(a, shapes, out):,}" if a.affine else "params = 0 (affine=false)",
                f"buffers (not trained) = running mean + running var + batch count = 2*{c} + 1 = {2 * c + 1:,}"]

    def describe(self, a) -> str:
        return "batchnorm"


class LRNAttrs(Attrs):
    size: Positive = 5
    alpha: Number = 1e-4
    beta: Number = 0.75
    k: Number = 1.0


class LRN(Op):
    name = "lrn"
    Attrs = LRNAttrs
    ranks = (3,)
    summary = "local response normalisation across channels (AlexNet): lrn(size=5, alpha=1e-4, beta=0.75, k=1)"

    def infer(self, a, shapes):
        require_image("lrn", shapes[0])
        return shapes[0]

    def describe(self, a: LRNAttrs) -> str:
        return f"lrn {a.size}"


class DropoutAttrs(Attrs):
    p: Probability = 0.5


class Dropout(Op):
    name = "dropout"
    Attrs = DropoutAttrs
    summary = "dropout(p=0.5): zeroes activations while training"

    def describe(self, a: DropoutAttrs) -> str:
        return f"dropout {a.p:g}"
