"""``IndexedRedis.compat_convert``: the module name of IndexedRedis 6.x for data conversions.

Converting index keys after ``hashIndex`` changed is ``Model.objects.compat_convertHashedIndexes()``
(see ``persistence.convertHashedIndexes``); this module stays importable for code that imports it.
"""

from __future__ import annotations

from .persistence import convertHashedIndexes

__all__ = ["convertHashedIndexes"]
