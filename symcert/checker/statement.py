"""A certificate's statement, read strictly: every field is read, checked and means one thing.

:class:`Statement` holds the network, loss, data, exact points, the element,
the parameters, the claim and the claimed enclosures, as exact ``Fraction``
values. Anything malformed raises :class:`CertificateFormatError` (exit code 2).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from symcert.checker import packed
from symcert.checker.arithmetic import Net
from symcert.checker.kind import SECOND_DIFFERENCE, Kind, kind_named
from symcert.checker.losses import NEEDS
from symcert.checker.packed import is_packed
from symcert.checker.points import parse_product
from symcert.checker.reading import (
    CertificateFormatError,
    field,
    integer,
    keys,
    rational,
    rational_list,
    rational_matrix,
)
from symcert.limits import (
    MAX_ENDPOINT_DIGITS,
    MAX_LAYERS,
    MAX_POINTS,
    MAX_WIDTH,
    MAX_WORKING_DPS,
    MIN_DPS,
)

__all__ = ["Statement", "SCHEMA", "VERSION", "STATUSES", "SMOOTH", "SECOND_DIFFERENCE"]

SCHEMA, VERSION = "symcert-certificate", 1
STATUSES = ("proved", "refuted", "undecided")
ACTIVATIONS = ("identity", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "square", "cube")
SMOOTH = ("identity", "tanh", "sigmoid", "softplus", "square", "cube")
_TOP = {
    "schema",
    "version",
    "kind",
    "status",
    "network",
    "loss",
    "data",
    "points",
    "element",
    "parameters",
    "claim",
    "enclosures",
    "dps",
}
_INFORMATIVE = {"notes", "prover"}  # free text for people; they state nothing the checker relies on


def read_net(record: Any, where: str) -> Net:
    """A network specification ``{widths, activation, bias, output_activation}``."""
    if not isinstance(record, dict):
        raise CertificateFormatError(f"{where} must be an object")
    keys(record, {"widths", "activation", "bias", "output_activation"}, set(), where)
    widths_raw = field(record, "widths", list, where)
    if not 2 <= len(widths_raw) <= MAX_LAYERS + 1:
        raise CertificateFormatError(f"{where}.widths must have 2 to {MAX_LAYERS + 1} entries")
    widths = tuple(integer(w, f"{where}.widths", 1, MAX_WIDTH) for w in widths_raw)
    name, _, slope_text = field(record, "activation", str, where).partition(":")
    if name not in ACTIVATIONS:
        raise CertificateFormatError(f"{where}.activation {name[:40]!r} is unknown")
    slope = None
    if name == "leaky_relu":
        slope = rational(slope_text or "1/100", f"{where}.activation slope")
        if not 0 < slope < 1:
            raise CertificateFormatError(f"{where}: the leaky_relu slope must lie in (0, 1)")
    elif slope_text:
        raise CertificateFormatError(f"{where}.activation {name!r} takes no parameter")
    bias = _read_bias(record, widths, where)
    output = field(record, "output_activation", str, where)
    if output not in ("identity", "sigmoid", "softmax"):
        raise CertificateFormatError(f"{where}.output_activation {output[:40]!r} is unknown")
    return Net(widths, name, slope, bias, output)


def _read_bias(record: dict, widths: tuple[int, ...], where: str) -> bool | tuple[bool, ...]:
    """``bias``: true or false for every layer, or a list with one bool per weight layer."""
    value = record.get("bias")
    if isinstance(value, bool):
        return value
    depth = len(widths) - 1
    if "bias" not in record:
        raise CertificateFormatError(f"{where} lacks the field 'bias'")
    if not isinstance(value, list) or not all(isinstance(b, bool) for b in value):
        got = type(value).__name__ if not isinstance(value, list) else "list with a non-boolean entry"
        raise CertificateFormatError(
            f"{where}.bias has the wrong type {got}: it must be true, false or a list of {depth} "
            "booleans (one per weight layer)"
        )
    if len(value) != depth:
        raise CertificateFormatError(
            f"{where}.bias lists {len(value)} booleans, but the network has {depth} weight layers"
        )
    return tuple(value)


def read_point(net: Net, record: Any, where: str, lazy: bool = False) -> list:
    """A point ``{"W1": [[...]], "b1": [...], ...}`` of ``net`` as layers ``(W rows, b or None)``.

    ``lazy``: a packed array stays a checked :class:`~symcert.checker.packed.Packed` (integers over a
    denominator; :func:`exact_layers` makes the ``Fraction`` lists)."""
    if not isinstance(record, dict):
        raise CertificateFormatError(f"{where} must be an object with W1, b1, ...")
    depth = len(net.widths) - 1
    expected = {f"W{l}" for l in range(1, depth + 1)}
    expected |= {f"b{l}" for l in range(1, depth + 1) if net.has_bias(l)}
    if set(record) != expected:
        raise CertificateFormatError(f"{where} must have exactly the keys {sorted(expected)}")
    layers = []
    for l in range(1, depth + 1):
        rows, cols = net.widths[l], net.widths[l - 1]
        weights = _matrix(record[f"W{l}"], rows, cols, f"{where}.W{l}", lazy)
        biases = _vector(record[f"b{l}"], rows, f"{where}.b{l}", lazy) if net.has_bias(l) else None
        layers.append((weights, biases))
    return layers


def exact_layers(layers: list) -> list:
    """Layers read with ``lazy=True`` as nested lists of ``Fraction`` (a packed array converted)."""
    return packed.exact_point(layers)


def _matrix(value: Any, rows: int, cols: int, where: str, lazy: bool = False) -> Any:
    """A matrix given as lists of exact strings or packed (:mod:`symcert.checker.packed`)."""
    if is_packed(value):
        found = packed.read_packed(value, (rows, cols), where)
        return found if lazy else found.exact()
    return rational_matrix(value, rows, cols, where)


def _vector(value: Any, length: int, where: str, lazy: bool = False) -> Any:
    if is_packed(value):
        found = packed.read_packed(value, (length,), where)
        return found if lazy else found.exact()
    return rational_list(value, length, where)


def _rows(data: dict, key: str, cols: int, seen: dict | None = None) -> Any:
    """``data[key]``: lists of exact strings, or packed (kept as integers, :class:`packed.Rows`)."""
    where = f"data.{key}"
    if is_packed(data.get(key)):
        return packed.read_rows(data[key], cols, where)
    rows = field(data, key, list, "data")
    if not 1 <= len(rows) <= MAX_POINTS:
        raise CertificateFormatError(f"{where} must hold 1 to {MAX_POINTS} points")
    return [rational_list(x, cols, f"{where}[{i}]", seen) for i, x in enumerate(rows)]


class Statement:
    """The certificate's statement, read strictly from a parsed JSON object."""

    def __init__(self, record: Any) -> None:
        if not isinstance(record, dict):
            raise CertificateFormatError("a certificate must be a JSON object")
        if record.get("schema") != SCHEMA:
            raise CertificateFormatError(f"not a symcert certificate (schema must be {SCHEMA!r})")
        version = integer(record.get("version"), "version", 0, 10**6)
        if version != VERSION:
            raise CertificateFormatError(
                f"unknown certificate version {version}; this checker reads {VERSION}"
            )
        keys(record, _TOP, _INFORMATIVE, "certificate")
        #: The kind as the file names it (an old name is read as the kind it was renamed to).
        self.stated_kind = field(record, "kind", str, "certificate")
        self.spec: Kind = kind_named(self.stated_kind)
        self.kind = self.spec.name
        self.status = field(record, "status", str, "certificate")
        if self.status not in STATUSES:
            raise CertificateFormatError(
                f"status must be one of {', '.join(STATUSES)}, got {self.status[:40]!r}"
            )
        self._read_claim(field(record, "claim", dict, "certificate"))
        self.net = read_net(field(record, "network", dict, "certificate"), "network")
        self._read_loss(field(record, "loss", dict, "certificate"))
        self._read_data(field(record, "data", dict, "certificate"))
        points = field(record, "points", dict, "certificate")
        keys(points, {"A"}, {"B"}, "points")
        #: The points as read: packed arrays kept as integers (:meth:`layers`); ``A``, ``B`` convert them.
        self._read: dict[str, list | None] = {"A": read_point(self.net, points["A"], "points.A", lazy=True)}
        self._read["B"] = read_point(self.net, points["B"], "points.B", lazy=True) if "B" in points else None
        self._exact: dict[str, list | None] = {}
        if self.spec.needs_B and self._read["B"] is None:
            raise CertificateFormatError(f"a {self.kind} certificate needs points.B")
        self.element = record["element"]
        if self.element is not None:
            if not isinstance(self.element, str):
                raise CertificateFormatError("element must be a string such as 'swap:1:0,1' or null")
            parse_product(self.net, self.element)
        self._read_parameters(field(record, "parameters", dict, "certificate"))
        self.dps = integer(record["dps"], "dps", MIN_DPS, MAX_WORKING_DPS)
        self.claimed = self._read_enclosures(field(record, "enclosures", dict, "certificate"))

    @property
    def A(self) -> list:
        """Point A as layers ``(W rows, b or None)`` of ``Fraction`` (converted on first use)."""
        return self._point("A")

    @A.setter
    def A(self, layers: list) -> None:
        self._read["A"] = self._exact["A"] = layers

    @property
    def B(self) -> list | None:
        """Point B likewise, or None."""
        return self._point("B")

    @B.setter
    def B(self, layers: list | None) -> None:
        self._read["B"] = self._exact["B"] = layers

    def _point(self, name: str) -> Any:
        if name not in self._exact:
            found = self._read[name]
            self._exact[name] = None if found is None else exact_layers(found)
        return self._exact[name]

    def layers(self, name: str) -> list | None:
        """Point ``name`` ("A" or "B") as read: a packed array is a checked
        :class:`~symcert.checker.packed.Packed` (integers over a denominator), the rest ``Fraction`` lists.
        Once ``A`` or ``B`` has been converted, that conversion (which a caller may have changed)."""
        return self._exact.get(name, self._read[name])

    def same_points(self) -> bool:
        """``A == B`` exactly, without converting packed arrays to ``Fraction``."""
        a, b = self.layers("A"), self.layers("B")
        if a is None or b is None:
            return False
        for layer_a, layer_b in zip(a, b):
            for x, y in zip(layer_a, layer_b):
                if isinstance(x, packed.Packed) and isinstance(y, packed.Packed):
                    if not x.same(y):
                        return False
                elif isinstance(x, packed.Packed) or isinstance(y, packed.Packed):
                    return self.A == self.B
                elif x != y:
                    return False
        return True

    @property
    def quantity(self) -> str:
        return self.spec.quantity

    @property
    def relation(self) -> str:
        return self.spec.relation

    def _read_claim(self, claim: dict) -> None:
        keys(claim, {"quantity", "relation", "text"}, set(), "claim")
        quantity, relation, text = self.spec.quantity, self.spec.relation, self.spec.text
        stated = tuple(field(claim, k, str, "claim") for k in ("quantity", "relation", "text"))
        if stated != (quantity, relation, text):
            raise CertificateFormatError(
                f"the claim of a {self.kind} certificate is {quantity} {relation} 0 ({text!r}), "
                f"but the file states {stated[0][:40]!r} {stated[1][:10]!r} 0 ({stated[2][:80]!r})"
            )

    def _read_loss(self, loss: dict) -> None:
        keys(loss, {"kind", "weight_decay"}, {"factor"}, "loss")
        self.loss_kind = field(loss, "kind", str, "loss")
        if self.loss_kind not in NEEDS:
            raise CertificateFormatError(f"unknown loss kind {self.loss_kind[:40]!r}")
        needs = NEEDS[self.loss_kind]
        if needs and self.net.output != needs:
            raise CertificateFormatError(f"the {self.loss_kind} loss needs a {needs} output")
        self.decay = rational(field(loss, "weight_decay", str, "loss"), "loss.weight_decay")
        if self.decay < 0:
            raise CertificateFormatError("loss.weight_decay must be >= 0")
        self.factor = Fraction(1)
        if "factor" in loss:
            self.factor = rational(field(loss, "factor", str, "loss"), "loss.factor")
            if self.factor <= 0:
                raise CertificateFormatError(
                    f"loss.factor must be a rational > 0 multiplying the data term, got {self.factor}; "
                    "omit it for 1"
                )

    def _read_data(self, data: dict) -> None:
        if "ys" in data and "teacher" in data:
            raise CertificateFormatError("data must carry either ys or a teacher, not both")
        keys(data, {"xs"}, {"ys", "teacher"}, "data")
        seen: dict = {}  # data repeat few values
        self.xs = _rows(data, "xs", self.net.widths[0], seen)
        self.teacher = self.teacher_net = self.ys = None
        if "teacher" in data:
            teacher = field(data, "teacher", dict, "data")
            keys(teacher, {"network", "point"}, set(), "data.teacher")
            self.teacher_net = read_net(teacher["network"], "data.teacher.network")
            if (
                self.teacher_net.widths[0] != self.net.widths[0]
                or self.teacher_net.widths[-1] != self.net.widths[-1]
            ):
                raise CertificateFormatError("the teacher's input and output widths must match the network's")
            self.teacher = read_point(self.teacher_net, teacher["point"], "data.teacher.point")
        else:
            ys_raw = data.get("ys")
            if isinstance(ys_raw, list) and len(ys_raw) != len(self.xs):
                raise CertificateFormatError("data.ys must have one target per input")
            self.ys = _rows(data, "ys", self.net.widths[-1], seen)
            if len(self.ys) != len(self.xs):
                raise CertificateFormatError("data.ys must have one target per input")

    def _read_parameters(self, parameters: dict) -> None:
        names = self.spec.parameters
        keys(parameters, set(names), set(self.spec.optional), "parameters")
        self.t0 = rational(parameters["t0"], "parameters.t0") if "t0" in names else Fraction(1, 2)
        self.h = rational(parameters["h"], "parameters.h") if "h" in parameters else None
        if self.h is not None and self.h <= 0:
            raise CertificateFormatError(f"parameters.h must be a positive step, got {self.h}")
        self.layer = (
            integer(parameters["layer"], "parameters.layer", 1, MAX_LAYERS) if "layer" in names else 1
        )
        self.spec.read(self, parameters)  # what the kind reads beyond these

    def _read_enclosures(self, record: dict) -> dict[str, tuple[Fraction, Fraction]]:
        allowed = self.spec.enclosures
        out = {}
        for name, pair in record.items():
            if name not in allowed:
                raise CertificateFormatError(f"unknown enclosure {name[:40]!r} for a {self.kind} certificate")
            if not isinstance(pair, list) or len(pair) != 2:
                raise CertificateFormatError(f"enclosure {name!r} must be a pair [lower, upper]")
            lower = rational(pair[0], f"{name} lower", MAX_ENDPOINT_DIGITS)
            upper = rational(pair[1], f"{name} upper", MAX_ENDPOINT_DIGITS)
            if lower > upper:
                raise CertificateFormatError(f"enclosure {name!r} has lower > upper")
            out[name] = (lower, upper)
        if SECOND_DIFFERENCE in out and self.h is None:
            raise CertificateFormatError(
                f"the enclosure {SECOND_DIFFERENCE!r} needs parameters.h, the step of the chord it encloses"
            )
        if self.status == "proved" and self.quantity not in out:
            raise CertificateFormatError(f"a proved certificate must claim an enclosure of {self.quantity!r}")
        return out

    def size(self) -> tuple[int, int]:
        """``(parameters, data points)``: what the checker's work grows with."""
        return self.net.n_parameters, len(self.xs)


def __getattr__(name: str) -> Any:
    """``KINDS`` and ``CLAIMS``, deprecated: each kind declares itself in :mod:`symcert.checker.kinds`."""
    if name in ("KINDS", "CLAIMS"):
        import warnings

        from symcert.checker.kind import kind_named, registered

        warnings.warn(
            f"symcert.checker.statement.{name} is deprecated; use symcert.checker.kinds.kind_named(name)",
            DeprecationWarning,
            stacklevel=2,
        )
        kinds = [kind_named(k) for k in registered()]
        if name == "KINDS":
            return tuple(k.name for k in kinds)
        return {k.name: (k.quantity, k.relation, k.text, k.enclosures, k.parameters) for k in kinds}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
