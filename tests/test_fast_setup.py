"""The fast set-up from files: the same exact engine inputs, and the same certificates, as the slow route.

Float arrays become int64 numerators in a few vectorised passes (``dyadic_int64``), exact layouts
make their Python ints only when read, and the float64 rung converts from int64: each is checked
here against the entry-by-entry route and against ``Fraction``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from symcert import MLP, Dataset, Loss, certify_nonconvexity, swap
from symcert.errors import SpecificationError
from symcert.models.data import _dyadic, load_data
from symcert.models.loaders import load_weights
from symcert.numeric.engine.backends import F64Backend
from symcert.numeric.engine.f64 import F64
from symcert.numeric.engine.layout import Exact, point_layout
from symcert.symbolic.array_point import _exact_integers_per_entry, dyadic_int64, exact_integers

RNG = np.random.default_rng(11)

ARRAYS = {
    "float32-weights": RNG.normal(0, 0.05, (40, 30)).astype(np.float32),
    "float64-weights": RNG.normal(0, 0.05, (40, 30)),
    "float32-as-float64": RNG.normal(0, 0.05, (40, 30)).astype(np.float32).astype(np.float64),
    "pixels": RNG.integers(0, 256, (20, 30)) / 255.0,
    "mixed-scales": RNG.normal(size=(10, 4)).astype(np.float32)
    * np.array([1e-30, 1e-6, 1.0, 1e30], np.float32),
    "subnormal": np.array([5e-324, -1e-310, 0.0, 1e-300]),
    "float32-subnormal": np.array([1e-45, -3e-42, 0.5], dtype=np.float32),
    "integers": np.array([3.0, -(2.0**60), 0.0, 7.0]),
    "huge": np.array([2.0**100, 1.0, -0.5]),
    "zeros": np.zeros((3, 2)),
    "one-value": np.array([0.1]),
    "float16": RNG.normal(size=50).astype(np.float16),
}


def _fractions(num: np.ndarray, den: int) -> list[Fraction]:
    return [Fraction(int(n), den) for n in num.ravel().tolist()]


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_exact_integers_are_the_entry_by_entry_integers_and_the_floats_rationals(name):
    a = ARRAYS[name]
    fast = exact_integers(a, "W")
    slow = _exact_integers_per_entry(a.shape, a.astype(np.float64))
    assert fast.den == slow.den and fast.num.dtype == slow.num.dtype
    assert np.array_equal(fast.num, slow.num)
    assert _fractions(fast.num, fast.den) == [Fraction(float(v)) for v in a.ravel()]


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_the_least_denominator_is_found(name):
    a = ARRAYS[name].astype(np.float64)
    found = dyadic_int64(a)
    exact = [Fraction(float(v)) for v in a.ravel()]
    if found is None:  # numerators at or near 2^62 (|v| < 2^e_max bounds them): the callers' own routes
        assert max(f.denominator for f in exact) * max(abs(f) for f in exact) >= 2**61
        return
    num, k = found
    assert num.dtype == np.int64 and 2**k == max(Fraction(float(v)).denominator for v in a.ravel())
    assert _fractions(num, 2**k) == [Fraction(float(v)) for v in a.ravel()]


def test_a_wrong_count_of_significant_bits_is_never_trusted_past_the_values():
    """``bits`` only widens the ranges let through; a value with more bits than claimed is still exact."""
    a = np.array([1.0 + 2.0**-40, 2.0**-3])  # 41 significant bits, claimed 24
    num, k = dyadic_int64(a, 53)
    assert _fractions(num, 2**k) == [Fraction(float(v)) for v in a]


@pytest.mark.parametrize("name", ["pixels", "float64-weights", "mixed-scales", "zeros"])
def test_data_numerators_are_the_rationals(name):
    a = ARRAYS[name].astype(np.float64)
    found = _dyadic(a)
    if found is not None:
        assert _fractions(*found) == [Fraction(float(v)) for v in a.ravel()]


def test_an_int64_layout_makes_its_python_ints_only_when_read():
    ints = np.array([[3, -1], [2**61, 0]], dtype=np.int64)
    lazy = Exact.from_int64(ints, 8)
    assert lazy._num is None and lazy.shape == (2, 2) and lazy.max_abs_num() == 2**61
    eager = Exact(ints.astype(object), 8)
    bk = F64Backend()
    for a, b in ((bk.array(lazy), bk.array(eager)),):
        assert np.array_equal(a.lo, b.lo) and np.array_equal(a.hi, b.hi)
    assert lazy._num is None  # the float64 rung did not need them
    assert lazy.num.tolist() == eager.num.tolist() and type(lazy.num[1, 0]) is int


def test_an_exact_stack_is_one_array_and_an_interval_stack_keeps_both_ends():
    bk = F64Backend()
    exact = bk.stack([F64.exact(np.ones(2)), F64.exact(np.zeros(2))])
    assert exact.lo is exact.hi and exact.lo.tolist() == [[1.0, 1.0], [0.0, 0.0]]
    mixed = bk.stack([F64.exact(np.ones(2)), F64(np.zeros(2), np.ones(2))])
    assert mixed.lo is not mixed.hi and mixed.hi.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def _files(tmp_path, seed: int, widths: tuple[int, ...]):
    rng = np.random.default_rng(seed)
    arrays = {}
    for l in range(1, len(widths)):
        arrays[f"W{l}"] = rng.normal(0, 1, (widths[l], widths[l - 1])).astype(np.float32)
        arrays[f"b{l}"] = rng.normal(0, 0.1, widths[l]).astype(np.float32)
    model, data = tmp_path / "m.npz", tmp_path / "d.npz"
    np.savez(model, activation=np.array("tanh"), **arrays)
    X = rng.integers(0, 256, (12, widths[0])) / 255.0
    y = rng.integers(0, widths[-1], 12)
    np.savez(data, X=X, y=y)
    return model, data, arrays, X, y


@pytest.mark.parametrize("seed, widths", [(0, (3, 4, 3)), (1, (5, 6, 4, 3)), (2, (4, 3, 2))])
def test_files_give_the_sympy_routes_layouts_and_certificate(tmp_path, seed, widths):
    model, data, arrays, X, y = _files(tmp_path, seed, widths)
    mlp, A = load_weights(model, output_activation="softmax", on_missing="error")
    loss = Loss(mlp, load_data(data, mlp, "cross_entropy"), "cross_entropy")
    B = swap(1, 0, 1)(A)
    # the slow route: SymPy rationals of every float, a plain Point and a plain Dataset
    net = MLP(widths, "tanh", output_activation="softmax")
    values = {
        k: [[Fraction(float(v)) for v in row] for row in a]
        if a.ndim == 2
        else [Fraction(float(v)) for v in a]
        for k, a in arrays.items()
    }
    A_slow = net.point(**values)
    onehot = np.eye(widths[-1], dtype=int)[y].tolist()
    loss_slow = Loss(net, Dataset([[Fraction(float(v)) for v in row] for row in X], onehot), "cross_entropy")
    assert type(A).__name__ == "ArrayPoint" and type(A_slow).__name__ == "Point"
    for fast, slow in zip(point_layout(A).layers, point_layout(A_slow).layers):
        assert fast.W.as_fractions() == slow.W.as_fractions()
        assert fast.b.as_fractions() == slow.b.as_fractions()
    cert = certify_nonconvexity(loss, A, B=B, kind="chord")
    slow_cert = certify_nonconvexity(loss_slow, A_slow, element=swap(1, 0, 1), kind="chord")
    assert cert.status == slow_cert.status
    assert cert.enclosures == slow_cert.enclosures


def test_bad_weight_and_data_files_are_refused_clearly(tmp_path):
    model, _, arrays, X, y = _files(tmp_path, 3, (3, 4, 3))
    bad = dict(arrays, W1=np.where(np.eye(4, 3, dtype=bool), np.nan, arrays["W1"]).astype(np.float32))
    np.savez(tmp_path / "nan.npz", activation=np.array("tanh"), **bad)
    with pytest.raises(SpecificationError, match="NaN"):
        load_weights(tmp_path / "nan.npz", on_missing="error")
    np.savez(tmp_path / "text.npz", activation=np.array("tanh"), **dict(arrays, b1=np.array(["a"] * 4)))
    with pytest.raises(SpecificationError, match="real numbers"):
        load_weights(tmp_path / "text.npz", on_missing="error")
    mlp, _ = load_weights(model, output_activation="softmax", on_missing="error")
    np.savez(tmp_path / "inf.npz", X=np.where(X > 0.5, np.inf, X), y=y)
    with pytest.raises(SpecificationError, match="NaN or infinite"):
        load_data(tmp_path / "inf.npz", mlp, "cross_entropy")
    np.savez(tmp_path / "short.npz", X=X[:, :2], y=y)
    with pytest.raises(SpecificationError, match="input layer takes 3"):
        load_data(tmp_path / "short.npz", mlp, "cross_entropy")


@pytest.mark.parametrize("seed, widths", [(4, (3, 8, 3)), (5, (5, 6, 4, 3))])
def test_points_one_by_one_give_the_stacked_passes_enclosures(tmp_path, seed, widths, monkeypatch):
    import symcert.numeric.engine.api as api

    model, data, *_ = _files(tmp_path, seed, widths)
    mlp, A = load_weights(model, output_activation="softmax", on_missing="error")
    loss = Loss(mlp, load_data(data, mlp, "cross_entropy"), "cross_entropy")
    B = swap(1, 0, 1)(A)
    stacked = certify_nonconvexity(loss, A, B=B, kind="chord")
    monkeypatch.setattr(api, "STACK_ENTRIES", 0)  # every float64 batch one point after the other
    looped = certify_nonconvexity(loss, A, B=B, kind="chord")
    assert looped.status == stacked.status and looped.enclosures == stacked.enclosures


# -- the sum over data points a block of rows at a time ---------------------------------------------


def _taylor_network(X, params, direction):
    """Exact Taylor coefficients ``(c0, c1, c2)`` of the outputs of a ``square``-activation network along
    ``params + s direction`` (identity output): ``q(s) = c0 + c1 s + c2 s^2 + O(s^3)``, in Fractions."""
    a = (X, np.zeros_like(X), np.zeros_like(X))
    depth = len(params)
    for l, ((W, b), (dW, db)) in enumerate(zip(params, direction), start=1):
        z0 = a[0] @ W.T + b
        z1 = a[0] @ dW.T + a[1] @ W.T + db
        z2 = a[1] @ dW.T + a[2] @ W.T
        a = (z0 * z0, 2 * z0 * z1, 2 * z0 * z2 + z1 * z1) if l < depth else (z0, z1, z2)
    return a


def _exact_jets(loss, X, Y, params, direction):
    """``phi(0), phi'(0), phi''(0)`` of the mse loss along the direction, exactly."""
    f0, f1, f2 = _taylor_network(X, params, direction)
    r = f0 - Y
    scale = Fraction(int(loss.scale.p), int(loss.scale.q))
    return [
        scale * Fraction(v) for v in ((r * r).sum(), 2 * (r * f1).sum(), 2 * (f1 * f1 + 2 * r * f2).sum())
    ]


def _fractions_array(rows):
    return np.array([[Fraction(int(v)) for v in row] for row in rows], dtype=object)


def _layers(mlp, values):
    out, at = [], 0
    for l in range(1, mlp.depth + 1):
        rows, cols = mlp.widths[l], mlp.widths[l - 1]
        W = np.array(values[at : at + rows * cols], dtype=object).reshape(rows, cols)
        at += rows * cols
        out.append((W, np.array(values[at : at + rows], dtype=object)))
        at += rows
    return out


@pytest.mark.parametrize("data_kind", ["floats-from-file", "thirds"])
def test_row_blocks_give_enclosures_of_the_exact_jets_as_tight_as_one_block(tmp_path, monkeypatch, data_kind):
    """Forced to blocks of 3 rows (14 blocks of 40 points), every float64 enclosure still holds the exact
    value (a polynomial network: exact in Fractions), agrees with the one-block pass, and is no wider
    than twice its width; a dropped or repeated block, or an unsound sum, fails here."""
    import symcert.numeric.engine.network as network
    from symcert.numeric.engine.api import jet_bounds, losses_bounds, segment_ranges
    from symcert.numeric.engine.layout import combine, exact_layout

    rng = np.random.default_rng(3)
    widths, n = (4, 5, 3, 2), 40
    net = MLP(widths, "square")
    if data_kind == "floats-from-file":
        np.savez(tmp_path / "d.npz", X=rng.integers(-8, 9, (n, 4)) / 8.0, y=rng.integers(-4, 5, (n, 2)) / 4.0)
        data = load_data(tmp_path / "d.npz", net, "mse")
        assert data.float_rows(0, n) is not None  # the float64 rung reads the file's floats
        X = _fractions_array(data.integer_rows(0, n)[0]) / data.integer_rows(0, n)[1]
        Y = _fractions_array(data.integer_rows(0, n)[2]) / data.integer_rows(0, n)[3]
    else:
        X = _fractions_array(rng.integers(-6, 7, (n, 4))) / 3
        Y = _fractions_array(rng.integers(-3, 4, (n, 2))) / 3
        data = Dataset(X.tolist(), Y.tolist())
    loss = Loss(net, data, "mse")
    count = net.n_parameters
    a_values = [Fraction(int(v), 4) for v in rng.integers(-3, 4, count)]
    b_values = [Fraction(int(v), 4) for v in rng.integers(-3, 4, count)]
    la, lb = exact_layout(net, a_values), exact_layout(net, b_values)
    direction = [b - a for a, b in zip(a_values, b_values)]
    exact = _exact_jets(loss, X, Y, _layers(net, a_values), _layers(net, direction))
    exact_at = {
        t: _exact_jets(
            loss,
            X,
            Y,
            _layers(net, [a + t * d for a, d in zip(a_values, direction)]),
            _layers(net, direction),
        )
        for t in (Fraction(0), Fraction(1, 2), Fraction(1))
    }
    bk = F64Backend()
    intervals = [(Fraction(0), Fraction(1, 2)), (Fraction(1, 2), Fraction(1))]

    def passes():
        return (
            jet_bounds(bk, loss, la, combine(la, lb, Fraction(1), Fraction(-1))),
            losses_bounds(bk, loss, [combine(la, lb, t) for t in exact_at]),
            segment_ranges(bk, loss, la, lb, intervals),
        )

    one_block = passes()
    calls = []
    real = network._network
    monkeypatch.setattr(network, "_network", lambda *a, **k: calls.append(a[2].shape[0]) or real(*a, **k))
    monkeypatch.setattr(network, "BLOCK_ENTRIES", 1)
    monkeypatch.setattr(network, "MIN_BLOCK_ROWS", 3)
    blocked = passes()
    assert calls[:14] == [3] * 13 + [1]  # 14 blocks of rows: 13 of 3 and the last one

    def check(enclosures, reference, one):
        for (lo, hi), value, (lo1, hi1) in zip(enclosures, reference, one):
            assert lo <= value <= hi and lo1 <= value <= hi1
            assert hi - lo <= 2 * (hi1 - lo1) + Fraction(1, 2**1000)

    check(blocked[0], exact, one_block[0])
    check(blocked[1], [exact_at[t][0] for t in exact_at], one_block[1])
    for (t0, t1), ranges, ranges1 in zip(intervals, blocked[2], one_block[2]):
        for t in (t0, (t0 + t1) / 2, t1):
            if t in exact_at:  # the range over [t0, t1] holds phi, phi', phi'' at each t in it
                check(ranges, exact_at[t], ranges1)


def test_row_blocks_and_data_chunks_give_the_certificate_of_one_pass(tmp_path, monkeypatch):
    """The file route's certificate is the same forced to row blocks, and within streamed chunks."""
    import symcert.numeric.engine.network as network
    from symcert.numeric.engine.chunks import streaming

    model, data, *_ = _files(tmp_path, 6, (5, 6, 4, 3))
    mlp, A = load_weights(model, output_activation="softmax", on_missing="error")
    loss = Loss(mlp, load_data(data, mlp, "cross_entropy"), "cross_entropy")
    B = swap(1, 0, 1)(A)
    whole = certify_nonconvexity(loss, A, B=B, kind="chord")
    monkeypatch.setattr(network, "BLOCK_ENTRIES", 1)
    monkeypatch.setattr(network, "MIN_BLOCK_ROWS", 5)
    blocked = certify_nonconvexity(loss, A, B=B, kind="chord")
    with streaming(chunk_size=7):
        chunked = certify_nonconvexity(loss, A, B=B, kind="chord")
    assert blocked.status == chunked.status == whole.status != "undecided"
    assert blocked.enclosures.keys() == chunked.enclosures.keys() == whole.enclosures.keys()
    for name, (lo, hi) in whole.enclosures.items():
        (lo1, hi1), (lo2, hi2) = blocked.enclosures[name], chunked.enclosures[name]
        assert max(lo, lo1, lo2) <= min(hi, hi1, hi2)  # each encloses the same real number


def test_the_float64_rung_reads_a_files_floats_and_only_exact_ones(tmp_path):
    from symcert.numeric.engine.layout import data_layout
    from symcert.symbolic.integer_data import IntegerDataset

    X = RNG.integers(0, 256, (30, 7)) / 255.0
    np.savez(tmp_path / "d.npz", X=X, y=RNG.integers(0, 3, 30))
    data = load_data(tmp_path / "d.npz", MLP((7, 4, 3), "tanh", output_activation="softmax"), "cross_entropy")
    num, den = data.integer_rows(0, 30)[:2]
    assert np.array_equal(data.float_rows(0, 30), X)
    assert _fractions(num, den) == [Fraction(float(v)) for v in X.ravel()]
    inputs = data_layout(data).X
    enclosure = F64Backend().array(inputs.rows(10, 20))
    assert enclosure.lo is enclosure.hi and np.array_equal(enclosure.lo, X[10:20])
    assert np.shares_memory(enclosure.lo, data.float_rows(0, 30))  # the file's floats, not a conversion
    wrong = X.copy()
    wrong[3, 4] = np.nextafter(wrong[3, 4], 1.0)  # one float off: no floats kept, the integers converted
    assert (
        IntegerDataset.with_floats(wrong, num.copy(), den, np.zeros((30, 1), dtype=np.int64), 1).float_rows(
            0, 30
        )
        is None
    )


def test_numerators_made_a_block_at_a_time_are_the_same(monkeypatch):
    import symcert.symbolic.array_point as array_point

    monkeypatch.setattr(array_point, "_BLOCK", 7)
    for name, a in ARRAYS.items():
        found = dyadic_int64(a.astype(np.float64))
        if found is not None:
            assert _fractions(found[0], 2 ** found[1]) == [Fraction(float(v)) for v in a.ravel()], name
