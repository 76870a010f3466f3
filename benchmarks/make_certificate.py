"""Write a valid chord certificate for a network of any size, without the prover.

The certificate follows the documented schema (``symcert-certificate``, version 1): a random teacher
network ``A`` with dyadic weights (as trained float weights are), inputs ``k/255`` (MNIST-like pixels),
targets from the teacher (``data.teacher``: exact, never rounded), ``B = swap:1:0,1(A)``. The claimed
enclosures are computed with the checker's own Arb arithmetic at 40 more digits than the certificate
states, then widened outward by a relative margin of ``10^-(dps - 5)``, so they are true. With teacher
data ``L(A) = L(B)`` is the minimum (zero for mse, the targets' entropy for cross-entropy) and the
midpoint misfits: the barrier is positive.

    python benchmarks/make_certificate.py 784,128,10 256 out.json [--activation tanh] [--loss cross_entropy]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from fractions import Fraction
from math import ceil, floor
from pathlib import Path

from symcert.checker import arb_engine, loads
from symcert.checker.kinds import kind_named
from symcert.checker.statement import Statement


def _dyadic(rng: random.Random, scale: float) -> str:
    value = Fraction(round(rng.gauss(0.0, scale) * 2**16), 2**16)
    return str(value)


def certificate_record(
    widths: tuple[int, ...],
    points: int,
    activation: str = "tanh",
    loss: str = "cross_entropy",
    dps: int = 50,
    seed: int = 0,
) -> dict:
    """The certificate as plain data (enclosures still empty)."""
    rng = random.Random(seed)
    output = {"cross_entropy": "softmax", "bce": "sigmoid"}.get(loss, "identity")
    A = {}
    for l in range(1, len(widths)):
        scale = 2.0 / widths[l - 1] ** 0.5
        A[f"W{l}"] = [[_dyadic(rng, scale) for _ in range(widths[l - 1])] for _ in range(widths[l])]
        A[f"b{l}"] = [_dyadic(rng, 0.5) for _ in range(widths[l])]
    B = {key: [list(row) if isinstance(row, list) else row for row in value] for key, value in A.items()}
    B["W1"][0], B["W1"][1] = B["W1"][1], B["W1"][0]
    B["b1"][0], B["b1"][1] = B["b1"][1], B["b1"][0]
    for row in B["W2"]:
        row[0], row[1] = row[1], row[0]
    network = {"widths": list(widths), "activation": activation, "bias": True, "output_activation": output}
    xs = [[str(Fraction(rng.randrange(256), 255)) for _ in range(widths[0])] for _ in range(points)]
    chord = kind_named("chord")
    quantity, relation, text = chord.quantity, chord.relation, chord.text
    return {
        "schema": "symcert-certificate",
        "version": 1,
        "kind": "chord",
        "status": "proved",
        "network": network,
        "loss": {"kind": loss, "weight_decay": "0"},
        "data": {"xs": xs, "teacher": {"network": network, "point": A}},
        "points": {"A": A, "B": B},
        "element": "swap:1:0,1",
        "parameters": {},
        "claim": {"quantity": quantity, "relation": relation, "text": text},
        "enclosures": {},
        "dps": dps,
        "notes": [
            "written by benchmarks/make_certificate.py; enclosures by the checker's Arb path plus margin"
        ],
        "prover": {"name": "benchmarks/make_certificate.py", "version": "1"},
    }


def _outward(low: Fraction, high: Fraction, dps: int) -> list[str]:
    margin = (abs(low) + abs(high) + Fraction(1, 10**10)) / 10 ** (dps - 5)
    scale = 10 ** (dps + 5)
    return [
        str(Fraction(floor((low - margin) * scale), scale)),
        str(Fraction(ceil((high + margin) * scale), scale)),
    ]


def write_certificate(path: Path, widths: tuple[int, ...], points: int, **options) -> dict:
    """Write the certificate with true claimed enclosures; return them (raise if the barrier is not > 0)."""
    record = certificate_record(widths, points, **options)
    record["enclosures"] = {"barrier": ["0", "0"]}  # a placeholder, so that the statement reads
    statement = Statement(loads(json.dumps(record)))
    values = arb_engine.compute(statement, statement.dps + 40)
    if not values["barrier"][0] > 0:
        raise RuntimeError(f"the barrier is not positive for this seed: {values['barrier']}")
    record["enclosures"] = {name: _outward(low, high, statement.dps) for name, (low, high) in values.items()}
    path.write_text(json.dumps(record, separators=(",", ":")) + "\n", encoding="utf-8")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("widths")
    parser.add_argument("points", type=int)
    parser.add_argument("out")
    parser.add_argument("--activation", default="tanh")
    parser.add_argument("--loss", default="cross_entropy")
    parser.add_argument("--dps", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    widths = tuple(int(w) for w in args.widths.split(","))
    values = write_certificate(
        Path(args.out),
        widths,
        args.points,
        activation=args.activation,
        loss=args.loss,
        dps=args.dps,
        seed=args.seed,
    )
    low, high = values["barrier"]
    print(f"wrote {args.out}: barrier in [{float(low):.6g}, {float(high):.6g}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
