"""Routes of the golden customers of a ruleset in the studio: an admin's alone (others 403)."""
from route_table import Route

ADMIN = ("admin",)
GOLDEN = "/studio/ruleset/value_potential/golden"

ROUTES = [
    Route("studio.golden_customers", GOLDEN, roles=ADMIN),
    Route("studio.golden_pin", GOLDEN, method="POST", roles=ADMIN,
          data={"customer": "C1", "segment": "star", "note": "route"}, ok=(303,)),
    # The world pins nobody: unpinning answers 404, as for any customer not pinned.
    Route("studio.golden_unpin", f"{GOLDEN}/remove", method="POST", roles=ADMIN,
          data={"customer": "C1"}, ok=(404,)),
]
