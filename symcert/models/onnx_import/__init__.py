"""ONNX models read as symcert layer graphs, with their initializers loaded exactly.

:mod:`~symcert.models.onnx_import.reading` reads the file (protobuf, initializers, names);
:mod:`~symcert.models.onnx_import.ops` maps each op to a layer; :mod:`~.folding` evaluates shape
arithmetic, :mod:`~.neighbours` reads Dropout and Pad, and :mod:`~.affine` folds scales and shifts by
constants into the linear layer next to them.

The file is parsed by the ``onnx`` package (a protobuf reader): nothing is executed and nothing is
unpickled. Every initializer converts exactly (a float32 is a dyadic rational, kept as a
``Fraction``), and each node maps to a layer of :mod:`symcert.symbolic.graph`:

=====================  ===================================================================
ONNX op                layer
=====================  ===================================================================
Gemm                   Dense (``alpha``, ``beta``, ``transB`` folded in exactly; ``transA=0``)
MatMul (+ Add)         Dense (a constant right operand; an Add of a constant after it is its bias)
Add                    Add (two computed tensors of one shape)
Conv                   Conv (1-D or 2-D, ``group=1``, explicit pads)
Relu, LeakyRelu,       Activation (relu, leaky_relu:alpha, tanh, sigmoid, softplus)
Tanh, Sigmoid,
Softplus
Softmax                Softmax (not over the batch axis)
Flatten                Flatten (``axis=1``)
Reshape                Reshape (a constant shape; the batch axis kept)
Transpose              Transpose (the batch axis kept in place)
AveragePool, MaxPool   AveragePool, MaxPool (``ceil_mode=0``, no dilation for MaxPool)
GlobalAveragePool      GlobalAveragePool
BatchNormalization     BatchNorm (inference form)
LayerNormalization     LayerNorm
Identity               (the tensor itself; of a constant, the constant)
Dropout                (the identity: inference mode; a true ``training_mode`` is refused)
Pad                    the padding of the Conv or AveragePool right after it (zeros, spatial)
Mul, Div, Sub, Add     folded exactly into the neighbouring Conv, Gemm or MatMul: a constant
by a constant          scale or shift per channel (``(x - mean) / std`` before the first layer)
Constant, Shape,       evaluated at import (:mod:`~symcert.models.onnx_import.folding`): int64
Gather, Unsqueeze,     shape arithmetic, e.g. PyTorch's ``x.view(x.size(0), -1)``, giving a
Squeeze, Concat,       Reshape its target shape
Slice, Cast
=====================  ===================================================================

Any other op, or an attribute outside these forms, is refused in one line that names it and its node.
The PyTorch exporter writes such files with ``torch.onnx.export(model, example, "model.onnx")``.
"""

from symcert.models.onnx_import.ops import SUPPORTED_OPS
from symcert.models.onnx_import.reading import OnnxModel, load_onnx

__all__ = ["OnnxModel", "load_onnx", "SUPPORTED_OPS"]
