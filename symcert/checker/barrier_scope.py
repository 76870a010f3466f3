"""Which barrier statements the checker's float64 rung computes: a test that needs no numpy.

:mod:`symcert.checker.barrier_f64` (numpy) is imported only when this says yes, so a barrier that Arb
alone checks (a teacher, weight decay, another activation) starts without loading numpy.

>>> from types import SimpleNamespace as N
>>> s = N(teacher=None, ys=[[1]], decay=0, net=N(activation="tanh", output="identity"), loss_kind="mse")
>>> supports(s), supports(N(**{**vars(s), "decay": 1}))
(True, False)
"""

from __future__ import annotations

from typing import Any

__all__ = ["supports"]


def supports(s: Any) -> bool:
    """Whether the float64 rung computes this statement's jets (otherwise Arb alone)."""
    if s.teacher is not None or s.ys is None or s.decay:
        return False
    if s.net.activation not in ("tanh", "identity"):
        return False
    if s.loss_kind == "cross_entropy":
        return s.net.output == "softmax"
    return s.loss_kind in ("mse", "sse") and s.net.output == "identity"
