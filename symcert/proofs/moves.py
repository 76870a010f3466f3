r"""Exact paths through symmetry (Şimşek et al. 2021): two moves that leave the network function unchanged.

In hidden layer ``l``, unit ``j`` has incoming weights (row ``j`` of ``W_l``, entry ``j`` of ``b_l``)
and outgoing weights (column ``j`` of ``W_{l+1}``).

- ``rotate``: a *dead* unit (outgoing weights exactly 0) moves its incoming weights anywhere;
- ``shift``: two units with equal incoming weights move outgoing weight between them, their sum fixed.

Along either straight move ``theta(s) = P + s (Q - P)`` the output ``f(x; theta(s))`` does not depend
on ``s``: :func:`prove_move` proves it with ``s`` and ``x`` as SymPy symbols, by expanding
``f(x; theta(s)) - f(x; P)`` to the canonical form 0 (the dead unit's term is ``0 * sigma(...)``; two
identical units contribute ``(a_i(s) + a_j(s)) sigma(z)`` with a constant sum). So, without weight
decay, the loss is exactly ``L(P)`` along the move.

:func:`symmetry_chain` builds, from ``A`` and a permutation ``g`` of a layer that has a dead unit or two
units with equal incoming weights, a chain of such moves from ``A`` to ``g(A)``: each transposition goes
through the dead unit (rotate it onto a unit, shift that unit's outgoing weights to it, rotate the
emptied unit onto the dead unit's old incoming weights).

>>> from symcert import MLP
>>> from symcert.symbolic.elements import swap
>>> net = MLP((1, 3, 1), "tanh")
>>> A = net.point(W1=[[2], [-1], [1]], b1=[1, 1, 0], W2=[[1, -1, 0]], b2=[0])
>>> chain = symmetry_chain(A, swap(1, 0, 1))
>>> chain[-1] == swap(1, 0, 1)(A), len(chain) - 1
(True, 7)
>>> [str(recognise_move(P, Q)) for P, Q in zip(chain, chain[1:])][:2]
['rotate:1:2', 'shift:1:0,2']
>>> all(prove_move(P, Q) for P, Q in zip(chain, chain[1:]))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from symcert.errors import SpecificationError
from symcert.symbolic.elements import Swap, swap
from symcert.symbolic.examples import default_example
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP, Layer, forward
from symcert.symbolic.point import Point

__all__ = ["Move", "recognise_move", "prove_move", "symmetry_chain", "simsek_contrast"]


@dataclass(frozen=True)
class Move:
    """A move of hidden layer ``layer``: ``rotate`` (``units = (j,)``) or ``shift`` (``units = (i, j)``)."""

    kind: str
    layer: int
    units: tuple[int, ...]

    def __str__(self) -> str:
        return f"{self.kind}:{self.layer}:{','.join(map(str, self.units))}"

    def record(self) -> dict[str, Any]:
        """The JSON record of the move."""
        key = "unit" if self.kind == "rotate" else "units"
        value: Any = self.units[0] if self.kind == "rotate" else list(self.units)
        return {"move": self.kind, "layer": self.layer, key: value}


def _incoming(layers: list[Layer], l: int, j: int) -> tuple[Any, ...]:
    here = layers[l - 1]
    return (tuple(here.weights[j]), None if here.biases is None else here.biases[j])


def _outgoing(layers: list[Layer], l: int, j: int) -> tuple[Any, ...]:
    return tuple(row[j] for row in layers[l].weights)


def recognise_move(P: Point, Q: Point) -> Move | None:
    """The move that takes ``P`` to ``Q`` along the straight segment, or None (exact structural test).

    >>> from symcert import MLP
    >>> net = MLP((1, 2, 1), "tanh")
    >>> P = net.point(W1=[[1], [1]], b1=[0, 0], W2=[[3, 1]], b2=[0])
    >>> recognise_move(P, net.point(W1=[[1], [1]], b1=[0, 0], W2=[[0, 4]], b2=[0]))
    Move(kind='shift', layer=1, units=(0, 1))
    >>> recognise_move(P, net.point(W1=[[2], [1]], b1=[0, 0], W2=[[3, 1]], b2=[0])) is None
    True
    """
    if P.mlp != Q.mlp or P == Q:
        return None
    mlp = P.mlp
    changed = mlp.layers([p != q for p, q in zip(P.values, Q.values)])
    lp, lq = P.layers, Q.layers
    for l in mlp.hidden_layers:
        here, after = changed[l - 1], changed[l]
        others = [
            any(any(row) for row in layer.weights) or any(layer.biases or ())
            for k, layer in enumerate(changed)
            if k not in (l - 1, l)
        ]
        if any(others) or any(after.biases or ()):
            continue
        rows = [j for j in range(mlp.widths[l]) if any(here.weights[j]) or (here.biases and here.biases[j])]
        cols = [j for j in range(mlp.widths[l]) if any(row[j] for row in after.weights)]
        if len(rows) == 1 and not cols and all(v == 0 for v in _outgoing(lp, l, rows[0])):
            return Move("rotate", l, (rows[0],))
        if not rows and len(cols) == 2:
            i, j = cols
            sums = [a + b for a, b in zip(_outgoing(lp, l, i), _outgoing(lp, l, j))]
            if _incoming(lp, l, i) == _incoming(lp, l, j) and sums == [
                a + b for a, b in zip(_outgoing(lq, l, i), _outgoing(lq, l, j))
            ]:
                return Move("shift", l, (i, j))
    return None


def prove_move(P: Point, Q: Point) -> bool:
    """True when the network function is the same all along ``P + s (Q - P)``: an exact SymPy identity.

    When ``P`` and ``Q`` differ only in the weights and biases of layers ``l`` and ``l + 1`` (``l``
    hidden), the pre-activations ``z_{l+1}(s; a) = W_{l+1}(s) sigma(W_l(s) a + b_l(s)) + b_{l+1}(s)`` are
    expanded with ``s`` and the previous layer's activations ``a`` as symbols: if
    ``z_{l+1}(s; a) - z_{l+1}(0; a)`` is 0 for every ``a``, every layer below and above is unchanged, so
    is the output, for every input.
    Otherwise the whole network's output is compared with symbolic inputs ``x``.

    >>> from symcert import MLP
    >>> net = MLP((2, 2, 2, 1), "tanh")
    >>> P = net.point(W1=[[1, 2], [3, 4]], b1=[0, 1], W2=[[1, 0], [2, 0]], b2=[0, 0], W3=[[1, 1]], b3=[0])
    >>> Q = net.point(W1=[[1, 2], [5, 6]], b1=[0, 7], W2=[[1, 0], [2, 0]], b2=[0, 0], W3=[[1, 1]], b3=[0])
    >>> prove_move(P, Q), prove_move(P, net.point_from_values([v + 1 for v in P.values]))
    (True, False)
    """
    mlp: MLP = P.mlp
    s = sympy.Symbol("s", real=True)
    moving = [p + s * (q - p) for p, q in zip(P.values, Q.values)]
    changed = {k for k, (lp, lq) in enumerate(zip(P.layers, Q.layers), start=1) if lp != lq}
    low = min(changed, default=0)
    blocks = [l for l in (low - 1, low) if l in mlp.hidden_layers and changed <= {l, l + 1}]
    if blocks:  # a shift changes only W_{l+1}: its block starts one layer lower, where the units are
        return any(_same_block(mlp, P.layers, mlp.layers(moving), l) for l in blocks)
    xs = [sympy.Symbol(f"x{k + 1}", real=True) for k in range(mlp.widths[0])]
    before = forward(mlp, P.values, xs, mlp.activation.sympy, lambda z: z)
    after = forward(mlp, moving, xs, mlp.activation.sympy, lambda z: z)
    return all(sympy.expand(u - v) == 0 for u, v in zip(after, before))


def _same_block(mlp: MLP, fixed: list[Layer], moving: list[Layer], l: int) -> bool:
    """True when ``z_{l+1}`` expands to the same expression at ``P`` and along the move, ``a`` symbolic."""
    a = [sympy.Symbol(f"a{k + 1}", real=True) for k in range(mlp.widths[l - 1])]
    return all(sympy.expand(u - v) == 0 for u, v in zip(_block(mlp, moving, l, a), _block(mlp, fixed, l, a)))


def _block(mlp: MLP, layers: list[Layer], l: int, a: list[Any]) -> list[Any]:
    """``z_{l+1} = W_{l+1} sigma(W_l a + b_l) + b_{l+1}`` for the activations ``a`` of layer ``l - 1``."""
    here, after = layers[l - 1], layers[l]
    hidden = [
        mlp.activation.sympy(
            sympy.Add(*[w * v for w, v in zip(row, a)], *([] if here.biases is None else [here.biases[j]]))
        )
        for j, row in enumerate(here.weights)
    ]
    return [
        sympy.Add(*[w * h for w, h in zip(row, hidden)], *([] if after.biases is None else [after.biases[k]]))
        for k, row in enumerate(after.weights)
    ]


def _with_unit(
    P: Point, l: int, j: int, incoming: tuple[Any, ...] | None = None, outgoing: tuple[Any, ...] | None = None
) -> Point:
    layers: list[list[Any]] = [
        [list(map(list, layer.weights)), None if layer.biases is None else list(layer.biases)]
        for layer in P.layers
    ]
    if incoming is not None:
        layers[l - 1][0][j] = list(incoming[0])
        if layers[l - 1][1] is not None:
            layers[l - 1][1][j] = incoming[1]
    if outgoing is not None:
        for row, v in zip(layers[l][0], outgoing):
            row[j] = v
    flat: list[Any] = []
    for weights, biases in layers:
        for row in weights:
            flat.extend(row)
        if biases is not None:
            flat.extend(biases)
    return P.mlp.point_from_values(flat)


def _exchange(chain: list[Point], l: int, i: int, dead: int) -> None:
    """Exchange unit ``i`` with the dead unit ``dead`` by three moves (appended to ``chain``)."""
    P = chain[-1]
    layers = P.layers
    parked, live, out = _incoming(layers, l, dead), _incoming(layers, l, i), _outgoing(layers, l, i)
    zero = tuple(sympy.Integer(0) for _ in out)
    rotated = _with_unit(P, l, dead, incoming=live)  # rotate the dead unit onto unit i
    shifted = _with_unit(_with_unit(rotated, l, dead, outgoing=out), l, i, outgoing=zero)  # shift
    back = _with_unit(shifted, l, i, incoming=parked)  # rotate the emptied unit onto the old place
    for Q in (rotated, shifted, back):
        if Q != chain[-1]:
            chain.append(Q)


def _merged(chain: list[Point]) -> list[Point]:
    """The chain without a vertex between two rotations of the same unit (one rotation does both)."""
    out = [chain[0]]
    for Q in chain[1:]:
        if len(out) >= 2:
            last = recognise_move(out[-2], out[-1])
            both = recognise_move(out[-2], Q)
            if last is not None and last.kind == "rotate" and both == last:
                out[-1] = Q
                continue
        out.append(Q)
    return out


def symmetry_chain(A: Point, element: Any) -> list[Point]:
    """Points ``A = P0, ..., Pk = g(A)`` joined by exact moves, for a permutation ``g`` of one hidden layer.

    ``element`` is a swap or a permutation of one hidden layer (:mod:`symcert.symbolic.elements`). The
    layer needs a dead unit, or two units with equal incoming weights (their outgoing weight is first
    shifted onto one of them, and shifted back at the end).
    """
    from symcert.symbolic.permutations import Permutation

    if not isinstance(element, (Swap, Permutation)):
        raise SpecificationError(
            f"an exact path through symmetry needs a swap or a permutation of one layer, got {element}"
        )
    l, mlp = element.layer, A.mlp
    element.check(mlp)
    if l not in mlp.hidden_layers:
        raise SpecificationError(f"the element must act on a hidden layer of {mlp.describe()}, got {element}")
    n = mlp.widths[l]
    target = element(A)
    if isinstance(element, Swap):
        source = list(range(n))
        source[element.i], source[element.j] = element.j, element.i
    else:
        source = list(element.source)
    layers = A.layers
    dead = next((j for j in range(n) if all(v == 0 for v in _outgoing(layers, l, j))), None)
    chain, pair = [A], None
    if dead is None:
        pair = next(
            (
                (i, j)
                for i in range(n)
                for j in range(i + 1, n)
                if _incoming(layers, l, i) == _incoming(layers, l, j)
            ),
            None,
        )
        if pair is None:
            raise SpecificationError(
                f"layer {l} of A has no dead unit (outgoing weights 0) and no two units with equal incoming "
                "weights, so no exact path through symmetry exists; add a unit (Şimşek et al. 2021)"
            )
        i, j = pair
        total = tuple(a + b for a, b in zip(_outgoing(layers, l, i), _outgoing(layers, l, j)))
        zero = tuple(sympy.Integer(0) for _ in total)
        chain.append(_with_unit(_with_unit(A, l, i, outgoing=zero), l, j, outgoing=total))
        dead = i
    # positions[p] = which original unit sits at position p now; aim: positions == source
    positions = list(range(n))
    for p in range(n):
        if positions[p] == source[p]:
            continue
        q = positions.index(source[p])
        # transposition of positions p and q, each step exchanging with the current dead position
        if dead in (p, q):
            other = q if dead == p else p
            _exchange(chain, l, other, dead)
            dead = other
        else:
            e = dead
            _exchange(chain, l, p, e)
            _exchange(chain, l, q, p)
            _exchange(chain, l, e, q)
            dead = e
        positions[p], positions[q] = positions[q], positions[p]
    if pair is not None:  # undo the first shift at the image positions of the pair
        gi, gj = source.index(pair[0]), source.index(pair[1])
        last = chain[-1]
        out_i, out_j = (_outgoing(target.layers, l, k) for k in (gi, gj))
        chain.append(_with_unit(_with_unit(last, l, gi, outgoing=out_i), l, gj, outgoing=out_j))
    end = chain[-1]
    if end != target:  # only the dead unit's parked incoming weights may differ: rotate them home
        for k in range(n):
            if _incoming(end.layers, l, k) != _incoming(target.layers, l, k):
                chain.append(_with_unit(chain[-1], l, k, incoming=_incoming(target.layers, l, k)))
    chain = _merged(chain)
    if chain[-1] != target:
        raise AssertionError(f"the chain of moves ends at {chain[-1]}, not at g(A) = {target}")
    return chain


def simsek_contrast() -> tuple[tuple[str, Loss, list[Point]], tuple[str, Loss, list[Point]]]:
    """The default example: ``(title, loss, points)`` for the 1-2-1 teacher's straight segment to
    ``swap(A)`` and for the 1-3-1 student's chain of exact moves (its third unit dead).

    >>> (_, small, straight), (_, wide, chain) = simsek_contrast()
    >>> len(straight), len(chain), wide.mlp.widths
    (2, 8, (1, 3, 1))
    """
    example = default_example()
    A = example.teacher
    student = MLP((1, 3, 1), "tanh")
    (w1, w2), (b1, b2) = A.W(1), A.b(1)
    A3 = student.point(W1=[[w1], [w2], [Fraction(1, 2)]], b1=[b1, b2, 0], W2=[[*A.W(2), 0]], b2=list(A.b(2)))
    wide = Loss(student, example.loss.data, example.loss.kind)
    return (
        ("1-2-1 teacher, straight segment A -> swap(A)", example.loss, [A, swap(1, 0, 1)(A)]),
        ("1-3-1 student (unit 3 dead), exact moves A -> swap(A)", wide, symmetry_chain(A3, swap(1, 0, 1))),
    )
