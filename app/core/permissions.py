"""The base of every permission set: `resource:action` strings with a description.

A resource declares its permissions next to it as a subclass, each member a
`(value, description)` pair:

    class ItemPermission(PermissionSet):
        READ_ANY = "items:read_any", "See and filter everyone's items."

and `app.authz.permissions` lists the set in `PERMISSION_SETS`, the one
registry the API, the commands and the start-up check read.
"""

from enum import StrEnum
from typing import Self


class PermissionSet(StrEnum):
    description: str

    def __new__(cls, value: str, description: str) -> Self:
        resource, _, action = value.partition(":")
        if not resource or not action:
            raise ValueError(f"a permission is `resource:action`, not {value!r}")
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member
