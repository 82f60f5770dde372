"""Routes of the customer page: the page, its paged facts, the profile form and challenges."""
from route_table import Route

EDITORS = ("admin", "manager", "rep")
PROFILE = {"grade": "3A", "beds": "1000"}
CHALLENGE = {"ruleset": "value_potential", "segment": "dog", "reason": "测试申诉",
             "until": "2099-12-31"}

ROUTES = [
    Route("customer.show", "/customers/{customer}", record="customer"),
    Route("customer.facts", "/customers/{customer}/facts/orders", record="customer"),
    Route("customer.profile_form", "/customers/{customer}/profile/form?development_plan=stable",
          roles=EDITORS, record="customer"),
    Route("customer.profile", "/customers/{customer}/profile", method="POST", roles=EDITORS,
          record="customer", data=PROFILE, ok=(302,)),
    Route("customer.challenge", "/customers/{customer}/challenge", method="POST",
          roles=EDITORS, record="customer", data=CHALLENGE, ok=(302,)),
]
