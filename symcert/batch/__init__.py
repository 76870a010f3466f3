"""Many pairs, many machines: certified barriers for a whole study, on Dask ``distributed``.

``run_manifest(manifest, out)`` reads a CSV manifest of pairs of trained networks
(:mod:`.manifest`) and certifies every pair on a Dask cluster, one certificate file per barrier,
resumably (:mod:`.runner`). Dask is an optional extra (``pip install 'symcert[dask]'``), imported
only when a run starts.

>>> from symcert.batch import read_manifest, run_manifest
>>> callable(run_manifest) and callable(read_manifest)
True
"""

from symcert.batch.manifest import COLUMNS, Pair, read_manifest
from symcert.batch.runner import SUMMARY_COLUMNS, certify_pair, run_manifest

__all__ = ["COLUMNS", "Pair", "SUMMARY_COLUMNS", "certify_pair", "read_manifest", "run_manifest"]
