"""The version of symcert, stated once (``pyproject.toml`` reads it from here).

>>> from symcert import __version__
>>> __version__.count(".") >= 2
True
"""

__version__ = "0.1.0"
