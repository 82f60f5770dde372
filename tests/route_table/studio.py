"""Routes of the studio: every one an admin's alone (others 403)."""
from route_table import Route

ADMIN = ("admin",)

ROUTES = [
    Route("studio.index", "/studio/", roles=ADMIN),
    Route("studio.new", "/studio/new", method="POST", roles=ADMIN,
          data={"kind": "form", "def_id": "route_form", "copy_of": ""}, ok=(303,)),
    Route("studio.show", "/studio/ruleset/value_potential", roles=ADMIN),
    Route("studio.edit", "/studio/ruleset/value_potential/edit", roles=ADMIN),
    Route("studio.save", "/studio/form/hospital/edit", method="POST", roles=ADMIN,
          data={"source": "kind: form\nid: hospital\n"}, ok=(400,)),
    Route("studio.publish", "/studio/ruleset/value_potential/publish", method="POST",
          roles=ADMIN, data={"number": "1"}, ok=(303,)),
    Route("studio.rollback", "/studio/ruleset/value_potential/rollback", method="POST",
          roles=ADMIN, data={"number": "1"}, ok=(303,)),
    Route("studio.preview", "/studio/ruleset/value_potential/preview", method="POST",
          roles=ADMIN, data={"number": "1"}, ok=(303,)),
    Route("studio.preview_workflow", "/studio/workflow/quadrant_followup/preview",
          method="POST", roles=ADMIN, data={"number": "1"}, ok=(303, 404)),
    # Only dry-run jobs have a preview; the world's job may be another kind (404 then).
    Route("studio.preview_result", "/studio/preview/{job}", roles=ADMIN, ok=(200, 404)),
]
