"""Routes of the reports (managers and admins)."""
from route_table import Route

READERS = ("admin", "manager")

ROUTES = [
    Route("reports.index", "/reports/", roles=READERS),
    Route("reports.quadrant", "/reports/quadrant", roles=READERS),
    Route("reports.segments", "/reports/segments", roles=READERS),
    Route("reports.migration", "/reports/migration", roles=READERS),
]
