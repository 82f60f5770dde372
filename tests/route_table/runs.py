"""Routes of evaluation runs and jobs."""
from route_table import Route

READERS = ("admin", "manager")

ROUTES = [
    Route("runs.index", "/runs", roles=READERS),
    Route("runs.show", "/runs/{run}", roles=READERS),
    Route("runs.evaluate", "/runs/evaluate", method="POST", roles=("admin",),
          data={"ruleset": "value_potential", "mode": "dry_run"}, ok=(303,)),
    # A job is its creator's (and every admin's): somebody else's answers 404.
    Route("jobs.show", "/jobs/{job}", record="job"),
    Route("jobs.status", "/jobs/{job}/status", record="job"),
]
