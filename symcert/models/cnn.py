"""The CNN example: a small convolutional network trained on scikit-learn's digits as 8x8 images.

``symcert example cnn`` trains (:mod:`symcert.models.cnn_training`, a numpy training aid, not
certified), rounds the parameters to float32 (exact dyadic rationals), builds the layer
:class:`~symcert.symbolic.graph.Graph`, derives its symmetry group, chooses the channel swap or sign
flip with the largest float64 gap (a search) and decides the chord certificate on rigorous
enclosures (:func:`~symcert.proofs.graph_chord.certify_graph_chord`).

>>> graph = cnn_graph((4, 8), "tanh")
>>> graph.shapes["fc"]
(10,)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.models.digits import require_sklearn
from symcert.numeric.graph import GraphLoss, float_loss
from symcert.proofs.graph_barrier import GraphBarrierResult, certify_graph_barrier
from symcert.proofs.graph_chord import GraphCertificate, best_graph_element, certify_graph_chord
from symcert.proofs.graph_invariance import GraphProof, prove_graph_invariance
from symcert.symbolic.graph import (
    Activation,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    Graph,
    Node,
    PermutationSpec,
    Softmax,
    derive_symmetries,
)

__all__ = ["CnnRun", "cnn_graph", "cnn_example", "cnn_barrier", "digit_images", "ACTIVATIONS"]

ACTIVATIONS = ("tanh", "relu")


def cnn_graph(channels: Sequence[int] = (4, 8), activation: str = "tanh") -> Graph:
    """conv 3x3 pad 1 -> batch norm -> act -> conv 3x3 pad 1 -> batch norm -> act -> global average pool
    -> flatten -> dense 10 -> softmax, on ``(1, 8, 8)`` images (the convolutions without bias: the
    batch norm's shift takes its place)."""
    if activation not in ACTIVATIONS:
        raise SpecificationError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    c1, c2 = channels
    return Graph(
        (1, 8, 8),
        [
            Node("conv1", Conv(c1, (3, 3), padding=1, bias=False)),
            Node("bn1", BatchNorm()),
            Node("act1", Activation(activation)),
            Node("conv2", Conv(c2, (3, 3), padding=1, bias=False)),
            Node("bn2", BatchNorm()),
            Node("act2", Activation(activation)),
            Node("pool", GlobalAveragePool()),
            Node("flat", Flatten()),
            Node("fc", Dense(10)),
            Node("softmax", Softmax()),
        ],
    )


def digit_images(n_samples: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n_samples`` digits (default all 1,797) as images ``(N, 1, 8, 8)`` of pixels / 16 (exact
    dyadics), and their labels."""
    require_sklearn()
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    if n_samples is not None:
        X, y = X[:n_samples], y[:n_samples]
    return (X / 16).reshape(-1, 1, 8, 8), y.astype(int)


@dataclass(frozen=True)
class CnnRun:
    """What the example found: the graph, the trained point, its group, the swap, its proofs."""

    graph: Graph
    params: dict[str, np.ndarray]
    loss: GraphLoss
    spec: PermutationSpec
    element: Any
    gap: float
    invariance: GraphProof
    certificate: GraphCertificate
    accuracy: float
    float_loss: float
    n_samples: int


def cnn_example(
    channels: Sequence[int] = (4, 8),
    activation: str = "tanh",
    seed: int = 0,
    n_samples: int | None = 300,
    epochs: int = 300,
    dps: int = 50,
    progress: Callable[[str], None] | None = None,
) -> CnnRun:
    """Train the CNN on the first ``n_samples`` digits and certify its cross-entropy loss non-convex."""
    from symcert.models.cnn_training import accuracy, train_cnn

    say = progress or (lambda _text: None)
    graph = cnn_graph(channels, activation)
    X, y = digit_images(n_samples)
    say(
        f"training the CNN ({channels[0]}, {channels[1]} channels, {activation}) on {len(X)} digits: "
        f"{epochs} full-batch Adam steps in numpy ..."
    )
    trained = train_cnn(X, y, channels, activation, epochs, seed)
    hits = accuracy(trained, X, y, activation)
    loss = GraphLoss(graph, X, np.eye(10, dtype=int)[y], "cross_entropy")
    params = graph.check_parameters(trained)  # float32 values as exact dyadic rationals
    spec = derive_symmetries(graph)
    element, gap = best_graph_element(loss, params, progress=say)
    invariance = prove_graph_invariance(spec, element, spot=False)
    say("certifying the chord ...")
    certificate = certify_graph_chord(loss, params, element, dps=dps)
    say(certificate.status)
    value = float_loss(loss, params)
    return CnnRun(graph, params, loss, spec, element, gap, invariance, certificate, hits, value, len(X))


def cnn_barrier(
    run: CnnRun,
    channels: Sequence[int],
    activation: str,
    seed: int,
    epochs: int,
    samples: int,
    tol: Any,
    progress: Callable[[str], None] | None = None,
) -> tuple[GraphBarrierResult, Any, GraphBarrierResult]:
    """A second training (seed ``seed``, the same digits and steps as ``run``) and the certified barriers
    between the two trained points on the loss over the first ``samples`` digits: before alignment, the
    alignment of B to A over the derived groups (:func:`~symcert.proofs.graph_alignment.align_graphs`,
    its factors proved structurally, spot checks skipped), and after it."""
    from symcert.models.cnn_training import train_cnn
    from symcert.proofs.graph_alignment import align_graphs

    say = progress or (lambda _text: None)
    X, y = digit_images(run.n_samples)
    say(f"training a second CNN (seed {seed}) ...")
    B = run.graph.check_parameters(train_cnn(X, y, channels, activation, epochs, seed))
    n = min(samples, run.n_samples)
    loss = GraphLoss(run.graph, X[:n], np.eye(10, dtype=int)[y[:n]], "cross_entropy")
    say(f"certifying the barrier between the two trainings on the first {n} digits ...")
    before = certify_graph_barrier(loss, run.params, B, tol=tol)
    say("aligning the second training to the first (weight matching over the derived groups) ...")
    alignment = align_graphs(run.params, B, graph=run.graph, spot=False)
    say("certifying the barrier after alignment ...")
    after = certify_graph_barrier(loss, run.params, alignment.aligned, tol=tol)
    return before, alignment, after
