"""For auditors who trust nothing: the log's signed checkpoints, proofs and full check.

Formats are the transparency logs' own (RFC 9162 proofs, C2SP signed checkpoints), so that
their tools check the ledger unchanged; ``README.md`` shows a verifier of a few lines."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from api.auth import AUDIT, PUBLIC, READ
from api.blocking import blocking
from api.deps import ServicesDep
from api.errors import PROBLEM_RESPONSES
from api.json_answers import documented, json_answer
from api.schemas.proofs import (
    CheckpointOut,
    ConsistencyOut,
    InclusionOut,
    PublicKeyOut,
    VerificationIn,
    VerificationOut,
)

router = APIRouter(tags=["proofs"])
TreeSize = Annotated[
    int | None,
    Query(
        ge=0, le=2**63 - 1, description="A tree size (number of events); the whole log if absent"
    ),
]
NOTE = "text/plain; charset=utf-8"


@router.get(
    "/v1/ledger/public-key",
    dependencies=[PUBLIC],
    response_model=None,
    responses={**documented(PublicKeyOut), **PROBLEM_RESPONSES},
    summary="The public key that signs the ledger's checkpoints",
)
async def public_key(services: ServicesDep) -> Response:
    return json_answer(services.proofs.public_key())


@router.get(
    "/v1/ledger/checkpoint",
    dependencies=[READ],
    response_model=None,
    responses={
        **documented(CheckpointOut),
        **{200: {"model": CheckpointOut, "content": {NOTE: {}}}},
        **PROBLEM_RESPONSES,
    },
    summary="A signed checkpoint of the log (C2SP tlog-checkpoint as a signed note)",
    description=(
        "The tree head at tree_size, or of the log up to a read answer's position, or of the "
        "whole log. With Accept: text/plain, the signed note itself."
    ),
)
async def checkpoint(
    services: ServicesDep,
    tree_size: TreeSize = None,
    position: Annotated[
        int | None,
        Query(ge=0, le=2**63 - 1, description="The checkpoint of the log up to this position"),
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    signed = await blocking(services.proofs.checkpoint, tree_size, position)
    if accept is not None and "text/plain" in accept and "json" not in accept:
        return Response(signed.note.encode(), media_type=NOTE)
    return json_answer(signed.as_json())


@router.get(
    "/v1/events/{event_id}/inclusion",
    dependencies=[READ],
    response_model=None,
    responses={**documented(InclusionOut), **PROBLEM_RESPONSES},
    summary="The audit path of an event in the tree of tree_size events (RFC 9162)",
)
async def inclusion(services: ServicesDep, event_id: str, tree_size: TreeSize = None) -> Response:
    return json_answer(await blocking(services.proofs.inclusion, event_id, tree_size))


@router.get(
    "/v1/ledger/consistency",
    dependencies=[READ],
    response_model=None,
    responses={**documented(ConsistencyOut), **PROBLEM_RESPONSES},
    summary="The proof that the tree of first events is a prefix of the tree of second (RFC 9162)",
)
async def consistency(
    services: ServicesDep,
    first: Annotated[int, Query(ge=0, le=2**63 - 1)],
    second: TreeSize = None,
) -> Response:
    return json_answer(await blocking(services.proofs.consistency, first, second))


@router.post(
    "/v1/ledger/verification",
    dependencies=[AUDIT],
    response_model=None,
    responses={**documented(VerificationOut), **PROBLEM_RESPONSES},
    summary="Check every stored event against the tree, and a saved checkpoint against today",
    description=(
        "Recomputes every leaf from the stored events and the tree from its leaves, and, given "
        "a checkpoint saved earlier, checks that today's log still starts with the events it "
        "signed. Answers 200 either way: verified says whether all holds, first_bad_position "
        "where it first does not."
    ),
)
async def verification(services: ServicesDep, body: VerificationIn | None = None) -> Response:
    note = None if body is None else body.checkpoint

    def check() -> dict[str, Any]:
        return services.proofs.verify(note).as_json()

    return json_answer(await blocking(check))
