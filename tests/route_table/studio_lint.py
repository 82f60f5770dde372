"""Routes of the studio's lint: the editor's warnings from the data, an admin's alone."""
from route_table import Route

ROUTES = [
    Route("studio.data_warnings", "/studio/ruleset/value_potential/lint/1", roles=("admin",)),
]
