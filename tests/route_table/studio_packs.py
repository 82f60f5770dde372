"""Routes of the studio's packs page: an admin's alone (others 403)."""
from route_table import Route

ADMIN = ("admin",)

ROUTES = [
    Route("studio.packs_index", "/studio/packs", roles=ADMIN),
    Route("studio.export_pack", "/studio/packs/pharma.zip", roles=ADMIN, ok=(200, 404)),
    # No file: the form again with the message at the field.
    Route("studio.check_pack", "/studio/packs/check", method="POST", roles=ADMIN, ok=(400,)),
    # An upload name that was never stored.
    Route("studio.import_pack", "/studio/packs/import", method="POST", roles=ADMIN,
          data={"upload": "0" * 32 + ".zip"}, ok=(404,)),
]
