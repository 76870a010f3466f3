"""``python -m symcert``: the same as the ``symcert`` command."""

import sys

from symcert.cli import main

sys.exit(main())
