"""``unique_critical_point`` (formerly ``critical_point``): Krawczyk, one zero of the gradient in a box."""

from __future__ import annotations

from typing import Any

from symcert.checker.kind import Kind, register, uncontained

# symcert.checker.saddle and .hessian are loaded when a box certificate is read, not on registering it.


def read(s: Any, parameters: dict) -> None:
    """:func:`symcert.checker.saddle.read_saddle_parameters` (``radius`` and, for a saddle, the lift)."""
    from symcert.checker.saddle import read_saddle_parameters

    read_saddle_parameters(s, parameters)


def verify(s: Any, result: Any, notes: list[str], precisions: tuple[int, ...], arithmetic: str) -> Any:
    """Krawczyk (and for a saddle: the lift, the direction, the index), with Arb."""
    from symcert.checker.saddle import verify_saddle

    reasons: list[str] = []
    problems: list[str] = []
    for dps in precisions:
        try:
            found, reasons, problems = verify_saddle(s, dps)
        except (ArithmeticError, ValueError) as error:
            found, reasons, problems = {}, [], [f"REJECT: cannot evaluate at {dps} digits: {error}"]
            continue
        problems += uncontained(s.claimed, found)
        result.enclosures, result.dps = found, dps
        if not problems:
            break
    result.accepted = not problems
    result.reasons = notes + reasons + problems
    if result.accepted:
        result.reasons.append(f"re-proved: {s.quantity} {s.relation} 0 at {result.dps} digits (arb)")
    return result


def premises(s: Any) -> list[str]:
    """A box of radius 0 is well formed (a prover with no box to offer writes it) but never proves."""
    if s.radius != 0:
        return []
    return [
        "REJECT: the box A + [-r, r]^n has radius 0: Krawczyk's test (K(X) inside X) needs r > 0, "
        "so this certificate cannot prove a unique critical point"
    ]


def cost(s: Any) -> tuple[float, float, float]:
    """One jet per gradient entry and Hessian pair, or (:mod:`symcert.checker.hessian`) a few products.

    The products: ``J^T J`` is ``n^2 N m`` multiply-adds (``n m`` passes of the network's
    ``n N``), building ``J`` and the residual blocks ``(n_0 + 2)`` elementwise products per unit
    and point; the overhead is the dense linear algebra (``Y H``, ``V^T H V``, ``V^T V``: about
    ``4 n^3`` ball products) and the Python loops over the ``n^2`` entries.
    """
    from symcert.checker import hessian
    from symcert.checker.saddle import jet_passes

    nets = [s.net] + ([s.wide_net] if s.kind == "saddle" else [])
    if not all(hessian.supported(s, net) for net in nets):
        jets = jet_passes(s)
        return 3 * jets, 10 * jets, 1e-3 * jets  # overhead: the balls of each direction, the linear algebra
    sizes = [hessian.size(net) for net in nets]
    outputs, inputs = s.net.widths[-1], s.net.widths[0]
    linear = sum(4 * n * outputs + 20 for n in sizes)
    elements = sum(
        4 * (n // max(1, sum(net.widths[1:]))) * outputs + 4 * (inputs + 2) + 20
        for n, net in zip(sizes, nets)
    )
    overhead = sum(1e-7 * n**3 + 2e-5 * n**2 for n in sizes) + 0.5
    return linear, elements, overhead


KIND = register(
    Kind(
        "unique_critical_point",
        "margin",
        "<",
        "K(X) lies inside X = A + [-r, r]^n (Krawczyk): grad L has exactly one zero in X",
        ("margin",),
        ("radius",),
        needs_B=False,
        smooth=True,
        read=read,
        premises=premises,
        verify=verify,
        cost=cost,
        old_names=("critical_point",),
    )
)
