"""The checker's own reading and Arb evaluation of layer-graph certificates (issue 23): chord only so far.

It imports nothing from the prover: :mod:`.spec` reads the graph record with its own shape rules,
:mod:`.forward` evaluates each layer type in Arb, :mod:`.chord` re-proves the chord claim.
"""
