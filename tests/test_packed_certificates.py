"""Points as exact integer arrays, and certificates whose data and weights are packed (issue 22)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from fractions import Fraction

import numpy as np
import pytest

from symcert import MLP, Dataset, Loss, certify_nonconvexity, flip, swap
from symcert.checker import CertificateFormatError, check
from symcert.checker.reading import loads
from symcert.numeric.engine.layout import point_layout
from symcert.symbolic.array_point import ArrayPoint, exact_integers
from symcert.symbolic.elements import layer_sign
from symcert.symbolic.permutations import permutation, product

WIDTHS = (6, 5, 4, 3)


def _arrays(seed: int = 0, widths: tuple[int, ...] = WIDTHS) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for l in range(1, len(widths)):
        out[f"W{l}"] = rng.normal(0, 1, (widths[l], widths[l - 1])).astype(np.float32)
        out[f"b{l}"] = rng.normal(0, 0.1, widths[l]).astype(np.float32)
    return out


def _problem(points: int = 40) -> tuple[Loss, ArrayPoint]:
    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, (points, WIDTHS[0])).astype(np.uint8)
    Y = np.eye(WIDTHS[-1], dtype=np.uint8)[rng.integers(0, WIDTHS[-1], points)]
    mlp = MLP(WIDTHS, "tanh", output_activation="softmax")
    A = mlp.point(**_arrays())
    assert isinstance(A, ArrayPoint)
    return Loss(mlp, Dataset.from_integers(X, 255, Y), "cross_entropy"), A


@pytest.fixture(scope="module")
def certificate():
    loss, A = _problem()
    cert = certify_nonconvexity(loss, A, element=swap(1, 0, 1), kind="chord")
    assert cert.status == "proved"
    return cert


def _repack(record: dict, values: np.ndarray) -> None:
    """Replace a packed array's bytes by ``values`` (same dtype), with a matching digest."""
    raw = np.ascontiguousarray(values, dtype=np.dtype(record["dtype"]).newbyteorder("<")).tobytes()
    record["base64"] = base64.b64encode(raw).decode()
    record["sha256"] = hashlib.sha256(raw).hexdigest()


def _unpacked(record: dict) -> np.ndarray:
    raw = base64.b64decode(record["base64"])
    shape = [int(n) for n in record["shape"]]
    return np.frombuffer(raw, dtype=np.dtype(record["dtype"]).newbyteorder("<")).reshape(shape)


def test_exact_integers_are_the_floats_exactly():
    values = np.array([[0.1, -2.5e-7, 3.0], [0.0, 1e-30, -7.75]], dtype=np.float64)
    a = exact_integers(values, "W")
    assert [[Fraction(int(n), a.den) for n in row] for row in a.num.tolist()] == [
        [Fraction(float(v)) for v in row] for row in values
    ]
    assert a.num.dtype == object  # 1e-30 needs a denominator beyond int64's numerators
    small = exact_integers(values[:1].astype(np.float32), "W")
    assert small.num.dtype == np.int64
    assert small.den == max(Fraction(float(v)).denominator for v in values[:1].astype(np.float32).ravel())


def test_the_array_point_equals_the_sympy_point_and_gives_the_same_layout():
    arrays = _arrays()
    mlp = MLP(WIDTHS, "tanh", output_activation="softmax")
    A = mlp.point(**arrays)
    S = mlp.point(**{k: v.tolist() for k, v in arrays.items()})  # lists: the SymPy path
    assert type(S).__name__ == "Point" and S == A and A == S and hash(A) == hash(S)
    for la, ls in zip(point_layout(A).layers, point_layout(S).layers):
        assert la.W.as_fractions() == ls.W.as_fractions() and la.b.as_fractions() == ls.b.as_fractions()


@pytest.mark.parametrize(
    "element",
    [
        swap(1, 0, 1),
        swap(2, 1, 3),
        permutation(1, (4, 0, 3, 1, 2)),
        flip(1, 2),
        layer_sign(1, 3),
        product(flip(2, 0), permutation(1, (1, 2, 0, 4, 3)), swap(2, 0, 3)),
    ],
)
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_elements_act_on_the_arrays_as_on_sympy_values(element, activation):
    arrays = _arrays(3)
    mlp = MLP(WIDTHS, activation)
    A = mlp.point(**arrays)
    S = mlp.point(**{k: v.tolist() for k, v in arrays.items()})
    image = element(A)
    assert isinstance(image, ArrayPoint)
    assert image.values == element(S).values  # a sigmoid's flip also shifts the next biases


def test_the_array_path_gives_the_same_enclosures_as_the_sympy_path(certificate):
    loss, _ = _problem()
    S = loss.mlp.point(**{k: v.tolist() for k, v in _arrays().items()})
    via_sympy = certify_nonconvexity(loss, S, element=swap(1, 0, 1), kind="chord")
    assert via_sympy.status == certificate.status
    assert via_sympy.enclosures == certificate.enclosures


def test_a_packed_certificate_round_trips(certificate, tmp_path):
    record = certificate.to_dict(packed=True)
    assert set(record["data"]["xs"]) == {"dtype", "shape", "denominator", "sha256", "base64"}
    assert record["data"]["xs"]["dtype"] == "uint8" and record["data"]["xs"]["denominator"] == "255"
    assert record["points"]["B"]["W2"]["dtype"] in ("int32", "int64")
    path = tmp_path / "packed.json"
    path.write_text(certificate.to_json(packed=True))
    result = check(path)
    assert result.accepted, result.reasons
    assert "B = swap:1:0,1(A) exactly" in result.reasons
    # the same certificate in chunks of 16 points: the packed rows are cut into chunks
    chunked = check(loads(path.read_text()), chunk_size=16)
    assert chunked.accepted, chunked.reasons


def test_old_format_certificates_still_check(certificate):
    text = certificate.to_json(packed=False)
    assert isinstance(json.loads(text)["data"]["xs"], list)
    result = check(loads(text))
    assert result.accepted, result.reasons
    # small arrays stay lists by default (below symcert.limits.PACK_MIN_ENTRIES)
    assert isinstance(certificate.to_dict()["data"]["xs"], list)


def test_a_wrong_digest_is_malformed(certificate):
    record = loads(certificate.to_json(packed=True))
    record["data"]["xs"]["sha256"] = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(CertificateFormatError, match="SHA-256"):
        check(record)


def test_a_tampered_weight_is_rejected(certificate):
    record = loads(certificate.to_json(packed=True))
    W2 = _unpacked(record["points"]["B"]["W2"]).copy()
    W2[0, 0] += 1
    _repack(record["points"]["B"]["W2"], W2)
    result = check(record)
    assert not result.accepted
    assert any("B is not the image of A" in r for r in result.reasons)


def test_tampered_pixels_are_rejected(certificate):
    record = loads(certificate.to_json(packed=True))
    X = _unpacked(record["data"]["xs"])
    _repack(record["data"]["xs"], 255 - X)
    result = check(record)
    assert not result.accepted
    assert any("does not contain the recomputed one" in r or "is not >" in r for r in result.reasons)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda p: p.update(shape=[40, 7]), "needs \\[40, 6\\]"),
        (lambda p: p.update(dtype="float32"), "dtype must be one of"),
        (lambda p: p.update(denominator="0"), "positive integer string"),
        (lambda p: p.update(base64=p["base64"][:-4]), "does not hold 240 entries"),
        (lambda p: p.update(base64="!" + p["base64"][1:]), "not valid base64"),
        (lambda p: p.update(extra="1"), "unknown field"),
    ],
)
def test_malformed_packed_arrays_are_refused(certificate, change, message):
    record = loads(certificate.to_json(packed=True))
    change(record["data"]["xs"])
    with pytest.raises(CertificateFormatError, match=message):
        check(record)


def test_packed_records_survive_a_deep_copy_and_stay_exact(certificate):
    record = copy.deepcopy(certificate.to_dict(packed=True))
    A = record["points"]["A"]["W1"]
    num = _unpacked(A)
    expected = _arrays()["W1"]
    assert [[Fraction(int(n), int(A["denominator"])) for n in row] for row in num.tolist()] == [
        [Fraction(float(v)) for v in row] for row in expected
    ]


def test_a_packed_record_rebuilds_the_provers_certificate(certificate):
    from symcert.build.coq_binding import certificate_from_record

    rebuilt = certificate_from_record(loads(certificate.to_json(packed=True)))
    assert rebuilt.A == certificate.A and rebuilt.B == certificate.B
    assert rebuilt.loss.data == certificate.loss.data
    assert rebuilt.to_dict(packed=True)["points"] == certificate.to_dict(packed=True)["points"]
