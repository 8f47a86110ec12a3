"""Read models (product.md point 8): disposable views fed from the event store, exactly once.

``bootstrap.read_models.build_projections(settings, application)`` is the one factory: it makes one
:class:`Projection` per entry of ``READ_MODELS`` on the application's store. Each read model
is a module here; add it to ``READ_MODELS`` to have it created, fed, rebuilt and reported on.

The read models and their typed reads:

- ``register`` (:mod:`projections.register`): the institution register —
  :mod:`projections.queries`;
- ``sanctions`` (:mod:`projections.sanctions`): one row per decision —
  :mod:`projections.sanctions_queries`;
- ``worklist`` (:mod:`projections.worklist`): findings, cases, rectifications and appeals
  to act on — :mod:`projections.worklist_queries`;
- ``disclosure`` (:mod:`projections.disclosure`): the public disclosure list —
  :mod:`projections.disclosure_queries`;
- ``complaints`` (:mod:`projections.complaints`): complaint statistics —
  :mod:`projections.complaints_queries`;
- ``workload`` (:mod:`projections.workload`): supervisor workload and rotation counters —
  :mod:`projections.workload_queries`;
- ``verification`` (:mod:`projections.verification`): where each formal document's event
  lies, by its chain hash — ``locate`` in the same module;
- ``ratings`` (:mod:`projections.ratings`): each institution's credit rating as it stands,
  for the public page — :mod:`projections.ratings_queries`;
- ``due_dates`` (:mod:`projections.deadlines`): each record's open deadlines by day, for the
  deadline watcher and the notice pass — ``DueIndex`` in the same module (fed only when
  made with the application: ``bootstrap.read_models`` does).
"""

from __future__ import annotations

from collections.abc import Callable

from projections.base import (
    DEFAULT_BATCH_SIZE,
    Projection,
    Projections,
    ProjectionStatus,
    ReadModel,
)
from projections.complaints import Complaints
from projections.deadlines import Deadlines
from projections.disclosure import Disclosure
from projections.ratings import Ratings
from projections.register import Register
from projections.sanctions import Sanctions
from projections.store import NotificationLog, StalePosition, ViewStore
from projections.verification import Verification
from projections.worklist import Worklist
from projections.workload import Workload

#: Every read model, by the factory that makes it.
READ_MODELS: tuple[Callable[[], ReadModel], ...] = (
    Register,
    Sanctions,
    Worklist,
    Disclosure,
    Complaints,
    Workload,
    Verification,
    Ratings,
    Deadlines,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "READ_MODELS",
    "NotificationLog",
    "Projection",
    "ProjectionStatus",
    "Projections",
    "ReadModel",
    "StalePosition",
    "ViewStore",
]
