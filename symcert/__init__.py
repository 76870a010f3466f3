"""symcert: prove that neural-network losses are non-convex, and show why.

>>> from symcert import MLP, swap, prove_invariance
>>> prove_invariance(MLP((1, 2, 1), "tanh"), swap(1, 0, 1)).holds
True
"""

from symcert.build.files import write_json
from symcert.checker import CertificateFormatError, CheckResult, check
from symcert.errors import ExactnessError, SpecificationError, SymcertError
from symcert.numeric.contexts import lower, upper
from symcert.numeric.decide import Decision, decide
from symcert.numeric.derivatives import gradient as gradient  # former name of gradient_value (not in __all__)
from symcert.numeric.derivatives import gradient_enclosure, gradient_value, hessian_enclosure, hessian_value
from symcert.numeric.derivatives import hessian as hessian  # former name of hessian_value (not in __all__)
from symcert.numeric.floats import FloatLoss
from symcert.numeric.minima import LocalMinimum, locate_minimum
from symcert.numeric.segment import curvature_decision, segment_enclosure, segment_values
from symcert.numeric.spectrum import Spectrum, hessian_spectrum
from symcert.numeric.teacher import TeacherMinimum, teacher_minimum
from symcert.numeric.values import loss_enclosure, loss_value
from symcert.printing import coq, latex, text
from symcert.printing.plot import plot  # matplotlib is imported only when a plot is drawn
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
