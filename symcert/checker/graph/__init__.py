"""The checker's own reading and Arb evaluation of layer-graph certificates (issue 23): chord, curvature
and hessian.

It imports nothing from the prover: :mod:`.spec` reads the graph record with its own shape rules,
:mod:`.forward` evaluates each layer type in Arb, :mod:`.chord` re-proves the chord claim, :mod:`.jets`
carries the loss's Taylor jets along a segment and :mod:`.curvature` re-proves ``phi''(t0) < 0``;
:mod:`.orbit` re-proves an orbit certificate (its group's invariance by :mod:`.orbit_rules`) and
:mod:`.critical_pair` a critical pair (``L(A) = L(B) = 0`` by :mod:`.exact`, in rationals).
"""
