"""Routes of the customer list: every role may list and export the customers it may see."""
from route_table import Route

ROUTES = [
    Route("customers.index", "/customers"),
    Route("customers.export", "/customers/export.csv"),
]
