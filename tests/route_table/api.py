"""Routes of the JSON API (/api/v1): a bearer token instead of a session, 401 without one."""
from route_table import ALL_ROLES, Route

READS_RUNS = ("admin", "manager")


def _api(endpoint, path, **kwargs) -> Route:
    return Route(endpoint, path, api=True, anonymous="401", **kwargs)


ROUTES = [
    _api("api.list_customers", "/api/v1/customers"),
    _api("api.show_customer", "/api/v1/customers/{customer}", record="customer"),
    _api("api.list_tasks", "/api/v1/tasks"),
    _api("api.complete", "/api/v1/tasks/{task}/complete", method="POST", roles=ALL_ROLES,
         record="task", data={"note": "电话沟通完成"}),
    _api("api.list_runs", "/api/v1/runs", roles=READS_RUNS),
    _api("api.show_run", "/api/v1/runs/{run}", roles=READS_RUNS),
]
