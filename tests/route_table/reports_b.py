"""Routes of the SOP compliance, conversion and value concentration reports."""
from route_table import Route

READERS = ("admin", "manager")

ROUTES = [
    Route("reports.compliance", "/reports/compliance", roles=READERS),
    Route("reports.conversion", "/reports/conversion", roles=READERS),
    Route("reports.concentration", "/reports/concentration", roles=READERS),
]
