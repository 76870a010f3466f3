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
from symcert.symbolic.graph.moves import Blocked, Diag, Local, Perm, Step, diag_text

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

    def commute(self, local: Local) -> Step | Blocked:
        x, y, what = local.ins[0], local.out, f"{local.node} ({self.name})"
        if x.shift or y.shift:
            return Blocked(
                f"{what} does not carry a constant added to its input ({self.name}(z + c) is not "
                f"{self.name}(z) + c)"
            )
        diagonal = [(a, d) for a, d in x.axes + y.axes if isinstance(d, Diag)]
        if not diagonal:
            if x != y:
                return Blocked(f"{what} acts entry by entry, so g must move its input and output alike")
            return Step(
                "entry by entry", f"{self.name} acts entry by entry: {self.name}(x)[p] = {self.name}(x[p])"
            )
        axis, d = diagonal[0][0], x.on(diagonal[0][0])
        if not isinstance(d, Diag):
            return Blocked(f"{what} has no parameters to make a sign flip or rescaling of its output")
        if y.without(axis) != x.without(axis):
            return Blocked(
                f"{what} acts entry by entry, so g must act alike on its input and output off axis {axis}"
            )
        expected, facts = [], set()
        for j, (f, c) in enumerate(zip(d.factor, d.complement, strict=True)):
            got = self._image(f, c)
            if isinstance(got, str):
                return Blocked(f"{what}, channel {j}: {got}")
            expected.append(got[:2])
            facts.add(got[2])
        image = Diag(tuple(e[0] for e in expected), tuple(e[1] for e in expected))
        out = y.on(axis)
        if (image if not image.is_identity else None) != out:
            return Blocked(
                f"{what}: its facts send the input's multipliers {diag_text(d)} to {diag_text(image)} on the "
                f"output, and g puts {diag_text(out) if isinstance(out, Diag) else 'none'} there"
            )
        facts.discard("")
        return Step("activation facts", f"{self.name} entry by entry, with " + "; ".join(sorted(facts)))

    def _image(self, f: Fraction, complement: bool) -> tuple[Fraction, bool, str] | str:
        """What ``s`` makes of ``f u`` (or ``1 - u``): ``s(f u) = g s(u)`` (complement: ``1 - s(u)``)."""
        fn, name = self.function, self.name
        if complement:
            return f"the sigmoid's 1 - s reaches {name}, and no fact carries 1 - u through it"
        if f == 1:
            return (Fraction(1), False, "")
        sign, fact = Fraction(1), ""
        if f < 0:
            if fn.odd:
                sign, fact = Fraction(-1), f"odd: {name}(-u) = -{name}(u)"
            elif fn.even:
                fact = f"even: {name}(-u) = {name}(u)"
            elif fn.complement and f == -1:
                return (Fraction(-1), True, f"complement: {name}(-u) = 1 - {name}(u)")
            else:
                return f"{name}(-u) is neither -{name}(u) nor {name}(u) nor 1 - {name}(u): no sign fact"
        magnitude = abs(f)
        if magnitude == 1:
            return (sign, False, fact)
        k = fn.homogeneity
        if k is None:
            return f"{name} is not positively homogeneous: {name}({magnitude} u) is no multiple of {name}(u)"
        power = f"^{k}" if k != 1 else ""
        fact = "; ".join(
            filter(None, [fact, f"positively homogeneous: {name}(a u) = a{power} {name}(u), a > 0"])
        )
        return (sign * magnitude**k, False, fact)

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

    translation = "absorb"

    def commute(self, local: Local) -> Step | Blocked:
        x, y, what = local.ins[0], local.out, f"{local.node} ({self.describe()})"
        if any(isinstance(d, Diag) for _, d in x.axes + y.axes):
            return Blocked(f"{what} does not commute with a per-channel sign flip or rescaling")
        if y.shift:
            return Blocked(f"{what} cannot add a constant to its output")
        if x.axes != y.axes:
            return Blocked(f"{what} normalises slice by slice, so g must permute its input and output alike")
        text = f"softmax along axis {self.axis} is symmetric in the entries it normalises, slice by slice"
        if x.shift:
            text += f"; softmax(z + c 1) = softmax(z) (c = {x.shift}: exp(c) cancels in the quotient)"
            return Step("translation", text)
        return Step("permutation", text)

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        x = inputs[0]
        axis = self._axis(x.shape[1:]) + 1
        shifted = ar.exp(x - x.max(axis=axis, keepdims=True))
        return shifted / shifted.sum(axis=axis, keepdims=True)

    def describe(self) -> str:
        return f"Softmax(axis={self.axis})"


_BOTH = frozenset({"absorb", "emit"})


def _plus_after(params: dict[str, Any], shift: Fraction) -> dict[str, Any]:
    """``params`` with ``bias + shift`` where a constant is emitted on the output (else unchanged)."""
    return params | {"bias": params["bias"] + shift} if shift else params


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

    translation = "emit"

    def commute(self, local: Local) -> Step | Blocked:
        r"""Per channel, ``y = gamma (x - mean) / sqrt(var + eps) + beta``: the four parameters move with the
        channels; multipliers ``u`` in and ``v`` out need ``gamma v / u``, ``mean u``, ``beta v`` (var kept).

        This is an exact identity of the inference form, for any ``eps``; it changes the stored
        ``mean``, so it is a symmetry of the network's function in all four parameters, not of the
        trained weights alone (see the module text).
        """
        x, y, what = local.ins[0], local.out, f"{local.node} ({self.describe()})"
        if x.shift:
            return Blocked(
                f"{what}: a constant added to its input is not derived (it would move the stored mean)"
            )
        for a in range(1, len(local.in_shapes[0])):
            if x.on(a) != y.on(a) or isinstance(x.on(a), Diag):
                return Blocked(
                    f"{what} normalises each channel alike at every position: g may only permute axis {a}, "
                    "alike in and out"
                )
        p, q = x.on(0), y.on(0)
        if isinstance(p, Perm) or isinstance(q, Perm):
            if p != q:
                return Blocked(
                    f"{what} normalises each channel with its own statistics: g must permute its input and "
                    "output channels alike"
                )
            assert isinstance(p, Perm)  # p == q, and one of them permutes
            index = list(p.index)
            return Step(
                "per-channel parameters",
                "each channel keeps its scale, bias, mean and var: BN of x[p], them permuted, is BN(x)[p]",
                ("scale, bias, mean and var permuted as the channels",),
                lambda params: _plus_after(
                    {k: np.take(v, index, axis=0) for k, v in params.items()}, y.shift
                ),
            )
        if (p is not None and p.any_complement) or (q is not None and q.any_complement):
            return Blocked(f"{what}: the sigmoid's 1 - s through a batch norm is not derived")
        n = local.in_shapes[0][0]
        u = np.array(p.factor if p else (Fraction(1),) * n, dtype=object)
        v = np.array(q.factor if q else (Fraction(1),) * n, dtype=object)

        def act(params: dict[str, Any]) -> dict[str, Any]:
            new = dict(
                params, scale=params["scale"] * v / u, mean=params["mean"] * u, bias=params["bias"] * v
            )
            return _plus_after(new, y.shift)

        text = (
            "(v gamma / u)(u x - u mean) / sqrt(var + eps) + v beta = "
            "v (gamma (x - mean) / sqrt(var + eps) + beta)"
        )
        changes = ("scale times v / u, mean times u, bias times v (var unchanged)",)
        return Step("inference-form affine map", text, changes, act)

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

    @property
    def translation(self) -> str | None:  # type: ignore[override]
        return "emit" if self.bias else None

    def commute(self, local: Local) -> Step | Blocked:
        r"""Mean and variance are symmetric functions of the normalised entries: a permutation of a normalised
        axis commutes with ``scale`` and ``bias`` permuted alike; multipliers ``v`` on the output are emitted
        by ``scale`` and ``bias``; a constant added to the input is absorbed by the mean. A per-channel
        flip or rescaling of the input changes the mean and variance: blocked.
        """
        x, y, what = local.ins[0], local.out, f"{local.node} ({self.describe()})"
        ndim = len(local.in_shapes[0])
        start = self._axis(local.in_shapes[0])
        if y.shift and not self.bias:
            return Blocked(f"{what} has no bias to add a constant to its output")
        for a in range(ndim):
            p, q = x.on(a), y.on(a)
            if isinstance(p, Diag):
                return Blocked(
                    f"{what}: a per-channel sign flip or rescaling of its input on axis {a} changes the mean "
                    "and variance it normalises by"
                )
            if a < start and p != q:
                return Blocked(
                    f"{what} normalises each row along axis {a} alike: g must act alike on input and "
                    "output there"
                )
            if isinstance(q, Diag) and q.any_complement:
                return Blocked(f"{what} cannot turn its output y into 1 - y")
            if a >= start and (p != q if not isinstance(q, Diag) else p is not None):
                return Blocked(f"{what}: g must permute the normalised axis {a} alike on input and output")
            if a < start and isinstance(q, Diag):
                return Blocked(
                    f"{what}: a multiplier on the rows along axis {a} is not emitted by scale and bias"
                )

        def act(params: dict[str, Any]) -> dict[str, Any]:
            new = dict(params)
            for a, q in y.axes:
                for name in new:
                    if isinstance(q, Perm):
                        new[name] = np.take(new[name], list(q.index), axis=a - start)
                    else:
                        view = [1] * (ndim - start)
                        view[a - start] = -1
                        new[name] = new[name] * np.array(q.factor, dtype=object).reshape(view)
            return _plus_after(new, y.shift)

        parts = ["mean and variance over the normalised axes are symmetric in their entries"]
        if x.shift:
            parts.append(f"(x + c) - mean(x + c) = x - mean(x), c = {x.shift}")
        if any(isinstance(q, Diag) for _, q in y.axes):
            parts.append("(v scale) z + v bias = v (scale z + bias)")
        changes = tuple(
            f"scale{' and bias' if self.bias else ''} "
            f"{'permuted' if isinstance(q, Perm) else 'times v'} on axis {a - start}"
            for a, q in y.axes
        )
        return Step(
            "normalised axes", "; ".join(parts), changes + ((f"bias plus {y.shift}",) if y.shift else ()), act
        )

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
