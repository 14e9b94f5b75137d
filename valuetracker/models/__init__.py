"""All tables of the domain model, one module per area (see docs/code-map.md)."""

from sqlmodel import SQLModel

from .accounts import *  # noqa: F403
from .activities import *  # noqa: F403
from .api import *  # noqa: F403
from .base import slugify, utcnow
from .core import *  # noqa: F403
from .coverage_rollups import *  # noqa: F403
from .notifications import *  # noqa: F403
from .saved_views import *  # noqa: F403
from .sessions import *  # noqa: F403
from .signals import *  # noqa: F403
from .summaries import *  # noqa: F403
from .tasks import *  # noqa: F403
from .value import *  # noqa: F403
from .value_rollups import *  # noqa: F403
from .webhooks import *  # noqa: F403
from .winloss import *  # noqa: F403
from .winloss_rollups import *  # noqa: F403

metadata = SQLModel.metadata

__all__ = ["SQLModel", "metadata", "slugify", "utcnow"]
