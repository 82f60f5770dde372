"""Routes of data uploads (/admin/imports): admins only. The world's jobs are evaluation dry
runs, not uploads, so the pages of a job answer 404 for them (as for a job that does not exist);
an upload without a file is refused at the field (400)."""
from route_table import Route

ADMINS = ("admin",)

ROUTES = [
    Route("admin_imports.index", "/admin/imports", roles=ADMINS),
    Route("admin_imports.upload", "/admin/imports", method="POST", roles=ADMINS,
          data={"kind": "products"}, ok=(400,)),
    Route("admin_imports.job", "/admin/imports/jobs/{job}", roles=ADMINS, ok=(404,)),
    Route("admin_imports.status", "/admin/imports/jobs/{job}/status", roles=ADMINS, ok=(404,)),
    Route("admin_imports.problems_csv", "/admin/imports/jobs/{job}/problems.csv", roles=ADMINS,
          ok=(404,)),
    Route("admin_imports.start_import", "/admin/imports/jobs/{job}/import", method="POST",
          roles=ADMINS, ok=(404,)),
    Route("admin_imports.recheck", "/admin/imports/jobs/{job}/recheck", method="POST",
          roles=ADMINS, ok=(404,)),
    Route("admin_imports.discard", "/admin/imports/jobs/{job}/discard", method="POST",
          roles=ADMINS, ok=(404,)),
]
