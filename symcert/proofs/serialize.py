"""JSON-ready dictionaries of proofs (exact numbers as strings; stable keys).

>>> from symcert import MLP, swap, prove_invariance
>>> record = proof_to_dict(prove_invariance(MLP((1, 2, 1)), swap(1, 0, 1)))
>>> record["status"], record["holds"], record["element"]
('proved', True, 'swap:1:0,1')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy

from symcert.proofs.certificates import bias_record
from symcert.proofs.generation import flip_reason
from symcert.symbolic.exact import format_rational
from symcert.symbolic.group import SymmetryGroup, carries_sign
from symcert.symbolic.losses import Loss

if TYPE_CHECKING:
    from symcert.proofs.invariance import Proof

__all__ = ["group_to_dict", "proof_to_dict", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1


def proof_to_dict(proof: Proof) -> dict[str, Any]:
    """The proof as plain data: claim, status, steps (text only), lemmas, counterexample, parts."""
    target = proof.target
    mlp = target.mlp if isinstance(target, Loss) else target
    record: dict[str, Any] = {
        "schema": "symcert-invariance",
        "version": SCHEMA_VERSION,
        "claim": proof.claim,
        "status": proof.status,
        "verdict": proof.verdict,
        "numerically_invariant": proof.numerically_invariant,
        "holds": proof.holds,
        "element": "group" if isinstance(proof.element, SymmetryGroup) else str(proof.element),
        "network": {
            "widths": list(mlp.widths),
            "activation": mlp.activation.label,
            "bias": bias_record(mlp),
            "output_activation": mlp.output_activation.name,
        },
        "target": "loss" if isinstance(target, Loss) else "output",
        "steps": [{"name": s.name, "text": s.text} for s in proof.steps],
        "lemmas": [
            {"name": lemma.name, "general": sympy.sstr(lemma.general), "instance": sympy.sstr(lemma.instance)}
            for lemma in proof.lemmas
        ],
    }
    if isinstance(target, Loss):
        record["loss"] = {
            "kind": target.kind,
            "weight_decay": format_rational(target.weight_decay),
            "n_points": target.data.n_points,
        }
        if target.factor != 1:
            record["loss"]["factor"] = format_rational(target.factor)
    if isinstance(proof.element, SymmetryGroup):
        record["order"] = proof.element.order
    if proof.counterexample is not None:
        found = proof.counterexample
        record["counterexample"] = {
            "point": found.point.arrays(),
            "x": None if found.x is None else [format_rational(v) for v in found.x],
            "difference": {
                "relation": found.difference.relation,
                "lower": format_rational(found.difference.lower),
                "upper": format_rational(found.difference.upper),
                "dps": found.difference.dps,
            },
        }
    if proof.parts:
        record["parts"] = [proof_to_dict(part) for part in proof.parts]
    return record


def group_to_dict(group: SymmetryGroup) -> dict[str, Any]:
    """A JSON-ready description of the group (key ``order`` and the rest; stable).

    >>> from symcert import MLP
    >>> record = group_to_dict(MLP((1, 3, 1), "sigmoid").symmetry_group())
    >>> record["order"], record["layers"][0]["sign_flip_kind"]
    (48, 'flip')
    """
    mlp = group.mlp
    return {
        "network": {
            "widths": list(mlp.widths),
            "activation": mlp.activation.label,
            "bias": bias_record(mlp),
            "output_activation": mlp.output_activation.name,
        },
        "order": group.order,
        "layers": [
            {
                "layer": layer.layer,
                "width": layer.width,
                "order": layer.order,
                "sign_flips": layer.flips,
                "sign_flip_kind": layer.sign_kind,
                "sign_flip_reason": flip_reason(layer, mlp.activation.name),
                "rescaling": layer.rescaling,
                "rescaling_degree": layer.degree,
            }
            for layer in group.layers
        ],
        "generators": [str(g) for g in group.generators],
        "cross_layer": [
            {
                "element": str(g),
                "reason": carries_sign(mlp, frozenset({g.first, g.last}))[1],
                "note": "a product of the generators: it leaves the order unchanged",
            }
            for g in group.cross_layer
        ],
        "continuous": [
            {
                "layer": f.layer,
                "kind": f.kind,
                "dimension": f.dimension,
                "degree": f.degree,
                "description": f.description,
            }
            for f in group.continuous
        ],
    }
