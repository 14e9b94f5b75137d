"""The signal kinds (docs/signals.md lists them with their severities and weights), by
area: people and the relationship (`people.py`), value and loyalty (`value.py`), deals,
links and the renewal (`deals.py`); what they share is in `common.py`. Importing this
package registers them all (registry.py), in this order.

Each uses the app's one definition of its rule: the coverage conditions of
`stakeholders.py` (engaged, economic buyer, key not contacted, left), "last contacted"
as `activities/contact.py` keeps it, the loyalty rules of `models/value.py` (detractor,
satisfied but not loyal, each person's latest pulse from `value.metrics`), the open and
overdue commitment rules, the open-link rule of `links.py`, and the quarter's send and
coverage of `summaries/scope.py` and `summaries/coverage.py`.
"""

# The order of registration is the order of the admin's weights page and the docs.
# isort: off
from . import people  # noqa: F401 - people and the relationship
from . import value  # noqa: F401 - value and loyalty
from . import deals  # noqa: F401 - deals, links and the renewal
# isort: on

__all__: list[str] = []
