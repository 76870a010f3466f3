"""Errors speak the interface the user used: flags on the command line, Python calls in Python."""

from __future__ import annotations

import re

import pytest

from symcert import MLP, Dataset, Loss, SpecificationError
from symcert.cli import main
from symcert.cli.messages import FLAGS, command_line_message
from symcert.errors import Hint

# What a Python-only message looks like: a keyword argument or a constructor call.
PYTHON_SYNTAX = re.compile(r"\b[a-z_]+=|MLP\(|Loss\(|Dataset\.|\(int, Fraction")


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["group", "--activation", "gelu"], "--activation"),
        (["invariance", "--loss", "bce", "--output-activation", "identity"], "--output-activation sigmoid"),
        (
            ["prove", "--loss", "cross_entropy", "--output-activation", "sigmoid"],
            "--output-activation softmax",
        ),
        (["invariance", "--loss", "mse", "--weight-decay", "-1"], "--weight-decay"),
        (["prove", "--weight-decay", "abc"], "--weight-decay"),
        (["prove", "--kind", "critical_pair", "--weight-decay", "1/10"], "--weight-decay 0"),
        (["prove", "--kind", "curvature", "--activation", "relu"], "--activation tanh"),
        (["prove", "--loss", "cross_entropy"], "--widths"),
        (["prove", "--loss", "bce", "--kind", "critical_pair"], "--loss mse"),
        (["invariance", "--loss", "cross_entropy"], "--loss bce"),
    ],
)
def test_cli_errors_name_flags_not_python_calls(capsys, argv, flag):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("symcert: error: ")
    assert flag in err
    assert not PYTHON_SYNTAX.search(err), err


def test_python_messages_keep_python_terms():
    with pytest.raises(
        SpecificationError, match=r"build MLP\(\.\.\., output_activation='sigmoid'\)"
    ) as caught:
        Loss(MLP((1, 2, 1)), Dataset([[1]], [[0]]), "bce")
    assert command_line_message(caught.value) == (
        "the bce loss needs a sigmoid output, got identity; use --output-activation sigmoid"
    )
    with pytest.raises(SpecificationError, match="weight_decay must be >= 0, got -1"):
        Loss(MLP((1, 2, 1)), Dataset([[1]], [[0]]), "mse", weight_decay=-1)


def test_a_hint_naming_no_flag_falls_back_to_the_message():
    error = SpecificationError("factor must be > 0; pass factor='1/2'", hint=Hint("{factor} must be > 0"))
    assert command_line_message(error) == "factor must be > 0; pass factor='1/2'"
    assert "factor" not in FLAGS


def test_hint_text_from_the_user_is_never_a_placeholder():
    hint = Hint("{weight_decay} must be >= 0, got {got}", got="{dps}")
    assert hint.arguments == (("weight_decay", None),)
    assert hint.render(lambda name, value: f"<{name}>") == "<weight_decay> must be >= 0, got {dps}"


def test_a_point_file_entry_is_named_as_text(capsys, tmp_path):
    point = tmp_path / "A.json"
    point.write_text('{"W1": [["x"], [1]], "b1": [0, 0], "W2": [[1, 1]], "b2": [0]}')
    code = main(["prove", "--point", str(point), "--seed", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "W1[0][0] must be a finite exact number such as 3, -1/10 or 0.25, got 'x'" in err


@pytest.mark.parametrize(
    "make",
    [
        lambda: Loss(MLP((1, 2, 1), output_activation="softmax"), Dataset([[1]], [[1]]), "cross_entropy"),
        lambda: Loss(
            MLP((2, 3, 1), "relu", output_activation="softmax"),
            Dataset([[1, 2], [0, 1]], [[1], [1]]),
            "cross_entropy",
        ),
    ],
)
def test_cross_entropy_on_one_output_is_refused_with_the_reason(make):
    with pytest.raises(
        SpecificationError, match=r"identically 0 \(softmax over one output is the constant 1\)"
    ):
        make()


def test_cross_entropy_on_two_outputs_is_accepted():
    loss = Loss(MLP((1, 2, 2), output_activation="softmax"), Dataset([[1]], [[1, 0]]), "cross_entropy")
    assert loss.kind == "cross_entropy"


def test_version_is_stated_once(capsys):
    import importlib.metadata
    import pathlib

    import symcert

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"symcert {symcert.__version__}"
    pyproject = (pathlib.Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert re.search(r'^dynamic = \["version"\]', pyproject, re.M)
    assert 'version = { attr = "symcert.version.__version__" }' in pyproject
    assert not re.search(r"^version = \"", pyproject, re.M)  # no second statement of it
    assert importlib.metadata.version("symcert") == symcert.__version__


def test_check_coq_prints_the_axioms_one_per_line(capsys, tmp_path, monkeypatch):
    from symcert.build import coq_binding
    from symcert.build.coq import CoqResult
    from symcert.build.coq_binding import CoqBinding

    cert = tmp_path / "c.json"
    assert main(["prove", "--json", str(cert)]) == 0
    (tmp_path / "p.v").write_text("(* stands in for the proof *)\n")
    axioms = ("PrimInt63.add", "Classical_Prop.classic", "ClassicalDedekindReals.sig_forall_dec")
    result = CoqResult(0, "", "", 1.0, "loss_not_convex", axioms)
    monkeypatch.setattr(coq_binding, "check_coq_binding", lambda *_: CoqBinding(True, ["bound"], result))
    capsys.readouterr()
    assert main(["check", str(cert), "--coq", str(tmp_path / "p.v")]) == 0
    out = capsys.readouterr().out
    listed = out.split("Axioms (Print Assumptions loss_not_convex), 3:\n")[1].splitlines()[:3]
    assert listed == [f"  {name}" for name in sorted(axioms)]
    assert "ACCEPTED: Coq proof" in out


@pytest.mark.parametrize("kind", ["curvature", "hessian", "critical_pair", "orbit"])
def test_coq_export_too_large_is_refused_before_any_work(capsys, tmp_path, monkeypatch, kind):
    from symcert.cli import prove as prove_command

    def no_work(*_args, **_kwargs):
        raise AssertionError("the work started before the refusal")

    monkeypatch.setattr(prove_command, "certify_nonconvexity", no_work)
    monkeypatch.setattr(prove_command, "prove_invariance", no_work)
    out = tmp_path / "p.v"
    code = main(["prove", "--widths", "8,8,1", "--kind", kind, "--coq", str(out)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == "" and not out.exists()
    assert len(captured.err.splitlines()) == 1 and "--coq" in captured.err and "symcert check" in captured.err
