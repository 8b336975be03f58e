"""Why a segment counts what it does: the count after each filter (a funnel), the filter
that leaves nobody, and the conditions no person in the registry meets together.

"Service users in Uusimaa who ordered in the last 12 months" counts 0 because no service
user has orders: the funnel shows the step that empties the segment, and the pair check
names the two conditions that each match someone but never the same person. What it says
comes from the data (counts), never from assumptions about it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func
from sqlalchemy.orm import Session

from registry import deadlines
from registry.filters import Filter, parse_definition
from registry.permissions import Actor, Permission, require
from registry.segments.membership import analytic, from_persons


@dataclass(frozen=True)
class Step:
    sentence: str  # the filter, as the segment's sentence says it
    remaining: int  # persons matching this filter and every one before it
    alone: int  # persons matching this filter on its own


@dataclass(frozen=True)
class Explanation:
    everyone: int  # persons in the registry, before any filter
    steps: tuple[Step, ...]
    # Pairs of filters that each match someone, but no person matches both.
    never_together: tuple[tuple[str, str], ...] = ()

    @property
    def emptied_by(self) -> Step | None:
        """The first filter after which nobody is left, if the segment is empty."""
        return next((s for s in self.steps if s.remaining == 0), None)

    def reason(self) -> str | None:
        """Why the segment is empty, in a sentence; None if it is not."""
        step = self.emptied_by
        if step is None:
            return None
        if step.alone == 0:
            return f"No person in the registry matches “{step.sentence}”."
        if self.never_together:
            pairs = "; nor ".join(f"“{a}” and “{b}”" for a, b in self.never_together)
            return (
                f"Nobody is left after “{step.sentence}”: no person in the registry matches "
                f"both {pairs}. Remove or change one of them."
            )
        return (
            f"Nobody is left after “{step.sentence}”: the {step.alone:,} persons who have it "
            "match none of the filters before it together."
        )


def _matches(conditions: list[Any]) -> Any:
    return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)


def explain(
    session: Session, actor: Actor, definition: Any, today: dt.date | None = None
) -> Explanation:
    """The funnel of a definition: one statement for the steps, one for the pairs of an
    emptying step (every filter before it with it)."""
    require(actor, Permission.VIEW_SEGMENTS)
    parsed = parse_definition(definition)
    today = today or deadlines.today()
    filters: list[Filter] = list(parsed.filters)
    conditions = [f.condition(today) for f in filters]
    analytic(session)
    columns = [func.count()]
    columns += [_matches(conditions[: i + 1]) for i in range(len(filters))]
    columns += [_matches([c]) for c in conditions]
    row = session.execute(from_persons(*columns)).one()
    n = len(filters)
    steps = tuple(
        Step(f.sentence(), int(row[1 + i]), int(row[1 + n + i])) for i, f in enumerate(filters)
    )
    explanation = Explanation(int(row[0]), steps)
    emptied = next((i for i, s in enumerate(steps) if s.remaining == 0), None)
    if emptied is None or emptied == 0 or steps[emptied].alone == 0:
        return explanation
    earlier = [i for i in range(emptied) if steps[i].alone > 0]
    together = session.execute(
        from_persons(*(_matches([conditions[i], conditions[emptied]]) for i in earlier))
    ).one()
    never = tuple(
        (steps[i].sentence, steps[emptied].sentence)
        for i, n_both in zip(earlier, together, strict=True)
        if int(n_both) == 0
    )
    return Explanation(explanation.everyone, steps, never)
