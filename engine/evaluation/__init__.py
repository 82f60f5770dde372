"""The evaluation engine: score every customer in scope of a ruleset and place it in a segment.

``evaluate(engine, ruleset_id, as_of=None, dry_run=False, trigger='cli')`` computes a run
(SQL aggregates per fact table, vectorized formulas, points, axis scores, splits or tiers)
and stores it unless ``dry_run``; ``explain`` tells why a customer got its segment;
``export_scores`` gives the rows of ``kamflow scores export``.
"""
from .explain import Explanation, explain, explain_result
from .export import ScoreTable, export_scores, write_csv, write_json
from .results import RunResult
from .runner import evaluate, today

__all__ = ["Explanation", "RunResult", "ScoreTable", "evaluate", "explain", "explain_result",
           "export_scores", "today", "write_csv", "write_json"]
