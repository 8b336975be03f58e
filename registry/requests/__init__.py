"""Data-subject requests: the workflow as a table (`rules`), logging a request (`intake`),
the steps of the workflow (`transitions`), one request as its view shows it (`request_view`)
and the queue with its figures and export (`queue`).

Callers import the module they use. The names below are what other domain modules use
across the package (the access report runs its step through `step`).
"""

from registry.requests.rules import Action
from registry.requests.transitions import step

__all__ = ["Action", "step"]
