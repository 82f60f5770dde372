"""Routes of /approvals: managers and admins decide segment challenges.

The world has one pending challenge (on r1's C1), so ``own`` and ``other`` name the same one:
visibility of somebody else's challenge is tested in tests/test_web_approvals.py."""
from route_table import Route

DECIDERS = ("admin", "manager")

ROUTES = [
    Route("approvals.index", "/approvals", roles=DECIDERS),
    Route("approvals.approve", "/approvals/{challenge}/approve", method="POST", roles=DECIDERS,
          data={"until": "2099-12-31"}, ok=(303,)),
    Route("approvals.reject", "/approvals/{challenge}/reject", method="POST", roles=DECIDERS,
          data={"comment": "证据不足"}, ok=(303,)),
]
