"""Routes of the task inbox, notifications and the calendar feed."""
from route_table import Route

MANAGERS = ("admin", "manager")

ROUTES = [
    Route("tasks.inbox", "/tasks"),
    Route("tasks.detail", "/tasks/{task}", record="task"),
    Route("tasks.start", "/tasks/{task}/start", method="POST", record="task", ok=(303,)),
    Route("tasks.complete", "/tasks/{task}/complete", method="POST", record="task",
          data={"note": "done"}, ok=(303,)),
    Route("tasks.postpone", "/tasks/{task}/postpone", method="POST", record="task",
          data={"due_date": "2099-01-01", "reason": "客户出差"}, ok=(303,)),
    Route("tasks.reassign", "/tasks/{task}/reassign", method="POST", roles=MANAGERS,
          record="task", data={"assignee": "m1"}, ok=(303,)),
    Route("notifications.index", "/notifications"),
    Route("notifications.read", "/notifications/{notification}/read", method="POST",
          record="notification", ok=(303,), admin_sees_all=False),
    Route("notifications.read_all", "/notifications/read-all", method="POST", ok=(303,)),
    # The feed answers whoever holds a live token; an unknown one is a 404 for everyone.
    Route("calendar.feed", "/calendar/kfc_unknown.ics", ok=(404,), anonymous="public"),
    Route("calendar.link", "/calendar/link", method="POST"),
    Route("calendar.revoke", "/calendar/revoke", method="POST", ok=(303,)),
]
