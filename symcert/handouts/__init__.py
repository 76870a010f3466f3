"""The catalogue of course handouts: every number in them is certified, every step shown.

The shipped handouts are the project's proof library: the test suite rebuilds
each one and re-checks its certificates with the independent checker.

>>> handout_names()[-1]
'mode-connectivity'
>>> describe_handout("permutation")
"Permuting hidden units: why a network's loss is not convex"
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from symcert.errors import SpecificationError
from symcert.handouts.base import Exercise, Handout

__all__ = [
    "Exercise",
    "Handout",
    "CATALOGUE",
    "build_handout",
    "describe_handout",
    "handout_names",
    "handout_summary",
]

#: Handout name -> module (each has ``TITLE`` and ``build()``).
CATALOGUE: dict[str, str] = {
    "convexity-baseline": "symcert.handouts.convexity_baseline",
    "permutation": "symcert.handouts.permutation",
    "sign-flip": "symcert.handouts.sign_flip",
    "seed-argument": "symcert.handouts.seed_argument",
    "rescaling": "symcert.handouts.rescaling",
    "permutation-saddles": "symcert.handouts.permutation_saddles",
    "linear-mode-connectivity": "symcert.handouts.linear_mode_connectivity",
    "mode-connectivity": "symcert.handouts.mode_connectivity",
}


def handout_names() -> tuple[str, ...]:
    """The names of the shipped handouts, in reading order."""
    return tuple(CATALOGUE)


def _module(name: str):
    if name not in CATALOGUE:
        raise SpecificationError(f"no handout named {name!r}; the handouts are {', '.join(CATALOGUE)}")
    return import_module(CATALOGUE[name])


def describe_handout(name: str) -> str:
    """The handout's title as plain text (without building it).

    >>> describe_handout("sign-flip")
    'Sign flips: odd activations and the order n! 2^n'
    """
    module = _module(name)
    return getattr(module, "PLAIN_TITLE", module.TITLE)


def handout_summary(name: str) -> str:
    """What the handout is about, in one sentence (the first paragraph of its module's docstring).

    >>> handout_summary("permutation")
    'Swapping hidden units is a symmetry, so permuted minima have a worse midpoint.'
    """
    first = " ".join((_module(name).__doc__ or "").split("\n\n")[0].split())
    text = first.split(": ", 1)[1] if first.startswith("Handout ") and ": " in first else first
    text = text.replace("``", "")
    return text[:1].upper() + text[1:]


def build_handout(name: str) -> Handout:
    """Build the handout ``name``: compute and certify everything it states (a second or so)."""
    build: Callable[[], Handout] = _module(name).build
    return build()
