"""Roles and permissions: the registry, effective permissions, the roles service."""
