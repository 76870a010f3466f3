"""Former public names, kept working for one minor version with a ``DeprecationWarning``.

A removed method of a lower layer cannot be defined where it lived without an upward import
(``Loss.value`` computed in :mod:`symcert.numeric`, above :mod:`symcert.symbolic`), so the shims
are attached from here, the top of the package, when :mod:`symcert` resolves its first prover
name. Each entry is listed in ``CHANGELOG.md``.

>>> import warnings, symcert
>>> example = symcert.default_example()
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     value = example.loss.value(example.teacher, 30)
>>> caught[0].category.__name__, abs(value) < 1e-20
('DeprecationWarning', True)
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["install"]


def _deprecated_method(function: Callable[..., Any], old: str, new: str) -> Callable[..., Any]:
    @functools.wraps(function)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        warnings.warn(f"{old} is deprecated; use {new}", DeprecationWarning, stacklevel=2)
        return function(self, *args, **kwargs)

    method.__doc__ = f"Deprecated: use {new}."
    return method


def install() -> None:
    """Attach the deprecated methods (idempotent)."""
    from symcert.numeric.values import loss_enclosure, loss_value
    from symcert.symbolic.losses import Loss

    # the shims are attached here, at run time, and so unknown to a type checker
    if "value" not in vars(Loss):
        Loss.value = _deprecated_method(  # type: ignore[attr-defined]
            loss_value, "Loss.value(point, dps)", "symcert.loss_value(loss, point, dps)"
        )
    if "enclose" not in vars(Loss):
        Loss.enclose = _deprecated_method(  # type: ignore[attr-defined]
            loss_enclosure, "Loss.enclose(point, dps)", "symcert.loss_enclosure(loss, point, dps)"
        )
