"""``IndexedRedis.fields.b64``: the module name of IndexedRedis 6.x for IRBase64Field (defined in ``fields/binary.py``)."""

from __future__ import annotations

from .binary import IRBase64Field
from .null import irNull

__all__ = ["IRBase64Field", "irNull"]
