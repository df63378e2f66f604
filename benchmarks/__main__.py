"""``python -m benchmarks``: see ``benchmarks/__init__.py``."""

from __future__ import annotations

import sys

from .suite import main

if __name__ == "__main__":
    sys.exit(main())
