"""A task title rendered for one real customer, as the workflow would render it: the same
sandbox, the same context (the customer's attributes and profile, the segment it is in, the one
it came from, its axis scores in the ruleset's latest run), for the studio's workflow editor."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import Customer, CustomerScore, EvaluationRun, User
from engine.templates import render_title, sandbox, template_problems
from engine.workflows.loading import CUSTOMER_COLUMNS
from engine.workflows.titles import RENDER_ERRORS, customer_context


@dataclass(frozen=True)
class RenderedTitle:
    """The title for the customer, or what stops it from rendering."""

    text: str | None
    problem: str | None = None
    cut: bool = False


@dataclass(frozen=True)
class TitleSubject:
    code: str
    name: str
    context: dict


def subject(session: Session, ruleset_id: str, code: str | None) -> TitleSubject | None:
    """The customer with ``code`` (or, without one, the first scored in the ruleset's latest
    run) and its title context; None when there is no such customer."""
    latest = (select(EvaluationRun.id).where(EvaluationRun.ruleset_id == ruleset_id,
                                             EvaluationRun.status == "completed")
              .order_by(EvaluationRun.id.desc()).limit(1).scalar_subquery())
    query = (select(*CUSTOMER_COLUMNS, CustomerScore.effective_segment,
                    CustomerScore.previous_segment, CustomerScore.axes)
             .outerjoin(CustomerScore, (CustomerScore.customer_id == Customer.id)
                        & (CustomerScore.run_id == latest)))
    if code:
        query = query.where(Customer.code == code.strip())
    else:
        query = query.where(CustomerScore.id.is_not(None)).order_by(Customer.code)
    row = session.execute(query.limit(1)).mappings().first()
    if row is None:
        return None
    owner = session.scalar(select(User.username).where(User.id == row["owner_id"])) \
        if row["owner_id"] is not None else None
    context = {"customer": customer_context(row, owner), "segment": row["effective_segment"],
               "previous_segment": row["previous_segment"], "scores": row["axes"] or {}}
    return TitleSubject(row["code"], row["name"], context)


def render_for(subject_: TitleSubject, text: str) -> RenderedTitle:
    """``text`` (a title template) rendered for the customer, or the first problem with it."""
    if not text.strip():
        return RenderedTitle(None, "the title is empty")
    problems = template_problems(text)
    if problems:
        return RenderedTitle(None, problems[0])
    try:
        title, cut = render_title(sandbox().from_string(text), dict(subject_.context))
    except RENDER_ERRORS as exc:
        return RenderedTitle(None, f"does not render for {subject_.code}: {exc}")
    return RenderedTitle(title, None, cut)
