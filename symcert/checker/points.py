"""Exact operations on points as the checker reads them: interpolation, orbit mean, group action.

A point is a list of layers ``(W rows, b or None)`` of ``Fraction`` entries.

>>> from fractions import Fraction as F
>>> A = [([[F(1)], [F(3)]], [F(0), F(2)]), ([[F(4), F(0)]], [F(5)])]
>>> orbit_mean(A, 1)[0]
([[Fraction(2, 1)], [Fraction(2, 1)]], [Fraction(1, 1), Fraction(1, 1)])
"""

from __future__ import annotations

from fractions import Fraction

from symcert.checker.arithmetic import Net
from symcert.checker.reading import CertificateFormatError, rational

__all__ = ["combine", "orbit_mean", "is_symmetry", "apply_element", "ODD", "EVEN", "HOMOGENEOUS", "DEGREE"]

ODD = ("identity", "tanh", "cube")
EVEN = ("square",)
HOMOGENEOUS = ("identity", "relu", "leaky_relu")
#: s(c u) = c^k s(u) for c > 0: the degree k of each positively homogeneous activation.
DEGREE = {"identity": 1, "relu": 1, "leaky_relu": 1, "square": 2, "cube": 3}


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
    """Whether ``element`` is a symmetry of ``net`` by the activation's facts (swaps always).

    ``flip_in`` needs an even activation; ``rescale:L:U:A:K`` one homogeneous of degree
    ``K`` (1 without ``K``); ``sign:F:T`` (negate ``W_F`` and ``W_T``) no biases and an
    even activation with ``T`` hidden, or an odd one.
    """
    parts = element.split(":")
    kind = parts[0]
    if kind == "swap":
        return True
    if kind == "flip":
        return net.activation in ODD or (net.activation == "sigmoid" and net.bias)
    if kind == "flip_in":
        return net.activation in EVEN
    if kind == "rescale":
        degree = int(parts[4]) if len(parts) == 5 and parts[4].isdigit() else 1
        return DEGREE.get(net.activation) == degree
    if kind == "sign" and len(parts) == 3 and not net.bias:
        last = int(parts[2]) if parts[2].isdigit() else 0
        hidden_last = last < len(net.widths) - 1
        return net.activation in ODD or (net.activation in EVEN and hidden_last)
    return False


def apply_element(net: Net, layers: list, element: str) -> list:
    """The exact image of a point under ``swap:L:I,J``, ``flip:L:U``, ``flip_in:L:U``,
    ``rescale:L:U:ALPHA[:K]`` or ``sign:F:T``."""
    parts = element.split(":")
    try:
        layer = int(parts[1])
        if not 1 <= layer < len(net.widths) - 1:
            raise ValueError
        out = [([list(r) for r in w], None if b is None else list(b)) for w, b in layers]
        (weights, biases), (after, after_bias) = out[layer - 1], out[layer]
        if parts[0] == "sign" and len(parts) == 3:
            last = int(parts[2])
            if not layer < last < len(net.widths):
                raise ValueError
            for m in (layer, last):
                w, b = out[m - 1]
                out[m - 1] = ([[-v for v in row] for row in w], b)
            return out
        if parts[0] == "swap" and len(parts) == 3:
            i, j = (int(p) for p in parts[2].split(","))
            weights[i], weights[j] = weights[j], weights[i]
            if biases is not None:
                biases[i], biases[j] = biases[j], biases[i]
            for row in after:
                row[i], row[j] = row[j], row[i]
        elif parts[0] == "flip" and len(parts) == 3:
            u = int(parts[2])
            column = [row[u] for row in after]
            weights[u] = [-w for w in weights[u]]
            if biases is not None:
                biases[u] = -biases[u]
            for row in after:
                row[u] = -row[u]
            if net.activation == "sigmoid" and after_bias is not None:
                for m, w in enumerate(column):
                    after_bias[m] += w
        elif parts[0] == "flip_in" and len(parts) == 3:
            u = int(parts[2])
            if u < 0:
                raise ValueError
            weights[u] = [-w for w in weights[u]]
            if biases is not None:
                biases[u] = -biases[u]
        elif parts[0] == "rescale" and len(parts) in (4, 5):
            u, alpha = int(parts[2]), rational(parts[3], "rescale alpha")
            degree = int(parts[4]) if len(parts) == 5 else 1
            if alpha <= 0 or not 1 <= degree <= 64:
                raise ValueError
            weights[u] = [alpha * w for w in weights[u]]
            if biases is not None:
                biases[u] = alpha * biases[u]
            for row in after:
                row[u] = row[u] / alpha**degree
        else:
            raise ValueError
    except (ValueError, IndexError):
        raise CertificateFormatError(
            f"element {element!r} is malformed or does not fit the network"
        ) from None
    return out
