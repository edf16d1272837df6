"""Social-login schemas: the providers the SPA shows, the user's identities."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, WithJsonSchema

from app.schemas.user import IDN_EMAIL

# As the provider gave it: shown, never validated again.
ProviderEmail = Annotated[str, WithJsonSchema({"type": "string", **IDN_EMAIL})]


class ProviderRead(BaseModel):
    """An enabled provider: link the browser to
    `/api/v1/auth/oauth/{slug}/authorize`."""

    slug: str
    display_name: str


class OAuthAccountRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "description": "An identity at a provider connected to your account."
        },
    )

    id: uuid.UUID
    provider: str
    # The address the provider gave at the last sign-in.
    email: ProviderEmail | None
    created_at: datetime
    last_used_at: datetime
