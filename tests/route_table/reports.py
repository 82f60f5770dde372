"""Routes of the reports (managers and admins)."""
from route_table import Route

READERS = ("admin", "manager")

ROUTES = [
    Route("reports.index", "/reports/", roles=READERS),
]
