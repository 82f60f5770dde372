"""Routes of the foundation: sign-in, language, health, the home page."""
from route_table import Route

ROUTES = [
    Route("health.health", "/health", anonymous="public"),
    # A signed-in visitor of /login is sent on to the app; a wrong password answers 401.
    Route("auth.login", "/login", ok=(302,), anonymous="public"),
    Route("auth.login", "/login", method="POST", data={"username": "nobody", "password": "x"},
          ok=(401,), anonymous="public"),
    Route("auth.logout", "/logout", anonymous="public"),
    Route("auth.logout", "/logout", method="POST", ok=(302,), anonymous="public"),
    Route("auth.password", "/password"),
    Route("auth.password", "/password", method="POST", data={"current": "wrong"}, ok=(400,)),
    Route("i18n.switch", "/language", method="POST", data={"locale": "en", "next": "/"},
          ok=(302,), anonymous="public"),
    Route("home.index", "/"),
]
