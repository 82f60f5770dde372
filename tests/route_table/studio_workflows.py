"""Routes of the studio's workflow editor: an admin's alone (others 403)."""
from route_table import Route

ADMIN = ("admin",)

ROUTES = [
    Route("studio.workflow_editor", "/studio/workflow/quadrant_followup/design", roles=ADMIN),
    # A stale version number: nothing saved, sent back to the editor.
    Route("studio.save_workflow_design", "/studio/workflow/quadrant_followup/design",
          method="POST", roles=ADMIN, data={"number": "0"}, ok=(303,)),
    Route("studio.workflow_title",
          "/studio/workflow/quadrant_followup/design/title?prefix=new&new-title-zh=x",
          roles=ADMIN),
]
