"""Barrier certificates with packed weights and data: round trip, old form, tampering, the fast reader."""

from __future__ import annotations

import base64
import copy
import hashlib
from fractions import Fraction

import numpy as np
import pytest

from symcert import MLP, Dataset, Loss, certify_barrier, check
from symcert.checker import CertificateFormatError
from symcert.checker.barrier_f64 import from_packed
from symcert.checker.packed import Packed
from symcert.checker.statement import Statement

WIDTHS = (5, 4, 3)


def _arrays(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for l in range(1, len(WIDTHS)):
        out[f"W{l}"] = rng.normal(0, 1, (WIDTHS[l], WIDTHS[l - 1])).astype(np.float32)
        out[f"b{l}"] = rng.normal(0, 0.1, WIDTHS[l]).astype(np.float32)
    return out


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(2)
    xs = [[Fraction(int(v), 255) for v in row] for row in rng.integers(0, 256, (12, WIDTHS[0]))]
    ys = np.eye(WIDTHS[-1], dtype=int)[rng.integers(0, WIDTHS[-1], 12)].tolist()
    mlp = MLP(WIDTHS, "tanh", output_activation="softmax")
    loss = Loss(mlp, Dataset(xs, ys), "cross_entropy")
    A, B = mlp.point(**_arrays(0)), mlp.point(**_arrays(1))
    found = certify_barrier(loss, A, B, tol=Fraction(1, 100))
    assert found.status == "proved"
    return found


def _repack(record: dict, values: np.ndarray) -> None:
    """Replace a packed array's bytes by ``values`` (its dtype), with a matching digest."""
    raw = np.ascontiguousarray(values, dtype=np.dtype(record["dtype"]).newbyteorder("<")).tobytes()
    record["base64"] = base64.b64encode(raw).decode()
    record["sha256"] = hashlib.sha256(raw).hexdigest()


def _unpacked(record: dict) -> np.ndarray:
    raw = base64.b64decode(record["base64"])
    shape = [int(n) for n in record["shape"]]
    return np.frombuffer(raw, dtype=np.dtype(record["dtype"]).newbyteorder("<")).reshape(shape).copy()


def test_packed_weights_and_data_round_trip(result):
    record = result.certificate().to_dict(packed=True)
    for point in ("A", "B"):
        assert all(isinstance(v, dict) for v in record["points"][point].values())
    assert record["data"]["xs"]["denominator"] == "255" and record["data"]["xs"]["dtype"] == "uint8"
    s = Statement(record)
    W1 = s.layers("A")[0][0]
    assert isinstance(W1, Packed) and W1.den & (W1.den - 1) == 0  # float32: integers over a power of 2
    floats = from_packed(W1, W1.shape)
    assert floats is not None and np.array_equal(floats.lo, _arrays(0)["W1"].astype(np.float64))
    # the exact values the Arb side reads are the same rationals as the unpacked file's
    plain = Statement(result.certificate().to_dict(packed=False))
    assert s.A == plain.A and s.B == plain.B and s.xs[3] == plain.xs[3]
    verdict = check(record)
    assert verdict.accepted, verdict.reasons
    assert "verified float64" in verdict.reasons[-1]


def test_the_float64_rung_reads_packed_weights_without_fractions(result, monkeypatch):
    record = result.certificate().to_dict(packed=True)

    def refuse(self):
        raise AssertionError("a packed weight was converted to Fraction")

    monkeypatch.setattr(Packed, "exact", refuse)
    verdict = check(record)
    assert verdict.accepted, verdict.reasons


def test_the_old_unpacked_form_still_checks(result):
    record = result.certificate().to_dict(packed=False)
    assert isinstance(record["points"]["A"]["W1"], list) and isinstance(record["data"]["xs"], list)
    verdict = check(record)
    assert verdict.accepted, verdict.reasons
    assert verdict.enclosures == check(result.certificate().to_dict(packed=True)).enclosures


@pytest.mark.parametrize("point, key", [("B", "W1"), ("A", "W2"), ("B", "b2")])
def test_a_tampered_packed_weight_is_rejected(result, point, key):
    record = result.certificate().to_dict(packed=True)
    tampered = copy.deepcopy(record)
    packed = tampered["points"][point][key]
    values = _unpacked(packed).astype(np.int64)
    values.flat[0] += 2 * int(packed["denominator"])  # one weight moved by 2, the digest made to match
    packed["dtype"] = "int64"
    _repack(packed, values)
    verdict = check(tampered)
    assert not verdict.accepted
    # the pieces' bounds themselves move: the rungs computed with the tampered weight
    assert any(reason.startswith("REJECT: piece") for reason in verdict.reasons), verdict.reasons
    assert check(record).accepted  # the untouched file still passes


def test_a_packed_weight_with_a_wrong_digest_is_malformed(result):
    record = result.certificate().to_dict(packed=True)
    record["points"]["B"]["W1"]["sha256"] = hashlib.sha256(b"other").hexdigest()
    with pytest.raises(CertificateFormatError, match="SHA-256"):
        check(record)


def test_packed_arrays_compare_by_exact_value():
    import array

    half = Packed(array.array("b", [1, 2]), 2, (2,))
    quarter = Packed(array.array("b", [2, 4]), 4, (2,))
    assert half.same(quarter) and not half.same(Packed(array.array("b", [2, 5]), 4, (2,)))
    assert from_packed(Packed(array.array("q", [2**60]), 1, (1,)), (1, 1)) is None  # beyond 53 bits
