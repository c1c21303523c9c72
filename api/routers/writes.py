"""Voiding events recorded in error, and recording whole actions at once."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import WriterDep
from api.preconditions import IfMatchDep
from api.routing import receipt_answer, write_route
from api.schemas.writes import ActionIn, VoidingIn

router = APIRouter(tags=["writes"])


@write_route(router, "/v1/events/{event_id}/voiding", "Mark an event as recorded in error")
async def void_event(
    event_id: str, body: VoidingIn, writer: WriterDep, if_match: IfMatchDep
) -> Response:
    return receipt_answer(await writer.record(lambda: body.to_command(event_id, if_match)))


@write_route(router, "/v1/actions", "Record one announcement's changes, all or nothing")
async def record_action(body: ActionIn, writer: WriterDep) -> Response:
    return receipt_answer(await writer.record(body.to_command))
