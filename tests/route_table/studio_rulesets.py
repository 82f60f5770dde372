"""Routes of the structured ruleset editor (studio): admins only."""
from route_table import Route

ADMIN = ("admin",)
DESIGN = "/studio/ruleset/value_potential/design"

ROUTES = [
    Route("studio.ruleset_editor", DESIGN, roles=ADMIN),
    # Applying the form without saving re-renders the editor.
    Route("studio.ruleset_editor", DESIGN, method="POST", roles=ADMIN,
          data={"action": "apply"}),
    Route("studio.ruleset_schedule", DESIGN + "/schedule?str|$.schedule=30+3+*+*+1",
          roles=ADMIN),
    Route("studio.ruleset_expression", DESIGN + "/check", method="POST", roles=ADMIN,
          data={"field": "str|$.metrics.aov.formula", "str|$.metrics.aov.formula": "a +"}),
]
