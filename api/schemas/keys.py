"""API keys over HTTP: what an admin sends to create one, and what the ledger answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import Strict
from application.keys import ApiKey, IssuedKey, Role


class KeyIn(Strict):
    role: Role = Field(description="reader, operator, auditor or admin")
    name: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f]*\S[^\x00-\x1f\x7f]*$",
        description="Who or what uses the key; recorded with every write it makes",
        examples=["ofac-importer"],
    )


class KeyOut(BaseModel):
    """A key as anyone may see it: never its secret."""

    id: str
    name: str
    role: Role
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        return cls(
            id=key.id,
            name=key.name,
            role=key.role,
            created_at=key.created_at,
            created_by=key.created_by,
            revoked_at=key.revoked_at,
            revoked_by=key.revoked_by,
        )


class IssuedKeyOut(KeyOut):
    token: str | None = Field(
        description="The key to send as 'Authorization: Bearer ...'. Shown once: the ledger "
        "keeps only its hash, so a repeat of this request (same Idempotency-Key) answers null"
    )

    @classmethod
    def issued(cls, issued: IssuedKey) -> IssuedKeyOut:
        return cls(**KeyOut.of(issued.key).model_dump(), token=issued.token)


class KeyList(BaseModel):
    items: list[KeyOut]
