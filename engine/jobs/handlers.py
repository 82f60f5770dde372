"""What each kind of job does. A handler takes the engine, the job's parameters, its
idempotency key and a progress callback, and returns a JSON-ready result; an exception is the
job's error. Parameters come from the web's own forms and are checked again here.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from sqlalchemy import Engine

from engine.errors import InvalidInput, Problem

Progress = Callable[[int, str], None]
Handler = Callable[[Engine, dict[str, Any], str, Progress], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str):
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def _as_of(params: dict[str, Any]) -> dt.date | None:
    text = params.get("as_of")
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise InvalidInput([Problem(path="$.as_of", message=f"{text!r} is not a date "
                                                             "(YYYY-MM-DD)")], "job") from None


def _run_summary(result) -> dict[str, Any]:
    return {"ruleset": result.ruleset_id, "as_of": result.as_of.isoformat(),
            "counts": result.counts, "migration": result.migration,
            "warnings": result.warnings}


@handler("evaluate")
def evaluate_job(engine: Engine, params: dict[str, Any], key: str,
                 progress: Progress) -> dict[str, Any]:
    """A stored run of a ruleset with its workflow consequences, made once under ``key``."""
    from engine.evaluation import evaluate
    from engine.runs import stored_run_for
    from engine.workflows import apply_run, apply_stored_run

    run = stored_run_for(engine, key)
    if run is not None:                 # an earlier attempt stored it; make sure it was applied
        report = apply_run(engine, run.id)
        return {"run_id": run.id, "resumed": True, "moved": report.moved,
                "tasks_created": report.created, "tasks_cancelled": report.cancelled}
    reports = []

    def follow(session, result) -> None:
        progress(60, "scores stored; applying workflows")
        reports.append(apply_stored_run(session, result.run_id))

    progress(5, "evaluating")
    result = evaluate(engine, params["ruleset"], as_of=_as_of(params), trigger="web",
                      tick_key=key, after_store=[follow])
    report = reports[0]
    return {"run_id": result.run_id, **_run_summary(result), "moved": report.moved,
            "tasks_created": report.created, "tasks_cancelled": report.cancelled}


@handler("dry_run")
def dry_run_job(engine: Engine, params: dict[str, Any], key: str,
                progress: Progress) -> dict[str, Any]:
    """What a run of a ruleset (or of one of its stored versions) would give; stores nothing.

    With ``preview`` (``ruleset`` or ``workflow``) it is the full preview of a draft version
    against the published one (``engine.definitions.preview``), in this one job."""
    from engine.evaluation import evaluate

    if params.get("preview") is not None:
        return _preview(engine, params, progress)
    progress(5, "evaluating (dry run)")
    result = evaluate(engine, params["ruleset"], as_of=_as_of(params), dry_run=True,
                      version=params.get("version"))
    return _run_summary(result)


def _preview(engine: Engine, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    from engine.definitions import preview

    kind, version = params["preview"], params.get("version")
    if kind not in ("ruleset", "workflow") or not isinstance(params.get(kind), str):
        raise InvalidInput([Problem(path="$.preview", message=f"{kind!r} cannot be previewed; "
                                    "a preview names a ruleset or a workflow")], "job")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise InvalidInput([Problem(path="$.version", message=f"{version!r} is not a version "
                                                              "number")], "job")
    run = preview.preview_ruleset if kind == "ruleset" else preview.preview_workflow
    return run(engine, params[kind], version, as_of=_as_of(params), progress=progress,
               trigger="web")


@handler("import")
def import_job(engine: Engine, params: dict[str, Any], key: str,
               progress: Progress) -> dict[str, Any]:
    """Import an uploaded file (all or nothing, so a second attempt is harmless).

    A dry run that finds invalid rows is done, not failed: finding them is what it is for, so
    its result lists them (``problems``: row, column, message; ``total`` counts them all). A
    real import that finds them fails, as before. A browser upload (``upload`` given) is
    deleted once nothing more will be done with it: after the import, or after a dry run that
    found problems; a clean dry run keeps it for the import that follows."""
    from engine.imports import uploads
    from engine.imports.importer import import_file
    from engine.imports.problems import ImportRejected

    dry_run = bool(params.get("dry_run"))
    browser = bool(params.get("upload"))
    progress(5, f"reading {params['kind']}")
    try:
        report = import_file(engine, params["kind"], params["path"], dry_run=dry_run,
                             encoding=params.get("encoding"), actor=params.get("actor"))
    except ImportRejected as exc:
        if browser:
            uploads.discard(params["path"])
        if not dry_run:
            raise
        return {"kind": params["kind"], "dry_run": True, "rejected": True,
                "total": exc.total, "encoding": params.get("encoding"),
                "problems": [{"row": p.row, "column": p.path, "message": p.message}
                             for p in exc.problems]}
    if browser and not dry_run:
        uploads.discard(params["path"])
    return {"kind": report.kind, "rows": report.rows, "added": report.added,
            "changed": report.changed, "unchanged": report.unchanged,
            "dry_run": report.dry_run, "encoding": report.encoding}
