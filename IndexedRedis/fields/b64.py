"""``IndexedRedis.fields.b64``: the IndexedRedis 6.x module name of IRBase64Field.

The field is defined in ``fields/binary.py``.
"""

from __future__ import annotations

from .binary import IRBase64Field
from .base import IRField
from .null import irNull

__all__ = ["IRBase64Field", "IRField", "irNull"]
