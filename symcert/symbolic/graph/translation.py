r"""The softmax translation of a graph, derived from the layers' ``translation`` facts.

``softmax(z + c 1) = softmax(z)`` for every real ``c``: the exponential's factor ``exp(c)`` cancels in
the quotient. So adding one constant ``c`` to every entry of a bias is a symmetry when every entry of
the layer's output receives that bias (a dense or conv layer, a batch norm's or layer norm's shift:
``"emit"``), the constant reaches a softmax through layers that carry it unchanged (flatten, reshape,
transpose, max pooling, average pooling that does not count padding: ``"transmit"``), and no other
layer reads any tensor on the way (it would see the constant). With ``logits=True`` the graph's
output is taken as the logits of a softmax cross-entropy loss, which absorbs the constant the same way.

A translation on some biases only is not a symmetry (the softmax sees different shifts); a graph whose
softmax is fed by a layer without a bias has none.

>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, Softmax
>>> g = Graph((2,), [Node("fc1", Dense(3)), Node("t", Activation("tanh")), Node("fc2", Dense(2)),
...                  Node("out", Softmax())])
>>> [(t.parameter, t.absorber) for t in derive_translations(g)]
[('fc2.bias', 'out')]
>>> derive_translations(Graph((2,), [Node("fc", Dense(2))]), logits=True)[0].absorber
'the loss'
"""

from __future__ import annotations

from dataclasses import dataclass

from symcert.symbolic.graph.spec import Graph

__all__ = ["Translation", "derive_translations", "LOSS"]

#: The absorber of a translation of the logits: the softmax inside a cross-entropy loss.
LOSS = "the loss"


@dataclass(frozen=True)
class Translation:
    """Adding ``c`` to every entry of ``parameter`` shifts ``tensors`` by ``c``; ``absorber`` cancels it."""

    parameter: str
    emitter: str
    tensors: tuple[str, ...]
    absorber: str
    reason: str

    def to_dict(self) -> dict:
        """A JSON-ready summary."""
        return {
            "parameter": self.parameter,
            "tensors": list(self.tensors),
            "absorber": self.absorber,
            "dimension": 1,
            "reason": self.reason,
        }


def _consumers(graph: Graph) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {name: [] for name in graph.shapes}
    for node in graph.nodes:
        for source in node.sources:
            found[source].append(node.name)
    return found


def derive_translations(graph: Graph, *, logits: bool = False) -> tuple[Translation, ...]:
    """Every softmax translation of ``graph`` (and of its logits' loss with ``logits=True``)."""
    consumers = _consumers(graph)
    starts = [(n.sources[0], n.name) for n in graph.nodes if n.layer.translation == "absorb"]
    if logits:
        starts.append((graph.output, LOSS))
    found = []
    for tensor, absorber in starts:
        chain, reader = [], absorber
        while tensor != graph.input_name:
            readers = consumers[tensor] + ([LOSS] if tensor == graph.output and logits else [])
            if readers != [reader]:
                break  # another layer reads the shifted tensor
            node = graph.node(tensor)
            chain.append(tensor)
            fact = node.layer.translation
            if fact == "emit":
                path = " -> ".join(reversed(chain))
                reason = (
                    f"adding c to every entry of {tensor}.bias adds c to every entry of {path}, which "
                    f"{_absorber_words(absorber)} cancels: "
                    "softmax(z + c 1) = softmax(z)"
                )
                found.append(Translation(f"{tensor}.bias", tensor, tuple(reversed(chain)), absorber, reason))
                break
            if fact != "transmit" or node.layer.arity != 1:
                break
            tensor, reader = node.sources[0], tensor
    return tuple(found)


def _absorber_words(absorber: str) -> str:
    """How the reason names what cancels the shift: the loss, or the softmax node (named once when the
    node is itself called "softmax").

    >>> _absorber_words("softmax"), _absorber_words("probs")
    ('the softmax', 'the softmax probs')
    """
    if absorber == LOSS:
        return absorber
    return "the softmax" if absorber.lower() == "softmax" else f"the softmax {absorber}"
