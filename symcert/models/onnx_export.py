"""An ONNX model written back with new exact parameters (an aligned network), its structure kept.

The imported graph's parameters are the initializers after exact changes (a Gemm's ``transB`` and
``alpha``, a broadcast bias times ``beta``). Rather than invert each change by hand, the reader itself
is asked: the file is read twice more, once with every float initializer entry replaced by a distinct
label ``1, 2, ...`` and once with every entry ``1`` (both in float64, exact). Each parameter entry is
then ``c * label``, which names the initializer entry it comes from and its factor ``c``. The new value
of that entry is ``value / c``, which must be exact in the initializer's type (float32: the aligned
weights of float32 inputs are float32 again) and agree wherever one entry feeds several parameters.
The model built is read back and its parameters compared with the ones given, exactly.

>>> import onnx
>>> from fractions import Fraction
>>> from onnx import TensorProto, helper, numpy_helper
>>> w = numpy_helper.from_array(np.array([[0.5, -0.25]], dtype=np.float32), "W")
>>> graph = helper.make_graph(
...     [helper.make_node("Gemm", ["x", "W"], ["y"], name="fc", transB=0, alpha=2.0)], "g",
...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1])],
...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])], [w])
>>> data = helper.make_model(graph).SerializeToString()
>>> new = onnx_with_parameters(data, {"fc.weight": np.array([[Fraction(3)], [Fraction(1, 2)]])})
>>> numpy_helper.to_array(onnx.load_from_string(new).graph.initializer[0]).tolist()
[[1.5, 0.25]]
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.models.onnx_import import load_onnx
from symcert.models.onnx_import.reading import _onnx

__all__ = ["onnx_with_parameters"]

_FLOATS = ("float16", "float32", "float64")


def _read(source: str | Path | bytes) -> tuple[Any, bytes]:
    onnx = _onnx()
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    return onnx.load_from_string(data), data


def _probe(model: Any, names: list[str], fill: Any) -> dict[str, np.ndarray]:
    """The imported parameters of ``model`` with the float initializers ``names`` replaced by ``fill``."""
    onnx = _onnx()
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    start = 1
    for init in probe.graph.initializer:
        if init.name in names:
            shape = tuple(init.dims)
            count = int(np.prod(shape, dtype=np.int64))
            values = fill(start, count).reshape(shape)
            start += count
            init.CopyFrom(onnx.numpy_helper.from_array(values, init.name))
    return load_onnx(probe.SerializeToString()).params


def onnx_with_parameters(source: str | Path | bytes, params: Mapping[str, np.ndarray]) -> bytes:
    """The ONNX model ``source`` (a path or its bytes) with its parameters replaced by ``params``.

    ``params`` are exact (``Fraction`` arrays, by the imported names ``node.local``), every parameter of
    the imported graph. Raises a one-line :class:`~symcert.errors.SpecificationError` when a value is not
    exact in its initializer's type or one initializer entry would need two values.
    """
    onnx = _onnx()
    model, data = _read(source)
    imported = load_onnx(data)
    exact = imported.graph.check_parameters(params)
    arrays = {init.name: onnx.numpy_helper.to_array(init) for init in model.graph.initializer}
    names = [name for name, value in arrays.items() if value.dtype.name in _FLOATS]
    labels = _probe(model, names, lambda start, count: np.arange(start, start + count, dtype=np.float64))
    ones = _probe(model, names, lambda start, count: np.ones(count, dtype=np.float64))
    where: dict[int, tuple[str, int]] = {}
    start = 1
    for name in names:
        for i in range(arrays[name].size):
            where[start + i] = (name, i)
        start += arrays[name].size
    new = {name: arrays[name].copy().reshape(-1) for name in names}
    set_by: dict[tuple[str, int], tuple[Fraction, str]] = {}
    for param, values in exact.items():
        for label, factor, value in zip(
            labels[param].ravel(), ones[param].ravel(), values.ravel(), strict=True
        ):
            if factor == 0 or (label / factor).denominator != 1 or int(label / factor) not in where:
                raise SpecificationError(f"cannot write {param} back: it is not a copy of one initializer")
            name, i = where[int(label / factor)]
            target = value / factor
            kind = new[name].dtype.type
            if Fraction(float(kind(target.numerator / target.denominator))) != target:
                raise SpecificationError(
                    f"{param}: the value {target} is not exact as {new[name].dtype} in initializer {name!r}"
                )
            earlier = set_by.get((name, i))
            if earlier is not None and earlier[0] != target:
                raise SpecificationError(
                    f"initializer {name!r} feeds {earlier[1]} and {param}, which need different values"
                )
            set_by[(name, i)] = (target, param)
            new[name][i] = kind(target.numerator / target.denominator)
    out = onnx.ModelProto()
    out.CopyFrom(model)
    for init in out.graph.initializer:
        if init.name in new:
            init.CopyFrom(
                onnx.numpy_helper.from_array(new[init.name].reshape(arrays[init.name].shape), init.name)
            )
    written = out.SerializeToString()
    back = load_onnx(written).params
    if any(not np.array_equal(back[k], exact[k]) for k in exact):
        raise RuntimeError(
            "internal error: the written ONNX model does not read back as the parameters given"
        )
    return written
