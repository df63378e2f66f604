"""What lower layers need from upper ones, filled in by the upper module when it is imported.

The package is a stack (fields -> schema -> plans -> executors -> models/queries; see
docs/architecture.rst), and no module imports one above it. A few lower pieces still need an
upper one at run time: the fields and the schema check that a class is a model and build its
schema, the schema installs the model's accessors. model.py and schema.py set these names when
they are imported, which happens before any model class exists.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

modelBase: Any = None  # IndexedRedisModel (set by model.py)
installAccessors: Optional[Callable[[type, Any], None]] = None  # model.installAccessors (set by model.py)
getSchema: Optional[Callable[[type], Any]] = None  # schema.getSchema (set by schema.py)


def schemaOf(model: type) -> Any:
    """``schema.getSchema(model)``."""
    assert getSchema is not None, "IndexedRedis.schema is not imported"
    return getSchema(model)


__all__ = ["getSchema", "installAccessors", "modelBase", "schemaOf"]
