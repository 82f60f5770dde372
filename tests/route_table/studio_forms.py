"""Routes of the studio's form designer: an admin's alone (others 403)."""
from route_table import Route

ADMIN = ("admin",)
DESIGN = "/studio/form/hospital/design"

ROUTES = [
    Route("studio.form_designer", DESIGN, roles=ADMIN),
    # "apply" re-renders the page with the posted edits; nothing is stored.
    Route("studio.form_designer", DESIGN, method="POST", roles=ADMIN,
          data={"action": "apply"}),
    Route("studio.form_designer_preview", DESIGN + "/preview", method="POST", roles=ADMIN,
          data={}),
    Route("studio.form_designer_check", DESIGN + "/check", method="POST", roles=ADMIN,
          data={"check": "beds", "f-beds-visible_if": "beds > 1"}),
]
