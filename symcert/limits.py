"""The documented limits of symcert, stated once: the prover and the independent checker both import them.

This module holds constants only (no code from the rest of symcert, no imports),
so that :mod:`symcert.checker` may depend on it and on nothing else in the package.

Sizes. A network has 2 to :data:`MAX_LAYERS` + 1 widths, each from 1 to
:data:`MAX_WIDTH`; a data set holds 1 to :data:`MAX_POINTS` points. These admit
MNIST-shaped networks (784-512-512-512-10 on 1,000 points); what bounds the
checker's work is the cost budget, not the shapes.

Numbers. An input number (data, points, weight decay, element parameters) has at
most :data:`MAX_DIGITS` digits in its numerator and denominator (decimal
exponents at most :data:`MAX_EXPONENT`); an enclosure endpoint, written at up to
:data:`MAX_WORKING_DPS` digits, at most :data:`MAX_ENDPOINT_DIGITS`.

Precision. A user asks for :data:`MIN_DPS` to :data:`MAX_DPS` digits; the prover
escalates up to 4 times that (:data:`MAX_WORKING_DPS`), and a certificate's
``dps`` lies in ``[MIN_DPS, MAX_WORKING_DPS]``. ``--digits`` asks printed enclosures for up to
:data:`MAX_SIGNIFICANT_DIGITS` significant digits.

Files. Every file symcert reads (certificates, data, points, models, Coq) is a
regular file of at most :data:`MAX_FILE_BYTES` bytes; a small table (a roster, an
answers sheet, an answer key, a manifest) at most :data:`MAX_TABLE_BYTES`; the
arrays of a ``.npz`` archive at most :data:`MAX_ARRAY_BYTES` once uncompressed; JSON
nests at most :data:`MAX_JSON_DEPTH` levels.

Cost. Before any arithmetic the checker estimates its running time from the
parsed statement (parameters x points x digits x kind, see
:mod:`symcert.checker.budget`) and refuses, with exit code 2, a certificate
whose estimate exceeds :data:`MAX_CHECK_SECONDS`; ``symcert prove`` likewise refuses a
problem whose estimated proving time exceeds :data:`MAX_PROVE_SECONDS` (``--budget``).

>>> MIN_DPS <= 50 <= MAX_DPS < MAX_WORKING_DPS
True
"""

__all__ = [
    "MAX_WIDTH",
    "MAX_LAYERS",
    "MAX_POINTS",
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "MAX_ENDPOINT_DIGITS",
    "MIN_DPS",
    "MAX_DPS",
    "MAX_WORKING_DPS",
    "DPS_LADDER",
    "MAX_SIGNIFICANT_DIGITS",
    "MAX_FILE_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_CHECK_SECONDS",
    "MAX_BARRIER_PIECES",
    "MAX_PROVE_SECONDS",
    "MAX_TABLE_BYTES",
    "MAX_ARRAY_BYTES",
    "MAX_EXACT_SPOT_PARAMETERS",
    "DATA_CHUNK",
    "PACK_MIN_ENTRIES",
]

#: Widest layer (input, hidden or output).
MAX_WIDTH = 4096
#: Most weight layers (a network has at most MAX_LAYERS + 1 widths).
MAX_LAYERS = 16
#: Most data points.
MAX_POINTS = 100_000

#: Longest numerator or denominator of an input number, in decimal digits.
MAX_DIGITS = 2000
#: Largest decimal exponent written in an input number (``1e-3``).
MAX_EXPONENT = 2000
#: Longest numerator or denominator of an enclosure endpoint, in decimal digits.
MAX_ENDPOINT_DIGITS = 40_000

#: Smallest and largest precision a user may ask for, in decimal digits.
MIN_DPS, MAX_DPS = 5, 2500
#: The prover's precision ladder, as multiples of the requested precision.
DPS_LADDER = (1, 2, 4)
#: The highest working precision (the top of the ladder): a certificate's ``dps`` is at most this.
MAX_WORKING_DPS = MAX_DPS * DPS_LADDER[-1]
#: Most significant digits ``--digits`` may ask the printed enclosures to pin.
MAX_SIGNIFICANT_DIGITS = 1000

#: Largest file read (certificates of MNIST-shaped networks take tens of MB).
MAX_FILE_BYTES = 128_000_000
#: Largest small table read: a roster, an answers sheet, an answer key or a manifest.
MAX_TABLE_BYTES = 16_000_000
#: Largest array held in memory from a numpy ``.npz`` archive (its members' uncompressed sizes added up).
MAX_ARRAY_BYTES = 512_000_000
#: Deepest nesting of JSON arrays and objects.
MAX_JSON_DEPTH = 32

#: Data points per chunk when the engine and the checker sum a loss over more points than this: memory
#: is bounded by a chunk's activations, and chunks may run on many machines (``--workers``).
DATA_CHUNK = 4096
#: Fewest entries of an integer array (pixels, trained weights) that a certificate writes packed (base64 of
#: little-endian integers over a denominator, with its SHA-256) rather than as a list of exact strings.
PACK_MIN_ENTRIES = 4096

#: Most pieces in the partition of [0, 1] of a barrier certificate.
MAX_BARRIER_PIECES = 100_000

#: The prover's budget on the command line (``prove --budget``): the largest estimated proving time it starts.
MAX_PROVE_SECONDS = 600.0

#: The checker's budget: the largest estimated checking time it starts, in seconds.
MAX_CHECK_SECONDS = 600.0

#: The largest layer graph (parameters) whose structural proof spot-checks in exact arithmetic; a larger
#: one compares float64 evaluations (evidence only, as every spot check is).
MAX_EXACT_SPOT_PARAMETERS = 5_000

#: The largest layer-graph chord certificate exported to Coq: parameters x data points
#: (``symcert.printing.coq.graph_chord``; ``benchmarks/bench_coq_graph.py``: a 30-parameter residual
#: CNN with batch norm on 2 points, size 60, takes about 40 s of coqc CPU).
MAX_COQ_GRAPH_SIZE = 100
#: ... and computed tensor entries (one ``let`` each, each evaluated by interval three times) x data points.
MAX_COQ_GRAPH_ENTRIES = 200
