"""OpenAPI details shared by the app and the generated client: operation ids."""

from fastapi.routing import APIRoute

# fastapi-users names its routes "router:route" ("auth:jwt.login"); the client
# generated from the schema gets these names instead.
FASTAPI_USERS_ROUTE_NAMES = {
    "auth:jwt.login": "login",
    "register:register": "register",
    "verify:request-token": "request_verify_token",
    "verify:verify": "verify",
    "reset:forgot_password": "forgot_password",
    "reset:reset_password": "reset_password",
}


def operation_id(route: APIRoute) -> str:
    """`{tag}_{route name}`, e.g. `users_read_me`: stable, readable and unique.

    A generated client names its functions after these (`usersReadMe`), so they
    change only when a route is renamed, never when its path or method does.
    """
    name = FASTAPI_USERS_ROUTE_NAMES.get(route.name, route.name)
    tag = str(route.tags[0]) if route.tags else "default"
    return f"{tag}_{name}".replace("-", "_")
