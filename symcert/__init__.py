"""symcert: prove that neural-network losses are non-convex, and show why.

>>> from symcert import MLP, swap, prove_invariance
>>> prove_invariance(MLP((1, 2, 1), "tanh"), swap(1, 0, 1)).holds
True
"""

from symcert.checker import CertificateFormatError, CheckResult, check
from symcert.errors import ExactnessError, SpecificationError, SymcertError
from symcert.numeric.decide import Decision, decide
from symcert.numeric.derivatives import gradient, gradient_enclosure, hessian, hessian_enclosure
from symcert.numeric.floats import FloatLoss
from symcert.numeric.minima import LocalMinimum, locate_minimum
from symcert.numeric.segment import curvature_decision, segment_enclosure, segment_values
from symcert.numeric.spectrum import Spectrum, hessian_spectrum
from symcert.numeric.teacher import TeacherMinimum, teacher_minimum
from symcert.numeric.values import loss_enclosure, loss_value
from symcert.printing.plot import plot  # matplotlib is imported only when a plot is drawn
from symcert.proofs.alignment import Alignment, BarrierEstimates, align
from symcert.proofs.barrier import BarrierResult, certify_barrier
from symcert.proofs.certificates import Certificate
from symcert.proofs.convexity import ConvexityProof, prove_convexity
from symcert.proofs.critical_point import CriticalPoint, certify_critical_point
from symcert.proofs.gradient import GradientProof, prove_gradient_identity
from symcert.proofs.invariance import Proof, ProofStep, prove_invariance
from symcert.proofs.nonconvexity import certify_nonconvexity
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

__all__ = [
    "Decision",
    "FloatLoss",
    "LocalMinimum",
    "Spectrum",
    "TeacherMinimum",
    "curvature_decision",
    "decide",
    "gradient",
    "gradient_enclosure",
    "hessian",
    "hessian_enclosure",
    "hessian_spectrum",
    "locate_minimum",
    "loss_enclosure",
    "loss_value",
    "segment_enclosure",
    "segment_values",
    "teacher_minimum",
    "ACTIVATION_NAMES",
    "Alignment",
    "BarrierEstimates",
    "align",
    "Certificate",
    "CertificateFormatError",
    "CheckResult",
    "ConvexityProof",
    "GradientProof",
    "SearchResult",
    "certify_nonconvexity",
    "certify_barrier",
    "BarrierResult",
    "check",
    "default_example",
    "prove_convexity",
    "prove_gradient_identity",
    "search_witness",
    "Dataset",
    "ExactnessError",
    "LOSS_KINDS",
    "Loss",
    "MLP",
    "OUTPUT_ACTIVATION_NAMES",
    "Point",
    "Proof",
    "ProofStep",
    "SpecificationError",
    "SymcertError",
    "SymmetryGroup",
    "activation",
    "flip",
    "flip_in",
    "inverse",
    "layer_sign",
    "parse_element",
    "permutation",
    "permutation_lemma",
    "plot",
    "product",
    "prove_invariance",
    "rescale",
    "swap",
    "CriticalPoint",
    "certify_critical_point",
    "SaddleResult",
    "certify_saddle",
    "LiftProof",
    "lift",
    "prove_lift_identity",
]

__version__ = "0.1.0"
