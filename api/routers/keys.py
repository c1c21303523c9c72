"""Managing API keys: admins only (``ledger keys`` does the same from a terminal)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from api.auth import ADMIN, PrincipalDep
from api.deps import ServicesDep
from api.errors import PROBLEM_RESPONSES
from api.idempotency import ClaimDep, IdempotentRoute, SecretIssuingRoute
from api.schemas.keys import IssuedKeyOut, KeyIn, KeyList, KeyOut

router = APIRouter(prefix="/v1/keys", tags=["keys"], dependencies=[ADMIN])
KeyId = Annotated[str, Path(min_length=1, max_length=100, description="The key's id")]


def create_key(
    body: KeyIn,
    services: ServicesDep,
    principal: PrincipalDep,
    response: Response,
    _claim: ClaimDep,
) -> IssuedKeyOut:
    """Only the key's hash is stored, so an idempotent repeat cannot show the token again;
    nothing is recorded in the ledger's event log for a key: the claim only guards against a
    second key being created by a retry."""
    assert principal.key is not None
    issued = services.keys.issue(body.role, body.name, created_by=principal.key.id)
    response.headers["Location"] = f"/v1/keys/{issued.key.id}"
    return IssuedKeyOut.issued(issued)


router.add_api_route(
    "",
    create_key,
    methods=["POST"],
    status_code=status.HTTP_201_CREATED,
    response_model=IssuedKeyOut,
    responses=PROBLEM_RESPONSES,
    summary="Create an API key; its token is shown in this answer only",
    route_class_override=SecretIssuingRoute,
)


@router.get("", response_model=KeyList, summary="Every API key, revoked ones included")
def list_keys(services: ServicesDep) -> KeyList:
    return KeyList(items=[KeyOut.of(key) for key in services.keys.all()])


@router.get("/{key_id}", response_model=KeyOut, responses=PROBLEM_RESPONSES, summary="One API key")
def get_key(key_id: KeyId, services: ServicesDep) -> KeyOut:
    return KeyOut.of(services.keys.get(key_id))


def revoke_key(
    key_id: KeyId, services: ServicesDep, principal: PrincipalDep, _claim: ClaimDep
) -> KeyOut:
    """A revoked key stays listed (the history names it for ever), so revoking is a POST
    that records the revocation, not a DELETE."""
    assert principal.key is not None
    return KeyOut.of(services.keys.revoke(key_id, revoked_by=principal.key.id))


router.add_api_route(
    "/{key_id}/revocation",
    revoke_key,
    methods=["POST"],
    response_model=KeyOut,
    responses=PROBLEM_RESPONSES,
    summary="Revoke an API key at once; revoking it again answers the same",
    route_class_override=IdempotentRoute,
)
