"""The layers with weights: dense and convolution (1-D and 2-D), and the window arithmetic they share.

A dense layer maps the last axis, ``y = W x + b`` with ``W`` of shape ``(out, in)``; a convolution maps
``(C_in, *spatial)`` to ``(C_out, *spatial')`` with ``W`` of shape ``(C_out, C_in, *kernel)``, stride,
dilation and zero padding ``((begin, end), ...)`` per spatial axis (groups = 1). Both tie their output
axis to the weight's rows and the bias, and their input axis to the weight's columns; a convolution's
spatial axes and kernel axes are fixed. Both absorb a flip or rescaling of their input (columns over
the multiplier) and emit one on their output (rows and bias times it).

>>> conv = Conv(4, (3, 3), padding=((1, 1), (1, 1)))
>>> conv.output_shape([(2, 8, 8)]), conv.parameter_shapes([(2, 8, 8)])["weight"]
((4, 8, 8), (4, 2, 3, 3))
>>> Conv(4, (3, 3)).output_shape([(2, 2, 2)])
Traceback (most recent call last):
...
symcert.errors.SpecificationError: Conv: input (2, 2, 2) is too small for kernel (3, 3) with dilation \
(1, 1), stride (1, 1) and padding ((0, 0), (0, 0)); pad it or use a smaller kernel
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from symcert.errors import SpecificationError
from symcert.symbolic.graph.base import Layer, Shape, Tie, check_positive_tuple
from symcert.symbolic.graph.moves import Blocked, Diag, Local, Perm, Step

__all__ = ["Dense", "Conv", "window_shape", "windows"]

_Tuple = TypeVar("_Tuple", bound=tuple[Any, ...])

_BOTH = frozenset({"absorb", "emit"})


def _check_count(value: object, name: str, layer: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SpecificationError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return value


def normalised(value: _Tuple | int | None) -> _Tuple:
    """A field that ``__post_init__`` turned into a tuple (the constructor also takes an int)."""
    assert isinstance(value, tuple), value
    return value


def check_padding(padding: Any, dims: int, layer: str) -> tuple[tuple[int, int], ...]:
    """``padding`` as ``((begin, end), ...)`` per spatial axis (an int pads every side), or an error."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        padding = ((padding, padding),) * dims
    try:
        pads = tuple((int(b), int(e)) for b, e in padding) if padding is not None else ((0, 0),) * dims
    except (TypeError, ValueError):
        raise SpecificationError(
            f"{layer}: padding must be ((begin, end), ...) per spatial axis, got {padding!r}"
        ) from None
    if len(pads) != dims or any(b < 0 or e < 0 for b, e in pads):
        raise SpecificationError(
            f"{layer}: padding needs {dims} pairs (begin, end) of integers >= 0, got {padding!r}"
        )
    return pads


def window_shape(
    spatial: Shape, kernel: Shape, stride: Shape, pads: tuple, dilation: Shape, layer: str, shape: Shape
) -> Shape:
    """The spatial output shape of a sliding window, or a one-line error if a window does not fit."""
    out = tuple(
        (n + b + e - d * (k - 1) - 1) // s + 1
        for n, k, s, (b, e), d in zip(spatial, kernel, stride, pads, dilation, strict=True)
    )
    if any(
        n + b + e - d * (k - 1) - 1 < 0
        for n, k, (b, e), d in zip(spatial, kernel, pads, dilation, strict=True)
    ):
        raise SpecificationError(
            f"{layer}: input {shape} is too small for kernel {kernel} with dilation {dilation}, stride "
            f"{stride} and padding {pads}; pad it or use a smaller kernel"
        )
    return out


def windows(
    ar: Any, x: Any, kernel: Shape, stride: Shape, pads: tuple, dilation: Shape, out: Shape
) -> Iterator[tuple[tuple[int, ...], Any, Any]]:
    """For each kernel offset: the offset, the input entries it sees ``(N, C, *out)`` and which are real.

    Padded entries are zero in the values and False in the mask (shape ``out``).
    """
    n, c, *spatial = x.shape
    padded_shape = tuple(s + b + e for s, (b, e) in zip(spatial, pads, strict=True))
    padded = ar.zeros((n, c, *padded_shape))
    inside = tuple(slice(b, b + s) for s, (b, _) in zip(spatial, pads, strict=True))
    where = (slice(None), slice(None), *inside)  # a star in a subscript needs 3.11 (mypy's reading)
    padded[where] = x
    mask = np.zeros(padded_shape, dtype=bool)
    mask[inside] = True
    for offset in itertools.product(*(range(k) for k in kernel)):
        index = tuple(
            slice(o * d, o * d + s * (m - 1) + 1, s)
            for o, d, s, m in zip(offset, dilation, stride, out, strict=True)
        )
        window = (slice(None), slice(None), *index)
        yield offset, padded[window], mask[index]


def weighted_rule(layer: Dense | Conv, local: Local, axis: int, rows: range) -> Step | Blocked:
    r"""The equivariance rule of ``y = W x + b`` along its feature ``axis`` (shared by dense and conv).

    A permutation ``p`` of the input features and ``q`` of the output features commute with the layer
    when ``W'[i, k] = W[q_i, p_k]`` and ``b' = b[q]``: ``sum_k W[q_i, p_k] x[p_k] = sum_j W[q_i, j] x_j``,
    a finite sum reindexed. Multipliers ``u`` on the input and ``v`` on the output need
    ``W'[i, j] = v_i W[i, j] / u_j`` and ``b' = v b``; an input entry ``1 - x_j`` (the sigmoid's
    complement) needs ``W'[i, j] = -v_i W[i, j]`` and ``b'_i = v_i (b_i + sum W[i, j, ...])``, so a
    bias (and, for a conv, no zero padding). Axes in ``rows`` are mapped row by row (a dense layer's
    leading axes): g must act alike on them in and out, and a multiplier there needs no bias. A
    constant added to every output entry is emitted by the bias.
    """
    x, y, what = local.ins[0], local.out, f"{local.node} ({layer.describe()})"
    for a in range(len(local.in_shapes[0])):
        if a == axis:
            continue
        here, there = x.on(a), y.on(a)
        if a in rows:
            if here != there:
                return Blocked(
                    f"{what} maps each row along axis {a} alike, but g acts differently on its input and "
                    "output there"
                )
            if isinstance(here, Diag) and (here.any_complement or layer.bias):
                return Blocked(
                    f"{what} has a bias, which a multiplier on the rows along axis {a} does not reach"
                )
        elif here is not None or there is not None:
            return Blocked(
                f"{what} does not commute with a rearrangement or rescaling of its spatial axis {a}"
            )
    if x.shift:
        return Blocked(f"{what} does not carry a constant added to its input (W (x + c 1) is not W x + c 1)")
    if y.shift and not layer.bias:
        return Blocked(f"{what} has no bias to add a constant to its output")
    p, q = x.on(axis), y.on(axis)
    if p is None and q is None and not y.shift:
        return Step("row by row", f"{what} maps each row along its leading axes alike: g moves rows only")
    if isinstance(q, Diag) and q.any_complement:
        return Blocked(f"{what} cannot turn its output y into 1 - y")
    if isinstance(p, Perm) or isinstance(q, Perm):
        if isinstance(p, Diag) or isinstance(q, Diag):
            return Blocked(f"{what}: g permutes one side and rescales the other")
        return _permuting(layer, local, axis, p, q)
    return _scaling(layer, local, axis, p, q, what)


def _tail(layer: Dense | Conv) -> tuple:
    return (None,) * (len(layer.kernel) if isinstance(layer, Conv) else 0)


def _permuting(layer: Dense | Conv, local: Local, axis: int, p: Perm | None, q: Perm | None) -> Step:
    shift = local.out.shift

    def act(params: dict[str, Any]) -> dict[str, Any]:
        new = dict(params)
        if q is not None:
            new["weight"] = np.take(new["weight"], list(q.index), axis=0)
            if layer.bias:
                new["bias"] = np.take(new["bias"], list(q.index), axis=0)
        if p is not None:
            new["weight"] = np.take(new["weight"], list(p.index), axis=1)
        if shift:
            new["bias"] = new["bias"] + shift
        return new

    changes = []
    if q is not None:
        changes.append(
            "rows of weight" + (" and entries of bias" if layer.bias else "") + " permuted as the output"
        )
    if p is not None:
        changes.append("columns of weight permuted as the input")
    if shift:
        changes.append(f"bias plus {shift}")
    text = (
        "sum_k W[q_i, p_k] x[p_k] = sum_j W[q_i, j] x_j (a finite sum reindexed, j = p_k), "
        + ("so the output is permuted by q" if q is not None else "so the output is unchanged")
        + (" and every entry shifted by the bias change" if shift else "")
    )
    return Step("reindexing", text, tuple(changes), act)


def _scaling(
    layer: Dense | Conv, local: Local, axis: int, p: Diag | None, q: Diag | None, what: str
) -> Step | Blocked:
    if p is not None and p.any_complement and not layer.absorbs_constant:
        why = "no bias" if not layer.bias else "zero padding, which 1 - x does not reach"
        return Blocked(f"the sigmoid's 1 - s reaches {what}, which has {why} to absorb the constant")
    tail, shift = _tail(layer), local.out.shift
    u = p.multiplier() if p is not None else None
    v = np.array(q.factor, dtype=object) if q is not None else None

    def act(params: dict[str, Any]) -> dict[str, Any]:
        new, w = dict(params), params["weight"]
        if p is not None and p.any_complement:
            flipped = np.array(p.complement)
            new["bias"] = new["bias"] + w[:, flipped].reshape(w.shape[0], -1).sum(axis=1)
        column, row = (None, slice(None), *tail), (slice(None), None, *tail)  # no star in a subscript: 3.10
        if u is not None:
            new["weight"] = new["weight"] / u[column]
        if v is not None:
            new["weight"] = new["weight"] * v[row]
            if layer.bias:
                new["bias"] = new["bias"] * v
        if shift:
            new["bias"] = new["bias"] + shift
        return new

    changes = []
    if u is not None:
        changes.append("column j of weight over the input's multiplier u_j")
    if p is not None and p.any_complement:
        changes.append("the complemented columns negated and added to bias (before v)")
    if v is not None:
        changes.append("row i of weight" + (" and bias_i" if layer.bias else "") + " times the output's v_i")
    if shift:
        changes.append(f"bias plus {shift}")
    text = "(v_i W_ij / u_j)(u_j x_j) = v_i W_ij x_j, summed over j, plus v_i b_i: the output is v y"
    if p is not None and p.any_complement:
        text += "; and (-v_i W_ij)(1 - x_j) + v_i W_ij = v_i W_ij x_j for a complemented input"
    return Step("diagonal scaling", text, tuple(changes), act)


@dataclass(frozen=True)
class Dense(Layer):
    """``y = W x + b`` on the last axis (leading axes carried through), ``W`` of shape ``(out, in)``.

    >>> Dense(2, bias=False).parameter_shapes([(3,)])
    {'weight': (2, 3)}
    """

    features: int
    bias: bool = True

    sign = _BOTH
    scale = _BOTH

    def __post_init__(self) -> None:
        _check_count(self.features, "features", "Dense")
        if not isinstance(self.bias, bool):
            raise SpecificationError(f"Dense: bias must be True or False, got {self.bias!r}")

    @property
    def absorbs_constant(self) -> bool:  # type: ignore[override]
        return self.bias

    def output_shape(self, inputs: list[Shape]) -> Shape:
        (shape,) = inputs
        return (*shape[:-1], self.features)

    def parameter_shapes(self, inputs: list[Shape]) -> dict[str, Shape]:
        (shape,) = inputs
        out: dict[str, Shape] = {"weight": (self.features, shape[-1])}
        if self.bias:
            out["bias"] = (self.features,)
        return out

    def ties(self, inputs: list[Shape]) -> list[Tie]:
        (shape,) = inputs
        last = len(shape) - 1
        found = [Tie(("out", last), ("param", "weight", 0)), Tie(("in", 0, last), ("param", "weight", 1))]
        if self.bias:
            found.append(Tie(("out", last), ("param", "bias", 0)))
        found += [Tie(("in", 0, a), ("out", a)) for a in range(last)]
        return found

    def carries(self, kind: str, axes: dict) -> frozenset[str]:
        if all(axis == ndim - 1 for axis, ndim in axes.values()):
            return _BOTH
        # a leading axis: the layer maps row by row, so it is linear in a row only without a bias
        return frozenset() if self.bias else frozenset({"transmit"})

    def act(self, params: dict[str, Any], ins: list[Any], out: Any, out_axis: int | None) -> dict[str, Any]:
        new = dict(params)
        if ins[0] is not None:
            new["weight"] = new["weight"] / ins[0][None, :]
        if out is not None:
            new["weight"] = new["weight"] * out[:, None]
            if self.bias:
                new["bias"] = new["bias"] * out
        return new

    @property
    def translation(self) -> str | None:  # type: ignore[override]
        return "emit" if self.bias else None

    def commute(self, local: Local) -> Step | Blocked:
        last = len(local.in_shapes[0]) - 1
        return weighted_rule(self, local, last, range(last))

    def absorb_complement(self, params: dict[str, Any], signs: Any) -> dict[str, Any]:
        """Input ``j`` became ``1 - x_j`` where ``signs[j] = -1``: negate its column, add it to the bias."""
        flipped = np.array([s == -1 for s in signs])
        weight = params["weight"]
        return {"weight": weight * signs[None, :], "bias": params["bias"] + weight[:, flipped].sum(axis=1)}

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        y = inputs[0] @ ar.param(params["weight"]).T
        return y + ar.param(params["bias"]) if self.bias else y

    def describe(self) -> str:
        return f"Dense({self.features}{'' if self.bias else ', bias=False'})"


@dataclass(frozen=True)
class Conv(Layer):
    """A 1-D or 2-D convolution (cross-correlation, as in PyTorch and ONNX), groups = 1.

    ``kernel`` has one entry per spatial axis; ``stride`` and ``dilation`` default to 1 and
    ``padding`` (zeros) to none: an int, or ``((begin, end), ...)``.

    >>> Conv(2, (3,), stride=2).output_shape([(1, 7)])
    (2, 3)
    """

    channels: int
    kernel: tuple[int, ...]
    stride: tuple[int, ...] | int = 1
    padding: tuple[tuple[int, int], ...] | int = 0
    dilation: tuple[int, ...] | int = 1
    bias: bool = True

    sign = _BOTH
    scale = _BOTH

    def __post_init__(self) -> None:
        _check_count(self.channels, "channels", "Conv")
        kernel = check_positive_tuple(self.kernel, "kernel", "Conv")
        if len(kernel) not in (1, 2):
            raise SpecificationError(
                f"Conv: kernel must have 1 (conv1d) or 2 (conv2d) entries, got {kernel!r}"
            )
        dims = len(kernel)
        object.__setattr__(self, "kernel", kernel)
        object.__setattr__(self, "stride", check_positive_tuple(self.stride, "stride", "Conv", dims))
        object.__setattr__(self, "dilation", check_positive_tuple(self.dilation, "dilation", "Conv", dims))
        object.__setattr__(self, "padding", check_padding(self.padding, dims, "Conv"))
        if not isinstance(self.bias, bool):
            raise SpecificationError(f"Conv: bias must be True or False, got {self.bias!r}")

    @property
    def absorbs_constant(self) -> bool:  # type: ignore[override]
        # a constant input shift meets the zero padding unshifted: only without padding is it a bias
        return self.bias and all(p == (0, 0) for p in normalised(self.padding))

    def _check(self, shape: Shape) -> None:
        if len(shape) != 1 + len(self.kernel):
            raise SpecificationError(
                f"Conv: a {len(self.kernel)}-D convolution needs inputs "
                f"{'(channels, length)' if len(self.kernel) == 1 else '(channels, H, W)'}"
                f", got shape {shape}; reshape before it"
            )

    def output_shape(self, inputs: list[Shape]) -> Shape:
        (shape,) = inputs
        self._check(shape)
        stride, dilation = normalised(self.stride), normalised(self.dilation)
        spatial = window_shape(
            shape[1:], self.kernel, stride, normalised(self.padding), dilation, "Conv", shape
        )
        return (self.channels, *spatial)

    def parameter_shapes(self, inputs: list[Shape]) -> dict[str, Shape]:
        (shape,) = inputs
        out = {"weight": (self.channels, shape[0], *self.kernel)}
        if self.bias:
            out["bias"] = (self.channels,)
        return out

    def ties(self, inputs: list[Shape]) -> list[Tie]:
        found = [Tie(("out", 0), ("param", "weight", 0)), Tie(("in", 0, 0), ("param", "weight", 1))]
        if self.bias:
            found.append(Tie(("out", 0), ("param", "bias", 0)))
        return found

    def act(self, params: dict[str, Any], ins: list[Any], out: Any, out_axis: int | None) -> dict[str, Any]:
        new = dict(params)
        tail = (None,) * len(self.kernel)
        column, row = (None, slice(None), *tail), (slice(None), None, *tail)
        if ins[0] is not None:
            new["weight"] = new["weight"] / ins[0][column]
        if out is not None:
            new["weight"] = new["weight"] * out[row]
            if self.bias:
                new["bias"] = new["bias"] * out
        return new

    @property
    def translation(self) -> str | None:  # type: ignore[override]
        return "emit" if self.bias else None

    def commute(self, local: Local) -> Step | Blocked:
        return weighted_rule(self, local, 0, range(0))

    def absorb_complement(self, params: dict[str, Any], signs: Any) -> dict[str, Any]:
        """Input ``j`` became ``1 - x_j`` where ``signs[j] = -1`` (no padding): as for a dense layer."""
        flipped = np.array([s == -1 for s in signs])
        weight = params["weight"]
        tail = (None,) * len(self.kernel)
        shift = weight[:, flipped].reshape(weight.shape[0], -1).sum(axis=1)
        column = (None, slice(None), *tail)
        return {"weight": weight * signs[column], "bias": params["bias"] + shift}

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        (x,) = inputs
        out = self.output_shape([x.shape[1:]])[1:]
        weight = ar.param(params["weight"])
        total = None
        n, c_in = x.shape[:2]
        stride, dilation = normalised(self.stride), normalised(self.dilation)
        for offset, seen, _ in windows(ar, x, self.kernel, stride, normalised(self.padding), dilation, out):
            tap = (slice(None), slice(None), *offset)
            w = weight[tap]  # (C_out, C_in)
            rows = np.moveaxis(seen, 1, -1).reshape(-1, c_in)  # (N * positions, C_in): one 2-D product
            term = rows @ w.T
            total = term if total is None else total + term
        assert total is not None  # a kernel has at least one offset
        y = np.moveaxis(total.reshape((n, *out, self.channels)), -1, 1)
        if self.bias:
            y = y + ar.param(params["bias"]).reshape((-1,) + (1,) * len(out))
        return y

    def describe(self) -> str:
        return f"Conv({self.channels}, kernel={self.kernel}, stride={self.stride}, padding={self.padding})"
