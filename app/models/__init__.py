"""All tables; importing this package registers them on `Base.metadata` (Alembic)."""

from app.db.base import Base
from app.models.item import Item
from app.models.user import User

__all__ = ["Base", "Item", "User"]
