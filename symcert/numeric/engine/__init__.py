"""The rigorous batched engine: exact layouts, verified float64 and Arb rungs, a precision ladder.

Modules, bottom up: :mod:`.elementary` (verified float64 exp, expm1, log, log1p),
:mod:`.f64` (rung 1: float64 interval arrays, a-priori bounded products),
:mod:`.layout` (points and data as integer matrices over denominators, cached),
:mod:`.backends` (rung 1 and rung 2, Arb via python-flint, behind one interface),
:mod:`.network` (batched forward-mode second-order jets of the loss),
:mod:`.api` (endpoints at points, along directions, over boxes and sub-intervals of t),
:mod:`.ladder` (decisions: float64 first, then Arb at increasing precision).
mpmath intervals (:mod:`symcert.numeric.evaluation`) stay the reference the tests compare with.
"""
