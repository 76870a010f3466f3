r"""Layers that act entry by entry or per channel: activations, softmax, batch norm and layer norm.

- :class:`Activation` wraps an activation of :mod:`symcert.symbolic.activations` and reads its facts
  from there (never by name): odd transmits a sign flip, even absorbs it, the sigmoid's complement
  ``s(-u) = 1 - s(u)`` passes it on as ``1 - s`` for a later bias to absorb; positive homogeneity of
  degree ``k`` transmits a rescaling ``c`` as ``c^k``.
- :class:`Softmax` over one axis: it permutes with that axis, and commutes with no flip or rescaling.
- :class:`BatchNorm` in inference form: ``y = gamma (x - mean) / sqrt(var + eps) + beta`` per channel,
  an exact affine map of the stored statistics. It permutes its four parameters with the channels,
  absorbs a flip or rescaling ``v`` of its input (``mean`` times ``v``, ``gamma`` over ``v``: Kunin's
  scale symmetry of the weights before it) and emits one (``gamma``, ``beta`` times ``v``).
- :class:`LayerNorm` over the trailing axes from ``axis``: a permutation of a normalised axis is a
  symmetry only with ``gamma`` and ``beta`` permuted alike (they are tied); a per-channel flip or
  rescaling of its input changes the mean and variance (blocked), one of its output is emitted by
  ``gamma`` and ``beta``.

>>> from fractions import Fraction
>>> tanh, relu = Activation("tanh"), Activation("relu")
>>> sorted(tanh.sign), sorted(relu.sign), sorted(relu.scale)
(['transmit'], [], ['transmit'])
>>> BatchNorm(Fraction(1, 100000)).parameter_shapes([(4, 3, 3)])["var"]
(4,)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.symbolic.activations import Activation as Facts
from symcert.symbolic.activations import activation as _activation
from symcert.symbolic.graph.base import Layer, Shape, Tie

__all__ = ["Activation", "Softmax", "BatchNorm", "LayerNorm"]


def _epsilon(value: Any, layer: str) -> Fraction:
    try:
        eps = Fraction(value)  # a float converts exactly (its binary value)
    except (TypeError, ValueError):
        raise SpecificationError(f"{layer}: epsilon must be a number >= 0, got {value!r}") from None
    if eps < 0:
        raise SpecificationError(f"{layer}: epsilon must be >= 0, got {value!r}")
    return eps


@dataclass(frozen=True)
class Activation(Layer):
    """An elementwise activation, by name (``"relu"``, ``"leaky_relu:1/10"``, ...); facts from its entry."""

    name: str
    function: Facts = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        function = _activation(self.name)
        object.__setattr__(self, "function", function)
        object.__setattr__(self, "name", function.label)

    @property
    def sign(self) -> frozenset[str]:  # type: ignore[override]
        f = self.function
        return frozenset(
            {"transmit"} if f.odd else {"absorb"} if f.even else {"complement"} if f.complement else set()
        )

    @property
    def scale(self) -> frozenset[str]:  # type: ignore[override]
        return frozenset({"transmit"}) if self.function.homogeneity is not None else frozenset()

    @property
    def degree(self) -> int:  # type: ignore[override]
        return self.function.homogeneity or 1

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0]

    def ties(self, inputs: list[Shape]) -> list[Tie]:
        return [Tie(("in", 0, a), ("out", a)) for a in range(len(inputs[0]))]

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        return ar.activation(self.function, inputs[0])

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class Softmax(Layer):
    """``exp(x_i) / sum_j exp(x_j)`` along ``axis`` (per-example axes, from 0; -1 is the last)."""

    axis: int = -1

    def _axis(self, shape: Shape) -> int:
        if not -len(shape) <= self.axis < len(shape):
            raise SpecificationError(f"Softmax: axis {self.axis} is out of range for shape {shape}")
        return self.axis % len(shape)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._axis(inputs[0])
        return inputs[0]

    def ties(self, inputs: list[Shape]) -> list[Tie]:
        return [Tie(("in", 0, a), ("out", a)) for a in range(len(inputs[0]))]

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        x = inputs[0]
        axis = self._axis(x.shape[1:]) + 1
        shifted = ar.exp(x - x.max(axis=axis, keepdims=True))
        return shifted / shifted.sum(axis=axis, keepdims=True)

    def describe(self) -> str:
        return f"Softmax(axis={self.axis})"


_BOTH = frozenset({"absorb", "emit"})


@dataclass(frozen=True)
class BatchNorm(Layer):
    """Batch normalisation in inference form over axis 0 of ``(C, *spatial)`` (or of ``(C,)``)."""

    epsilon: Fraction | float = Fraction(1, 100000)

    sign = _BOTH
    scale = _BOTH

    def __post_init__(self) -> None:
        object.__setattr__(self, "epsilon", _epsilon(self.epsilon, "BatchNorm"))

    def carries(self, kind: str, axes: dict) -> frozenset[str]:
        return _BOTH if all(axis == 0 for axis, _ in axes.values()) else frozenset()

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0]

    def parameter_shapes(self, inputs: list[Shape]) -> dict[str, Shape]:
        c = (inputs[0][0],)
        return {"scale": c, "bias": c, "mean": c, "var": c}

    def ties(self, inputs: list[Shape]) -> list[Tie]:
        found = [Tie(("in", 0, a), ("out", a)) for a in range(len(inputs[0]))]
        return found + [Tie(("out", 0), ("param", p, 0)) for p in ("scale", "bias", "mean", "var")]

    def act(self, params: dict[str, Any], ins: list[Any], out: Any, out_axis: int | None) -> dict[str, Any]:
        new = dict(params)
        if ins[0] is not None:
            new["mean"], new["scale"] = new["mean"] * ins[0], new["scale"] / ins[0]
        if out is not None:
            new["scale"], new["bias"] = new["scale"] * out, new["bias"] * out
        return new

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        x = inputs[0]
        tail = (1,) * (x.ndim - 2)
        p = {k: ar.param(v).reshape((-1, *tail)) for k, v in params.items()}
        factor = p["scale"] / ar.sqrt(p["var"] + ar.constant(self.epsilon))
        return (x - p["mean"]) * factor + p["bias"]

    def describe(self) -> str:
        return f"BatchNorm(epsilon={float(self.epsilon):g})"  # the exact value is self.epsilon


@dataclass(frozen=True)
class LayerNorm(Layer):
    """Layer normalisation over the per-example axes ``axis, axis + 1, ...``, with ``scale`` and ``bias``."""

    axis: int = -1
    epsilon: Fraction | float = Fraction(1, 100000)
    bias: bool = True

    sign = frozenset({"emit"})
    scale = frozenset({"emit"})

    def __post_init__(self) -> None:
        object.__setattr__(self, "epsilon", _epsilon(self.epsilon, "LayerNorm"))

    def _axis(self, shape: Shape) -> int:
        if not -len(shape) <= self.axis < len(shape):
            raise SpecificationError(
                f"LayerNorm: axis {self.axis} is out of range for shape {shape} (per-example axes, "
                "batch axis excluded)"
            )
        return self.axis % len(shape)

    def carries(self, kind: str, axes: dict) -> frozenset[str]:
        # emitted by gamma and beta on a normalised axis; nothing absorbs or transmits one of its input
        axis, ndim = axes[("out",)]
        return self.sign if axis >= self._start(ndim) else frozenset()

    def _start(self, ndim: int) -> int:
        return self.axis % ndim

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self._axis(inputs[0])
        return inputs[0]

    def parameter_shapes(self, inputs: list[Shape]) -> dict[str, Shape]:
        normalised = inputs[0][self._axis(inputs[0]) :]
        return {"scale": normalised, "bias": normalised} if self.bias else {"scale": normalised}

    def ties(self, inputs: list[Shape]) -> list[Tie]:
        start = self._axis(inputs[0])
        found = [Tie(("in", 0, a), ("out", a)) for a in range(len(inputs[0]))]
        for name in self.parameter_shapes(inputs):
            found += [Tie(("out", a), ("param", name, a - start)) for a in range(start, len(inputs[0]))]
        return found

    def act(self, params: dict[str, Any], ins: list[Any], out: Any, out_axis: int | None) -> dict[str, Any]:
        new = dict(params)
        ndim = new["scale"].ndim  # the parameters hold the normalised (trailing) axes only
        shape = [1] * ndim
        shape[ndim + out_axis] = -1
        for name in new:
            new[name] = new[name] * out.reshape(shape)
        return new

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        x = inputs[0]
        start = self._axis(x.shape[1:]) + 1
        axes = tuple(range(start, x.ndim))
        count = ar.integers(np.array(math.prod(x.shape[start:])))
        mean = x.sum(axis=axes, keepdims=True) / count
        centred = x - mean
        var = (centred * centred).sum(axis=axes, keepdims=True) / count
        y = centred / ar.sqrt(var + ar.constant(self.epsilon)) * ar.param(params["scale"])
        return y + ar.param(params["bias"]) if self.bias else y

    def describe(self) -> str:
        return f"LayerNorm(axis={self.axis}, epsilon={float(self.epsilon):g})"
