"""Former home of the synchronous executor, kept for imports: see ``IndexedRedis.executors``."""

from .executors.common import *  # noqa: F401,F403
from .executors.common import __all__ as _commonAll
from .executors.sync import *  # noqa: F401,F403
from .executors.sync import __all__ as _syncAll

__all__ = sorted(set(_commonAll) | set(_syncAll))
