"""Public names do not disappear: every name any earlier ``symcert.__all__`` held still resolves, and
a renamed or removed one warns (``DeprecationWarning``) and still works, as ``CHANGELOG.md`` says.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import symcert

#: The union of ``symcert.__all__`` over the project's history (read from git, 2026-12-03).
EVER_PUBLIC = (
    "__version__",
    "activation",
    "ACTIVATION_NAMES",
    "align",
    "Alignment",
    "BarrierEstimates",
    "BarrierResult",
    "Certificate",
    "CertificateFormatError",
    "certify_barrier",
    "certify_critical_point",
    "certify_nonconvexity",
    "certify_saddle",
    "check",
    "CheckResult",
    "ConvexityProof",
    "coq",
    "CriticalPoint",
    "curvature_decision",
    "Dataset",
    "decide",
    "Decision",
    "default_example",
    "ExactnessError",
    "flip",
    "flip_in",
    "FloatLoss",
    "gradient",
    "gradient_enclosure",
    "gradient_value",
    "GradientProof",
    "hessian",
    "hessian_enclosure",
    "hessian_spectrum",
    "hessian_value",
    "inverse",
    "latex",
    "layer_sign",
    "lift",
    "LiftProof",
    "LocalMinimum",
    "locate_minimum",
    "Loss",
    "loss_enclosure",
    "LOSS_KINDS",
    "loss_value",
    "lower",
    "MLP",
    "OUTPUT_ACTIVATION_NAMES",
    "parse_element",
    "permutation",
    "permutation_lemma",
    "plot",
    "Point",
    "product",
    "Proof",
    "ProofStep",
    "prove_convexity",
    "prove_gradient_identity",
    "prove_invariance",
    "prove_lift_identity",
    "rescale",
    "SaddleResult",
    "search_witness",
    "SearchResult",
    "segment_enclosure",
    "segment_values",
    "SpecificationError",
    "Spectrum",
    "swap",
    "SymcertError",
    "SymmetryGroup",
    "teacher_minimum",
    "TeacherMinimum",
    "text",
    "upper",
    "write_json",
)
#: Former names that now warn, with the name that replaces them.
DEPRECATED = {"gradient": "gradient_value", "hessian": "hessian_value"}


@pytest.mark.parametrize("name", EVER_PUBLIC)
def test_every_name_ever_public_still_resolves(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error" if name not in DEPRECATED else "ignore")
        assert getattr(symcert, name) is not None


def test_the_public_names_of_today_include_all_but_the_deprecated():
    assert set(EVER_PUBLIC) - set(symcert.__all__) == set(DEPRECATED)


@pytest.mark.parametrize(("old", "new"), sorted(DEPRECATED.items()))
def test_a_former_name_warns_and_is_the_new_function(old, new):
    with pytest.warns(DeprecationWarning, match=f"symcert.{old} is deprecated; use symcert.{new}"):
        assert getattr(symcert, old) is getattr(symcert, new)


@pytest.mark.parametrize(("method", "function"), [("value", "loss_value"), ("enclose", "loss_enclosure")])
def test_removed_loss_methods_warn_and_delegate(method, function):
    example = symcert.default_example()
    with pytest.warns(DeprecationWarning, match=f"Loss.{method}.*symcert.{function}"):
        got = getattr(example.loss, method)(example.teacher, 30)
    expected = getattr(symcert, function)(example.loss, example.teacher, 30)
    assert str(got) == str(expected)


def test_the_shims_are_listed_in_the_changelog():
    changelog = (Path(__file__).parent.parent / "CHANGELOG.md").read_text(encoding="utf-8")
    for name in ("symcert.gradient", "Loss.value", "Loss.enclose"):
        assert name in changelog, name
