"""Re-check a certificate from its statement alone, and accept only what is re-proved.

Usage: ``check(path_or_dict)`` returns a :class:`CheckResult`; a malformed
certificate raises :class:`CertificateFormatError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from fractions import Fraction
from pathlib import Path
from typing import Any

from mpmath.ctx_iv import MPIntervalContext
from mpmath.libmp import finf, fnan, fninf
from mpmath.libmp import to_rational as raw_to_rational

from symcert.checker.arithmetic import Jet, Net, loss_value
from symcert.checker.points import apply_element, combine, is_symmetry, orbit_mean
from symcert.checker.reading import (
    CertificateFormatError,
    field,
    rational,
    rational_list,
    rational_matrix,
)

__all__ = ["check", "CheckResult", "CertificateFormatError", "SCHEMA", "VERSION"]

SCHEMA, VERSION = "symcert-certificate", 1
MAX_FILE_BYTES = 5_000_000
MAX_WIDTH, MAX_LAYERS, MAX_POINTS = 256, 8, 4096
KINDS = ("chord", "curvature", "hessian", "orbit", "critical")
ACTIVATIONS = ("identity", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "square", "cube")
SMOOTH = ("identity", "tanh", "sigmoid", "softplus", "square", "cube")
# The quantity each kind decides, its relation to 0, and the enclosures a certificate may claim.
CLAIMS = {
    "chord": ("barrier", ">", ("L(A)", "L(B)", "L(M)", "barrier")),
    "curvature": ("phi''(t0)", "<", ("phi''(t0)",)),
    "hessian": ("dHd", "<", ("dHd",)),
    "orbit": ("gap", ">", ("L(A)", "L(mean)", "gap")),
    "critical": ("phi'(t0)", "!=", ("phi'(t0)",)),
}


@dataclass
class CheckResult:
    """The checker's verdict: ``accepted``, and why (``reasons``), with its own enclosures."""

    accepted: bool
    kind: str
    reasons: list[str] = dataclass_field(default_factory=list)
    enclosures: dict[str, tuple[Fraction, Fraction]] = dataclass_field(default_factory=dict)
    dps: int = 0


def check(source: str | Path | dict) -> CheckResult:
    """Check a certificate given as a path to a JSON file or as an already-parsed dict."""
    record = _load(source)
    statement = _Statement(record)
    return statement.verify()


def _load(source: str | Path | dict) -> dict:
    if isinstance(source, dict):
        return source
    path = Path(source)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CertificateFormatError(f"{path} is larger than {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CertificateFormatError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise CertificateFormatError(f"{path} is not UTF-8 text") from None
    try:
        # Numbers stay text (no float rounding, no huge-integer parsing); fields are read strictly.
        record = json.loads(text, parse_float=str, parse_int=str, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise CertificateFormatError(f"{path} is not valid JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(record, dict):
        raise CertificateFormatError(f"{path} must hold a JSON object")
    return record


def _reject_constant(name: str) -> None:
    raise CertificateFormatError(f"the JSON constant {name} is not allowed")


def _integer(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise CertificateFormatError(f"{where} must be an integer, got a boolean")
    if isinstance(value, str) and value.lstrip("-").isdigit() and len(value) < 8:
        value = int(value)
    if not isinstance(value, int) or not low <= value <= high:
        raise CertificateFormatError(f"{where} must be an integer from {low} to {high}, got {value!r}")
    return value


def _read_net(record: Any, where: str) -> Net:
    widths_raw = field(record, "widths", list, where)
    if not 2 <= len(widths_raw) <= MAX_LAYERS + 1:
        raise CertificateFormatError(f"{where}.widths must have 2 to {MAX_LAYERS + 1} entries")
    widths = tuple(_integer(w, f"{where}.widths", 1, MAX_WIDTH) for w in widths_raw)
    name, _, slope_text = field(record, "activation", str, where).partition(":")
    if name not in ACTIVATIONS:
        raise CertificateFormatError(f"{where}.activation {name!r} is unknown")
    slope = None
    if name == "leaky_relu":
        slope = rational(slope_text or "1/100", f"{where}.activation slope")
        if not 0 < slope < 1:
            raise CertificateFormatError(f"{where}: the leaky_relu slope must lie in (0, 1)")
    elif slope_text:
        raise CertificateFormatError(f"{where}.activation {name!r} takes no parameter")
    bias = field(record, "bias", bool, where)
    output = field(record, "output_activation", str, where)
    if output not in ("identity", "sigmoid", "softmax"):
        raise CertificateFormatError(f"{where}.output_activation {output!r} is unknown")
    return Net(widths, name, slope, bias, output)


def _read_point(net: Net, record: Any, where: str) -> list:
    if not isinstance(record, dict):
        raise CertificateFormatError(f"{where} must be an object with W1, b1, ...")
    depth = len(net.widths) - 1
    expected = {f"W{l}" for l in range(1, depth + 1)} | (
        {f"b{l}" for l in range(1, depth + 1)} if net.bias else set()
    )
    if set(record) != expected:
        raise CertificateFormatError(f"{where} must have exactly the keys {sorted(expected)}")
    layers = []
    for l in range(1, depth + 1):
        rows, cols = net.widths[l], net.widths[l - 1]
        weights = rational_matrix(record[f"W{l}"], rows, cols, f"{where}.W{l}")
        biases = rational_list(record[f"b{l}"], rows, f"{where}.b{l}") if net.bias else None
        layers.append((weights, biases))
    return layers


class _Statement:
    """The certificate's statement, read strictly."""

    def __init__(self, record: dict) -> None:
        if record.get("schema") != SCHEMA:
            raise CertificateFormatError(f"not a symcert certificate (schema must be {SCHEMA!r})")
        version = _integer(record.get("version"), "version", 0, 10**6)
        if version != VERSION:
            raise CertificateFormatError(
                f"unknown certificate version {version}; this checker reads {VERSION}"
            )
        self.kind = field(record, "kind", str, "certificate")
        if self.kind not in KINDS:
            raise CertificateFormatError(f"unknown certificate kind {self.kind!r}")
        self.net = _read_net(field(record, "network", dict, "certificate"), "network")
        loss = field(record, "loss", dict, "certificate")
        self.loss_kind = field(loss, "kind", str, "loss")
        if self.loss_kind not in ("mse", "sse", "bce", "cross_entropy"):
            raise CertificateFormatError(f"unknown loss kind {self.loss_kind!r}")
        needs = {"bce": "sigmoid", "cross_entropy": "softmax"}.get(self.loss_kind)
        if needs and self.net.output != needs:
            raise CertificateFormatError(f"the {self.loss_kind} loss needs a {needs} output")
        self.decay = rational(field(loss, "weight_decay", str, "loss"), "loss.weight_decay")
        if self.decay < 0:
            raise CertificateFormatError("loss.weight_decay must be >= 0")
        self._read_data(field(record, "data", dict, "certificate"))
        points = field(record, "points", dict, "certificate")
        self.A = _read_point(self.net, field(points, "A", dict, "points"), "points.A")
        self.B = _read_point(self.net, points["B"], "points.B") if "B" in points else None
        self.element = record.get("element")
        if self.element is not None and not isinstance(self.element, str):
            raise CertificateFormatError("element must be a string or null")
        parameters = record.get("parameters", {})
        if not isinstance(parameters, dict):
            raise CertificateFormatError("parameters must be an object")
        self.t0 = rational(parameters.get("t0", "1/2"), "parameters.t0")
        self.layer = _integer(parameters.get("layer", 1), "parameters.layer", 1, MAX_LAYERS)
        self.dps = _integer(record.get("dps", 50), "dps", 10, 1000)
        self.claimed = self._read_enclosures(field(record, "enclosures", dict, "certificate"))
        if self.kind != "orbit" and self.B is None:
            raise CertificateFormatError(f"a {self.kind} certificate needs points.B")

    def _read_data(self, data: dict) -> None:
        xs_raw = field(data, "xs", list, "data")
        if not 1 <= len(xs_raw) <= MAX_POINTS:
            raise CertificateFormatError(f"data.xs must hold 1 to {MAX_POINTS} points")
        self.xs = [rational_list(x, self.net.widths[0], f"data.xs[{i}]") for i, x in enumerate(xs_raw)]
        self.teacher = None
        if "teacher" in data:
            teacher = field(data, "teacher", dict, "data")
            self.teacher_net = _read_net(
                field(teacher, "network", dict, "data.teacher"), "data.teacher.network"
            )
            if (
                self.teacher_net.widths[0] != self.net.widths[0]
                or self.teacher_net.widths[-1] != self.net.widths[-1]
            ):
                raise CertificateFormatError("the teacher's input and output widths must match the network's")
            self.teacher = _read_point(self.teacher_net, teacher.get("point"), "data.teacher.point")
            self.ys = None
        else:
            ys_raw = field(data, "ys", list, "data")
            if len(ys_raw) != len(self.xs):
                raise CertificateFormatError("data.ys must have one target per input")
            self.ys = [rational_list(y, self.net.widths[-1], f"data.ys[{i}]") for i, y in enumerate(ys_raw)]

    def _read_enclosures(self, record: dict) -> dict[str, tuple[Fraction, Fraction]]:
        allowed = CLAIMS[self.kind][2]
        out = {}
        for name, pair in record.items():
            if name not in allowed:
                raise CertificateFormatError(f"unknown enclosure {name!r} for a {self.kind} certificate")
            if not isinstance(pair, list) or len(pair) != 2:
                raise CertificateFormatError(f"enclosure {name!r} must be a pair [lower, upper]")
            lower, upper = rational(pair[0], f"{name} lower"), rational(pair[1], f"{name} upper")
            if lower > upper:
                raise CertificateFormatError(f"enclosure {name!r} has lower > upper")
            out[name] = (lower, upper)
        if CLAIMS[self.kind][0] not in out:
            raise CertificateFormatError(
                f"the certificate must claim an enclosure of {CLAIMS[self.kind][0]!r}"
            )
        return out

    # -- recomputation ------------------------------------------------------------

    def verify(self) -> CheckResult:
        quantity, relation, _ = CLAIMS[self.kind]
        result = CheckResult(False, self.kind)
        try:
            structural = self._structural_checks()
        except CertificateFormatError as error:
            result.reasons.append(str(error))
            return result
        result.reasons.extend(structural)
        for dps in (max(self.dps, 30) + 20, 2 * max(self.dps, 30) + 40):
            try:
                values = self._compute(_context(dps))
            except (ArithmeticError, ValueError, ZeroDivisionError) as error:
                result.reasons = [*structural, f"cannot evaluate at {dps} digits: {error}"]
                continue
            result.enclosures, result.dps = values, dps
            lower, upper = values[quantity]
            decided = {">": lower > 0, "<": upper < 0, "!=": lower > 0 or upper < 0}[relation]
            if decided:
                break
        if not result.enclosures:
            return result
        lower, upper = result.enclosures[quantity]
        decided = {">": lower > 0, "<": upper < 0, "!=": lower > 0 or upper < 0}[relation]
        problems = [r for r in result.reasons if r.startswith("REJECT")]
        if not decided:
            problems.append(
                f"REJECT: {quantity} in [{float(lower):.6g}, {float(upper):.6g}] is not {relation} 0"
            )
        for name, (claimed_low, claimed_high) in self.claimed.items():
            low, high = result.enclosures[name]
            if not (claimed_low <= low and high <= claimed_high):
                problems.append(
                    f"REJECT: the claimed enclosure of {name} does not contain the recomputed one"
                )
        result.accepted = not problems
        result.reasons = [r for r in result.reasons if not r.startswith("REJECT")] + problems
        if result.accepted:
            result.reasons.append(f"re-proved: {quantity} {relation} 0 at {result.dps} digits")
        return result

    def _structural_checks(self) -> list[str]:
        notes = []
        if self.element is not None and self.B is not None:
            image = apply_element(self.net, self.A, self.element)
            if image != self.B:
                notes.append(f"REJECT: B is not the image of A under {self.element}")
            else:
                notes.append(f"B = {self.element}(A) exactly")
        if self.kind in ("curvature", "hessian", "critical") and self.net.activation not in SMOOTH:
            notes.append(
                f"REJECT: {self.kind} certificates need a smooth activation, not {self.net.activation}"
            )
        if self.kind == "curvature" and not 0 <= self.t0 <= 1:
            notes.append("REJECT: t0 must lie in [0, 1]")
        if self.kind == "orbit" and not 1 <= self.layer < len(self.net.widths) - 1:
            notes.append("REJECT: parameters.layer is not a hidden layer")
        if self.kind == "critical":
            notes.extend(self._critical_premises())
        return notes

    def _critical_premises(self) -> list[str]:
        reasons = []
        if not 0 < self.t0 < 1:
            reasons.append("REJECT: t0 must lie strictly between 0 and 1")
        if self.teacher is None or self.teacher_net != self.net or self.teacher != self.A:
            reasons.append("REJECT: a critical certificate needs A to be the teacher point of teacher data")
        if self.loss_kind not in ("mse", "sse") or self.decay != 0:
            reasons.append("REJECT: a critical certificate needs an mse or sse loss without weight decay")
        if self.element is None or not is_symmetry(self.net, self.element):
            reasons.append("REJECT: a critical certificate needs B = g(A) for a symmetry g of the network")
        if self.B == self.A:
            reasons.append("REJECT: A and B must be distinct")
        if not reasons:
            reasons.append(
                "A is the teacher: every residual vanishes, L(A) = 0 = min L, so grad L(A) = 0; "
                "B = g(A) for a symmetry g, so L(B) = 0 and grad L(B) = 0"
            )
        return reasons

    def _targets(self, ctx: Any) -> list:
        if self.teacher is None:
            return [[_exact(ctx, v) for v in y] for y in self.ys]
        layers = _layers_in(ctx, self.teacher)
        return [
            self.teacher_net.outputs(
                ctx, self.teacher_net.forward_z(ctx, layers, [_exact(ctx, v) for v in x])
            )
            for x in self.xs
        ]

    def _loss(self, ctx: Any, layers: list, ys: list) -> Any:
        xs = [[_exact(ctx, v) for v in x] for x in self.xs]
        return loss_value(ctx, self.net, layers, self.loss_kind, self.decay, xs, ys)

    def _compute(self, ctx: Any) -> dict[str, tuple[Fraction, Fraction]]:
        ys = self._targets(ctx)
        if self.kind == "chord":
            middle = combine(self.A, self.B, Fraction(1, 2))
            la, lb = (
                self._loss(ctx, _layers_in(ctx, self.A), ys),
                self._loss(ctx, _layers_in(ctx, self.B), ys),
            )
            lm = self._loss(ctx, _layers_in(ctx, middle), ys)
            return _bounds({"L(A)": la, "L(B)": lb, "L(M)": lm, "barrier": lm - (la + lb) / 2})
        if self.kind == "orbit":
            mean = orbit_mean(self.A, self.layer)
            la = self._loss(ctx, _layers_in(ctx, self.A), ys)
            lm = self._loss(ctx, _layers_in(ctx, mean), ys)
            return _bounds({"L(A)": la, "L(mean)": lm, "gap": lm - la})
        t = Fraction(1, 2) if self.kind == "hessian" else self.t0
        jet = self._loss(ctx, _segment_jets(ctx, self.A, self.B, t), ys)
        if self.kind == "critical":
            return _bounds({"phi'(t0)": jet.c1})
        name = "dHd" if self.kind == "hessian" else "phi''(t0)"
        return _bounds({name: 2 * jet.c2})


def _context(dps: int) -> MPIntervalContext:
    ctx = MPIntervalContext()
    ctx.dps = dps
    return ctx


def _exact(ctx: Any, value: Fraction) -> Any:
    return ctx.mpf(value.numerator) / value.denominator


def _layers_in(ctx: Any, layers: list) -> list:
    return [
        (
            [[_exact(ctx, w) for w in row] for row in weights],
            None if b is None else [_exact(ctx, v) for v in b],
        )
        for weights, b in layers
    ]


def _segment_jets(ctx: Any, a: list, b: list, t: Fraction) -> list:
    zero = ctx.mpf(0)

    def jet(u: Fraction, v: Fraction) -> Jet:
        return Jet(_exact(ctx, u + t * (v - u)), _exact(ctx, v - u), zero)

    return [
        (
            [[jet(u, v) for u, v in zip(ra, rb)] for ra, rb in zip(wa, wb)],
            None if ba is None else [jet(u, v) for u, v in zip(ba, bb)],
        )
        for (wa, ba), (wb, bb) in zip(a, b)
    ]


def _bounds(values: dict[str, Any]) -> dict[str, tuple[Fraction, Fraction]]:
    out = {}
    for name, enclosure in values.items():
        low, high = enclosure._mpi_
        if any(raw in (finf, fninf, fnan) for raw in (low, high)):
            raise ArithmeticError(f"the enclosure of {name} is unbounded")
        out[name] = (Fraction(*raw_to_rational(low)), Fraction(*raw_to_rational(high)))
    return out
