"""What the roles and permissions rules answer."""

from app.core.errors import Conflict, Forbidden, NotFound


class PermissionDenied(Forbidden, code="PERMISSION_DENIED"):
    """You do not have the permission this needs."""


class RoleNotFound(NotFound, code="ROLE_NOT_FOUND"):
    """No role has this slug."""


class RoleAlreadyExists(Conflict, code="ROLE_ALREADY_EXISTS"):
    """A role with this slug exists already."""


class RoleIsSystem(Conflict, code="ROLE_IS_SYSTEM"):
    """A system role cannot be renamed or deleted, nor its permissions changed."""


class UnknownPermissions(ValueError):
    """Permissions the code does not define (a command's or a file's input)."""

    def __init__(self, permissions: list[str]) -> None:
        super().__init__("unknown permission: " + ", ".join(permissions))
        self.permissions = permissions
