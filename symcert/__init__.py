"""symcert: prove that neural-network losses are non-convex, and show why.

>>> from symcert import MLP, swap, prove_invariance
>>> prove_invariance(MLP((1, 2, 1), "tanh"), swap(1, 0, 1)).holds
True

The names below are imported on first use (PEP 562), so ``import symcert.checker`` and
``symcert --version`` load neither SymPy nor a prover. Touching a prover's name (``symcert.MLP``,
``symcert.latex``, ...) also imports :mod:`symcert.printing`, which registers the printers that
``to_latex()``, ``summary()`` and the notebook displays call (:mod:`symcert.display`).

>>> import symcert
>>> symcert.Loss.__module__
'symcert.symbolic.losses'
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the public names as type checkers see them; at run time __getattr__ imports them
    from symcert.build.files import write_json
    from symcert.checker import CertificateFormatError, CheckResult, check
    from symcert.errors import ExactnessError, SpecificationError, SymcertError
    from symcert.models.data import load_data
    from symcert.models.loaders import load_weights, network_from_arrays
    from symcert.models.sklearn import LoadedModel, from_sklearn
    from symcert.numeric.contexts import lower, upper
    from symcert.numeric.decide import Decision, decide
    from symcert.numeric.derivatives import (
        gradient_enclosure,
        gradient_value,
        hessian_enclosure,
        hessian_value,
    )
    from symcert.numeric.floats import FloatLoss
    from symcert.numeric.minima import LocalMinimum, locate_minimum
    from symcert.numeric.segment import curvature_decision, segment_enclosure, segment_values
    from symcert.numeric.spectrum import Spectrum, hessian_spectrum
    from symcert.numeric.teacher import TeacherMinimum, teacher_minimum
    from symcert.numeric.values import loss_enclosure, loss_value
    from symcert.printing import coq, latex, text
    from symcert.printing.figures.plots import plot
    from symcert.proofs.alignment import Alignment, BarrierEstimates, align
    from symcert.proofs.barrier import BarrierResult, certify_barrier
    from symcert.proofs.certificates import Certificate
    from symcert.proofs.convexity import ConvexityProof, prove_convexity
    from symcert.proofs.critical_point import CriticalPoint, certify_critical_point
    from symcert.proofs.gradient import GradientProof, prove_gradient_identity
    from symcert.proofs.invariance import Proof, ProofStep, prove_invariance
    from symcert.proofs.moves import symmetry_chain
    from symcert.proofs.nonconvexity import certify_nonconvexity
    from symcert.proofs.path import PathResult, certify_path
    from symcert.proofs.saddle import SaddleResult, certify_saddle
    from symcert.proofs.witness import SearchResult, search_witness
    from symcert.symbolic.activations import ACTIVATION_NAMES, OUTPUT_ACTIVATION_NAMES, activation
    from symcert.symbolic.data import Dataset
    from symcert.symbolic.examples import default_example
    from symcert.symbolic.generic import permutation_lemma
    from symcert.symbolic.group import SymmetryGroup, flip, flip_in, layer_sign, parse_element, rescale, swap
    from symcert.symbolic.lift import LiftProof, lift, prove_lift_identity
    from symcert.symbolic.losses import LOSS_KINDS, Loss
    from symcert.symbolic.network import MLP
    from symcert.symbolic.permutations import inverse, permutation, product
    from symcert.symbolic.point import Point
    from symcert.version import __version__

#: Where each public name is defined, by module. ``__getattr__`` imports a module on first use.
_SOURCES: dict[str, tuple[str, ...]] = {
    "symcert.version": ("__version__",),
    "symcert.errors": ("ExactnessError", "SpecificationError", "SymcertError"),
    "symcert.checker": ("CertificateFormatError", "CheckResult", "check"),
    "symcert.build.files": ("write_json",),
    "symcert.numeric.contexts": ("lower", "upper"),
    "symcert.numeric.decide": ("Decision", "decide"),
    "symcert.numeric.derivatives": (
        "gradient_enclosure",
        "gradient_value",
        "hessian_enclosure",
        "hessian_value",
    ),
    "symcert.numeric.floats": ("FloatLoss",),
    "symcert.numeric.minima": ("LocalMinimum", "locate_minimum"),
    "symcert.numeric.segment": ("curvature_decision", "segment_enclosure", "segment_values"),
    "symcert.numeric.spectrum": ("Spectrum", "hessian_spectrum"),
    "symcert.numeric.teacher": ("TeacherMinimum", "teacher_minimum"),
    "symcert.numeric.values": ("loss_enclosure", "loss_value"),
    "symcert.printing": ("coq", "latex", "text"),
    "symcert.printing.figures.plots": ("plot",),  # matplotlib is imported only when a plot is drawn
    "symcert.proofs.alignment": ("Alignment", "BarrierEstimates", "align"),
    "symcert.proofs.barrier": ("BarrierResult", "certify_barrier"),
    "symcert.proofs.certificates": ("Certificate",),
    "symcert.proofs.convexity": ("ConvexityProof", "prove_convexity"),
    "symcert.proofs.critical_point": ("CriticalPoint", "certify_critical_point"),
    "symcert.proofs.gradient": ("GradientProof", "prove_gradient_identity"),
    "symcert.proofs.invariance": ("Proof", "ProofStep", "prove_invariance"),
    "symcert.proofs.moves": ("symmetry_chain",),
    "symcert.proofs.nonconvexity": ("certify_nonconvexity",),
    "symcert.proofs.path": ("PathResult", "certify_path"),
    "symcert.models.loaders": ("load_weights", "network_from_arrays"),
    "symcert.models.data": ("load_data",),
    "symcert.models.sklearn": ("LoadedModel", "from_sklearn"),
    "symcert.proofs.saddle": ("SaddleResult", "certify_saddle"),
    "symcert.proofs.witness": ("SearchResult", "search_witness"),
    "symcert.symbolic.activations": ("ACTIVATION_NAMES", "OUTPUT_ACTIVATION_NAMES", "activation"),
    "symcert.symbolic.data": ("Dataset",),
    "symcert.symbolic.examples": ("default_example",),
    "symcert.symbolic.generic": ("permutation_lemma",),
    "symcert.symbolic.group": (
        "SymmetryGroup",
        "flip",
        "flip_in",
        "layer_sign",
        "parse_element",
        "rescale",
        "swap",
    ),
    "symcert.symbolic.lift": ("LiftProof", "lift", "prove_lift_identity"),
    "symcert.symbolic.losses": ("LOSS_KINDS", "Loss"),
    "symcert.symbolic.network": ("MLP",),
    "symcert.symbolic.permutations": ("inverse", "permutation", "product"),
    "symcert.symbolic.point": ("Point",),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}
#: Modules that need neither SymPy nor the printers: the version, the errors, the checker, JSON files.
_LIGHT = frozenset({"symcert.version", "symcert.errors", "symcert.checker", "symcert.build.files"})
#: The subpackages and leaf modules, reachable as attributes (``symcert.printing.notebook``).
_SUBMODULES = frozenset(
    {"batch", "build", "checker", "cli", "display", "errors", "handouts", "limits", "models", "numeric"}
    | {"printing", "proofs", "symbolic", "version"}
)
_LIGHT_SUBMODULES = frozenset({"checker", "cli", "display", "errors", "limits", "version"})
#: Former names, kept as shims that warn: ``{old: (new, module)}``.
_DEPRECATED = {
    "gradient": ("gradient_value", "symcert.numeric.derivatives"),
    "hessian": ("hessian_value", "symcert.numeric.derivatives"),
}


def _printers() -> None:
    """Register the printers before a result can exist (``to_latex()`` and the notebook need them),
    and attach the deprecated methods of :mod:`symcert._compat`."""
    import symcert.printing  # noqa: F401
    from symcert import _compat

    _compat.install()


def __getattr__(name: str) -> Any:
    if name in _MODULE_OF:
        module = _MODULE_OF[name]
        if module not in _LIGHT:
            _printers()
        value = getattr(importlib.import_module(module), name)
    elif name in _DEPRECATED:
        new, module = _DEPRECATED[name]
        warnings.warn(
            f"symcert.{name} is deprecated; use symcert.{new} (the same function)",
            DeprecationWarning,
            stacklevel=2,
        )
        _printers()
        return getattr(importlib.import_module(module), new)  # not cached: it warns on every use
    elif name in _SUBMODULES:
        if name not in _LIGHT_SUBMODULES:
            _printers()
        value = importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module 'symcert' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "__version__",
    # Networks, data and losses (symbolic)
    "activation",
    "ACTIVATION_NAMES",
    "Dataset",
    "default_example",
    "Loss",
    "LOSS_KINDS",
    "MLP",
    "OUTPUT_ACTIVATION_NAMES",
    "Point",
    # Symmetries
    "flip",
    "flip_in",
    "inverse",
    "layer_sign",
    "parse_element",
    "permutation",
    "permutation_lemma",
    "product",
    "rescale",
    "swap",
    "SymmetryGroup",
    # Numbers: values to print, enclosures to prove with (numeric)
    "curvature_decision",
    "decide",
    "Decision",
    "FloatLoss",
    "gradient_value",
    "gradient_enclosure",
    "hessian_value",
    "hessian_enclosure",
    "hessian_spectrum",
    "LocalMinimum",
    "locate_minimum",
    "lower",
    "loss_enclosure",
    "loss_value",
    "segment_enclosure",
    "segment_values",
    "Spectrum",
    "teacher_minimum",
    "TeacherMinimum",
    "upper",
    # Proofs and certificates
    "align",
    "Alignment",
    "BarrierEstimates",
    "BarrierResult",
    "Certificate",
    "certify_barrier",
    "certify_nonconvexity",
    "certify_path",
    "ConvexityProof",
    "GradientProof",
    "Proof",
    "PathResult",
    "ProofStep",
    "prove_convexity",
    "prove_gradient_identity",
    "prove_invariance",
    "search_witness",
    "SearchResult",
    "symmetry_chain",
    # Critical points and saddles
    "certify_critical_point",
    "certify_saddle",
    "CriticalPoint",
    "lift",
    "LiftProof",
    "prove_lift_identity",
    "SaddleResult",
    # Printing
    "coq",
    "latex",
    "plot",
    "text",
    # Trained models, read exactly from files
    "from_sklearn",
    "load_data",
    "load_weights",
    "LoadedModel",
    "network_from_arrays",
    # Files and the independent checker
    "CertificateFormatError",
    "check",
    "CheckResult",
    "write_json",
    # Errors
    "ExactnessError",
    "SpecificationError",
    "SymcertError",
]
