r"""LaTeX names of a network's parameters, e.g. ``W^{(1)}_{21}`` for the symbol ``W1_21``.

The scheme (order, indices, when they are separated) is the network's own,
:attr:`MLP.parameter_parts <symcert.symbolic.network.MLP.parameter_parts>`; this module only writes it.

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
    return tuple(f"{p.letter}^{{({p.layer})}}_{{{p.indices_text(',')}}}" for p in mlp.parameter_parts)
