"""Exact operations on points as the checker reads them: interpolation, orbit mean, group action.

A point is a list of layers ``(W rows, b or None)`` of ``Fraction`` entries.

>>> from fractions import Fraction as F
>>> A = [([[F(1)], [F(3)]], [F(0), F(2)]), ([[F(4), F(0)]], [F(5)])]
>>> orbit_mean(A, 1)[0]
([[Fraction(2, 1)], [Fraction(2, 1)]], [Fraction(1, 1), Fraction(1, 1)])
"""

from __future__ import annotations

import re
from fractions import Fraction

from symcert.checker.arithmetic import Net
from symcert.checker.reading import CertificateFormatError, rational

__all__ = ["combine", "orbit_mean", "is_symmetry", "parse_element", "apply_element", "ODD", "HOMOGENEOUS"]

ODD = ("identity", "tanh", "cube")
HOMOGENEOUS = ("identity", "relu", "leaky_relu")


def combine(a: list, b: list, t: Fraction) -> list:
    """The exact point ``a + t (b - a)``."""

    def mix(u: Fraction, v: Fraction) -> Fraction:
        return u + t * (v - u)

    return [
        (
            [[mix(u, v) for u, v in zip(ra, rb)] for ra, rb in zip(wa, wb)],
            None if ba is None else [mix(u, v) for u, v in zip(ba, bb)],
        )
        for (wa, ba), (wb, bb) in zip(a, b)
    ]


def orbit_mean(layers: list, layer: int) -> list:
    """The average of a point over all permutations of hidden layer ``layer``: every unit equal."""
    out = [([list(r) for r in w], None if b is None else list(b)) for w, b in layers]
    weights, biases = out[layer - 1]
    n = len(weights)
    mean_row = [sum(col, Fraction(0)) / n for col in zip(*weights)]
    out[layer - 1] = ([list(mean_row) for _ in range(n)], None if biases is None else [sum(biases) / n] * n)
    after, after_bias = out[layer]
    out[layer] = ([[sum(row, Fraction(0)) / n] * n for row in after], after_bias)
    return out


def is_symmetry(net: Net, element: str) -> bool:
    """Whether ``element`` is a symmetry of ``net`` by the activation's facts (swaps always)."""
    kind = element.split(":")[0]
    if kind == "swap":
        return True
    if kind == "flip":
        return net.activation in ODD or (net.activation == "sigmoid" and net.bias)
    return kind == "rescale" and net.activation in HOMOGENEOUS


_ELEMENT = re.compile(
    r"(swap):([0-9]{1,3}):([0-9]{1,5}),([0-9]{1,5})|(flip):([0-9]{1,3}):([0-9]{1,5})"
    r"|(rescale):([0-9]{1,3}):([0-9]{1,5}):([^:]{1,100})",
    re.ASCII,
)


def parse_element(net: Net, element: str) -> tuple[str, int, tuple]:
    """``(kind, layer, arguments)`` of ``swap:L:I,J``, ``flip:L:U`` or ``rescale:L:U:ALPHA`` in ``net``.

    Layers are hidden layers (1 to depth - 1) and units lie in ``0 .. width - 1``; anything else
    (negative or out-of-range indices, other spellings) is malformed.
    """
    match = _ELEMENT.fullmatch(element)
    if match is None:
        raise CertificateFormatError(
            f"element {element[:60]!r} is malformed: expected swap:L:I,J, flip:L:U or rescale:L:U:ALPHA"
        )
    groups = [g for g in match.groups() if g is not None]
    kind, layer = groups[0], int(groups[1])
    units = [int(u) for u in groups[2 : 4 if kind == "swap" else 3]]
    if not 1 <= layer < len(net.widths) - 1:
        raise CertificateFormatError(
            f"element {element!r}: layer {layer} is not a hidden layer (1 to {len(net.widths) - 2})"
        )
    if any(u >= net.widths[layer] for u in units):
        raise CertificateFormatError(
            f"element {element!r}: units of layer {layer} are numbered 0 to {net.widths[layer] - 1}"
        )
    if kind == "rescale":
        alpha = rational(groups[3], "rescale alpha")
        if alpha <= 0:
            raise CertificateFormatError(f"element {element!r}: the rescaling factor must be > 0")
        return kind, layer, (units[0], alpha)
    return kind, layer, tuple(units)


def apply_element(net: Net, layers: list, element: str) -> list:
    """The exact image of a point under ``swap:L:I,J``, ``flip:L:U`` or ``rescale:L:U:ALPHA``."""
    kind, layer, arguments = parse_element(net, element)
    out = [([list(r) for r in w], None if b is None else list(b)) for w, b in layers]
    (weights, biases), (after, after_bias) = out[layer - 1], out[layer]
    if kind == "swap":
        i, j = arguments
        weights[i], weights[j] = weights[j], weights[i]
        if biases is not None:
            biases[i], biases[j] = biases[j], biases[i]
        for row in after:
            row[i], row[j] = row[j], row[i]
    elif kind == "flip":
        (u,) = arguments
        column = [row[u] for row in after]
        weights[u] = [-w for w in weights[u]]
        if biases is not None:
            biases[u] = -biases[u]
        for row in after:
            row[u] = -row[u]
        if net.activation == "sigmoid" and after_bias is not None:
            for m, w in enumerate(column):
                after_bias[m] += w
    else:
        u, alpha = arguments
        weights[u] = [alpha * w for w in weights[u]]
        if biases is not None:
            biases[u] = alpha * biases[u]
        for row in after:
            row[u] = row[u] / alpha
    return out
