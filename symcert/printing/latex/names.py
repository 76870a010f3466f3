r"""LaTeX names of a network's parameters, e.g. ``W^{(1)}_{21}`` for the symbol ``W1_21``.

For ``sympy.latex(expr, symbol_names=symbol_names(mlp))``.

>>> from symcert import MLP
>>> net = MLP((1, 2, 1), "tanh")
>>> [symbol_names(net)[s] for s in net.symbols[:3]]
['W^{(1)}_{11}', 'W^{(1)}_{21}', 'b^{(1)}_{1}']
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sympy

    from symcert.symbolic.network import MLP

__all__ = ["symbol_names"]


def symbol_names(mlp: MLP) -> dict[sympy.Symbol, str]:
    """The LaTeX name of each parameter symbol of ``mlp`` (in the order of ``mlp.symbols``)."""
    return dict(zip(mlp.symbols, _names(mlp)))


@lru_cache(maxsize=64)
def _names(mlp: MLP) -> tuple[str, ...]:
    names: list[str] = []
    for l in range(1, mlp.depth + 1):
        rows, cols = mlp.widths[l], mlp.widths[l - 1]
        sep = "" if rows < 10 and cols < 10 else ","
        for j in range(1, rows + 1):
            names.extend(f"W^{{({l})}}_{{{j}{sep}{k}}}" for k in range(1, cols + 1))
        if mlp.bias:
            names.extend(f"b^{{({l})}}_{{{j}}}" for j in range(1, rows + 1))
    return tuple(names)
