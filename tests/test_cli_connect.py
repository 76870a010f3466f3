"""symcert connect: the Şimşek contrast, paths from files, certificates the checker accepts, errors."""

from __future__ import annotations

import json

import pytest

from symcert import check
from symcert.cli import main
from symcert.proofs.moves import simsek_contrast
from symcert.proofs.path import certify_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_simsek_contrast_barrier_in_the_minimal_net_exact_path_in_the_wider_one():
    (_, small, straight), (_, wide, chain) = simsek_contrast()
    barrier = certify_path(small, straight)
    assert barrier.status == "proved" and not barrier.exact
    assert barrier.lo > 4 and barrier.LA[0] == 0  # L(A) = 0 at the teacher: a positive barrier
    path = certify_path(wide, chain)
    assert path.exact and path.value == 0 and path.status == "proved"
    assert chain[0].mlp.widths == (1, 3, 1) and chain[-1] != chain[0]
    for result in (barrier, path):
        assert check(json.loads(result.certificate().to_json())).accepted


def test_default_example_prints_the_contrast_and_writes_certificates(capsys, tmp_path):
    out = tmp_path / "c.json"
    code, text, err = run(capsys, "connect", "--json", str(out), "--latex", str(tmp_path / "c.tex"))
    assert code == 0, err
    assert "sup L in [4.14896, 4.14897] (proved)" in text
    assert "sup L = L(A) = 0 exactly" in text and "7 exact moves" in text
    assert "Certifying" in err
    for name in ("c.straight.json", "c.path.json"):
        record = json.loads((tmp_path / name).read_text())
        assert record["kind"] == "path" and check(record).accepted
    assert r"\section*" in (tmp_path / "c.tex").read_text()


def _point(tmp_path, name: str, **arrays) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(arrays))
    return str(path)


def test_points_via_and_element(capsys, tmp_path):
    A = _point(tmp_path, "A.json", W1=[[2], [-1], [1]], b1=[1, 1, 0], W2=[[1, -1, 0]], b2=[0])
    B = _point(tmp_path, "B.json", W1=[[-1], [2], [1]], b1=[1, 1, 0], W2=[[-1, 1, 0]], b2=[0])
    P = _point(tmp_path, "P.json", W1=[[1], [1], [1]], b1=[1, 1, 0], W2=[[0, 0, 0]], b2=[0])
    out = tmp_path / "p.json"
    code, text, err = run(
        capsys, "connect", "--widths", "1,3,1", "--point", A, "--via", P, "--point", B, "--json", str(out)
    )
    assert code == 0, err
    assert "sup L in [" in text and "2 segments" in text
    assert check(str(out)).accepted
    code, text, err = run(capsys, "connect", "--widths", "1,3,1", "--point", A, "--element", "swap:1:0,1")
    assert code == 0, err and "exactly" in text
    code, text, err = run(
        capsys,
        "connect",
        "--widths",
        "1,3,1",
        "--point",
        A,
        "--via",
        P,
        "--point",
        B,
        "--curve",
        "bezier",
        "--tol",
        "1e-2",
        "--plot",
        str(tmp_path / "p.png"),
    )
    assert code == 0, err
    assert (tmp_path / "p.png").stat().st_size > 0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--via", "x.json"], "need --point"),
        (["--point", "a.json", "--point", "b.json", "--point", "c.json"], "got 3 points"),
        (["--tol", "0"], "--tol must be > 0"),
        (["--plot", "x.txt"], "--plot must name"),
        (["--json", "/nonexistent/dir/x.json"], "folder does not exist"),
    ],
)
def test_errors_are_one_line(capsys, argv, message):
    code, _, err = run(capsys, "connect", *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_element_needs_a_dead_unit_or_a_pair(capsys, tmp_path):
    A = _point(tmp_path, "A.json", W1=[[2], [-1]], b1=[1, 1], W2=[[1, -1]], b2=[0])
    code, _, err = run(capsys, "connect", "--point", A, "--element", "swap:1:0,1")
    assert code == 2 and "no dead unit" in err and len(err.strip().splitlines()) == 1


def test_bezier_needs_an_odd_number_of_points(capsys, tmp_path):
    A = _point(tmp_path, "A.json", W1=[[2], [-1]], b1=[1, 1], W2=[[1, -1]], b2=[0])
    code, _, err = run(capsys, "connect", "--point", A, "--point", A, "--curve", "bezier")
    assert code == 2 and "odd number" in err


def test_data_file_exact_endpoints_and_a_cap_exits_1(capsys, tmp_path):
    A = _point(tmp_path, "A.json", W1=[[2], [-1]], b1=[1, 1], W2=[[1, -1]], b2=[0])
    B = _point(tmp_path, "B.json", W1=[[-1], [2]], b1=[1, 1], W2=[[-1, 1]], b2=[0])
    data = tmp_path / "d.csv"
    data.write_text("x1,y1\n-1,0\n0,1/2\n1,1\n")
    code, text, err = run(capsys, "connect", "--point", A, "--point", B, "--data", str(data), "--exact")
    assert code == 0, err
    assert "sup L in [" in text and "/" in text.split("sup L in [")[1].split("]")[0]  # exact rationals
    code, text, _ = run(
        capsys,
        "connect",
        "--point",
        A,
        "--point",
        B,
        "--data",
        str(data),
        "--tol",
        "1e-30",
        "--max-pieces",
        "2",
    )
    assert code == 1 and "undecided" in text
