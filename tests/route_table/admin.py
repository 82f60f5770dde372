"""Routes of the admin pages: users and teams, the audit log (admins only)."""
from route_table import Route

ADMINS = ("admin",)
USER = {"name": "Administrator", "role": "admin", "locale": "zh", "seniority": "",
        "team": "", "manager_id": "", "email": ""}

ROUTES = [
    Route("admin_users.index", "/admin/users", roles=ADMINS),
    Route("admin_users.new", "/admin/users/new", roles=ADMINS),
    Route("admin_users.new", "/admin/users/new", method="POST", roles=ADMINS,
          data={**USER, "username": "newcomer", "role": "rep"}),
    Route("admin_users.edit", "/admin/users/{user}", roles=ADMINS),
    Route("admin_users.update", "/admin/users/{user}", method="POST", roles=ADMINS,
          data=USER, ok=(303,)),
    # The password page shows the generated password once (200).
    Route("admin_users.password", "/admin/users/{user}/password", method="POST", roles=ADMINS,
          data={"mode": "generate"}),
    # No token 0 of this user: 404.
    Route("admin_users.revoke_token", "/admin/users/{user}/tokens/revoke", method="POST",
          roles=ADMINS, data={"token_id": "0"}, ok=(404,)),
    Route("admin_users.deactivate_form", "/admin/users/{user}/deactivate", roles=ADMINS),
    # The admin's own record: an admin cannot deactivate themselves (400, with the reason).
    Route("admin_users.deactivate", "/admin/users/{user}/deactivate", method="POST",
          roles=ADMINS, ok=(400,)),
    Route("admin_users.reactivate", "/admin/users/{user}/reactivate", method="POST",
          roles=ADMINS, ok=(303,)),
    Route("admin_audit.index", "/admin/audit", roles=ADMINS),
    Route("admin_audit.export", "/admin/audit/export.csv", roles=ADMINS),
]
