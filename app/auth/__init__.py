"""Everything fastapi-users: the user manager, the auth backend and the dependencies.

The rest of the application sees fastapi-users only through this package and the
aliases in `app.api.deps`.
"""
