"""Invariance proofs of the symmetries from the even, odd and homogeneity facts.

Each new generator is proved by prove_invariance and confirmed a second way: the loss (or the
output) recomputed by the independent reference implementation at random exact points and their
images, at 50 digits. Non-symmetries are refuted, and their counterexamples re-checked.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy

from symcert import MLP, Dataset, Loss, flip, flip_in, layer_sign, prove_invariance, rescale
from symcert.proofs.serialize import proof_to_dict
from symcert.symbolic.examples import default_teacher_loss

R = sympy.Rational
NETWORKS = [((1, 2, 1), True), ((1, 2, 1), False), ((1, 2, 2, 1), True), ((1, 2, 2, 1), False)]


def _numerically_equal(target, element, reference, seeds=range(4)) -> bool:
    mlp = target.mlp if isinstance(target, Loss) else target
    with mpmath.workdps(50):
        for seed in seeds:
            point = mlp.random_point(200 + seed)
            image = reference.image(point, element)
            assert image == element(point)
            if isinstance(target, Loss):
                pairs = [(reference.loss(target, point), reference.loss(target, image))]
            else:
                x = [R(seed - 2, 3)] * mlp.widths[0]
                pairs = list(zip(reference.output(point, x), reference.output(image, x)))
            if any(abs(a - b) > mpmath.mpf(10) ** -40 for a, b in pairs):
                return False
    return True


def _new_elements(group):
    yield from group.generators
    yield from group.cross_layer
    for family in group.continuous:
        yield family.element(family.dimension - 1, R(3, 2))


@pytest.mark.parametrize(("widths", "bias"), NETWORKS)
def test_every_square_symmetry_is_proved_and_numerically_confirmed(widths, bias, reference):
    net = MLP(widths, "square", bias=bias)
    loss = default_teacher_loss(net)
    for element in _new_elements(net.symmetry_group()):
        for target in (net, loss):
            proof = prove_invariance(target, element)
            assert proof.status == "proved", proof.summary()
            assert _numerically_equal(target, element, reference)
        keys = {lemma.key for lemma in proof.lemmas}
        if type(element).__name__ == "FlipIn":
            assert "even" in keys
        if type(element).__name__ == "Rescale":
            assert "homogeneous" in keys and "alpha**2" in str(proof.lemmas[-1].general)


@pytest.mark.parametrize(("act", "degree"), [("cube", 3), ("leaky_relu:1/10", 1), ("identity", 1)])
def test_rescalings_of_every_degree_are_proved(act, degree, reference):
    loss = default_teacher_loss(MLP((1, 2, 1), act))
    element = rescale(1, 1, R(2, 3), degree)
    assert prove_invariance(loss, element).status == "proved"
    assert _numerically_equal(loss, element, reference)


@pytest.mark.parametrize(
    ("act", "bias", "widths", "element"),
    [
        ("square", True, (1, 2, 1), flip(1, 0)),  # the odd-style flip negates v_j: not absorbed
        ("square", True, (1, 2, 1), rescale(1, 0, 2)),  # degree 1 on a degree-2 activation
        ("square", True, (1, 2, 1), rescale(1, 0, 2, 3)),
        ("relu", True, (1, 2, 1), rescale(1, 0, 2, 2)),
        ("cube", True, (1, 2, 1), rescale(1, 0, 2, 2)),
        ("tanh", True, (1, 2, 1), flip_in(1, 0)),
        ("relu", True, (1, 2, 1), flip_in(1, 1)),
        ("square", True, (1, 2, 2, 1), layer_sign(1, 2)),  # biases block the sign
        ("square", False, (1, 2, 2, 1), layer_sign(1, 3)),  # the output changes sign
        ("tanh", False, (1, 2, 2, 1), flip_in(2, 0)),
    ],
)
def test_non_symmetries_are_refuted(act, bias, widths, element, reference):
    from tests.test_proofs_invariance import check_refutation

    net = MLP(widths, act, bias=bias)
    assert not net.symmetry_group().contains(element)
    loss = default_teacher_loss(net)
    proof = prove_invariance(loss, element)
    check_refutation(proof, reference)
    assert not _numerically_equal(loss, element, reference)
    assert prove_invariance(net, element).status == "refuted"


def test_undecided_but_numerically_invariant_is_never_called_a_symmetry(monkeypatch, reference):
    # without the odd lemma the prover cannot prove the tanh flip, which is a true symmetry:
    # it must answer undecided and report the numerical evidence, not "proved"
    import symcert.proofs.invariance as invariance

    monkeypatch.setattr(invariance, "lemmas_for", lambda act: {})
    loss = Loss(MLP((1, 2, 1), "tanh"), Dataset([[1], [-1]], [[0], [1]]), "mse")
    proof = prove_invariance(loss, flip(1, 0))
    assert proof.status == "undecided" and proof.holds is None
    assert proof.numerically_invariant and proof.verdict == "undecided, numerically invariant"
    assert "numerically invariant" in proof.steps[-1].text and "proves nothing" in proof.steps[-1].text
    assert "numerically invariant" in proof.summary() and "never called a symmetry" in proof.summary()
    record = proof_to_dict(proof)
    assert record["status"] == "undecided" and record["verdict"] == "undecided, numerically invariant"
    assert "numerically invariant" in proof.to_latex()
    # a non-symmetry that is merely unproved is not numerically invariant
    wrong = prove_invariance(loss, rescale(1, 0, 2))
    assert wrong.status == "refuted" and not wrong.numerically_invariant


def test_group_proof_covers_the_signs_across_layers():
    net = MLP((1, 2, 2, 1), "square", bias=False)
    proof = prove_invariance(net, net.symmetry_group())
    assert proof.status == "proved"
    assert [str(p.element) for p in proof.parts][-1] == "sign:1:2"
    assert any(step.name == "signs across layers" for step in proof.steps)
    assert r"\mathrm{flip}^{(1)}_{\mathrm{in},1}" in proof.to_latex()


def test_the_new_proofs_compile_with_tex(require_tool, tmp_path):
    from symcert import prove_gradient_identity
    from symcert.build.tex import compile_pdf, standalone_document, write_tex

    require_tool("pdflatex")
    require_tool("latexmk")
    net = MLP((1, 2, 2, 1), "square", bias=False)
    loss = default_teacher_loss(net)
    group = net.symmetry_group()
    body = "\n\n".join(
        [
            prove_invariance(loss, group).to_latex(),
            prove_invariance(loss, rescale(1, 0, 3, 2)).to_latex(),
            prove_invariance(loss, flip(1, 0)).to_latex(),
            prove_gradient_identity(loss, rescale(2, 1, 1, 2)).to_latex(),
            prove_gradient_identity(loss, rescale(1, 0, 1, 1)).to_latex(),
            group._repr_latex_(),
        ]
    )
    pdf = compile_pdf(write_tex(tmp_path / "square.tex", standalone_document(body, title="Square")))
    assert pdf.exists() and pdf.stat().st_size > 1000
