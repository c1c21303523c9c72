"""What every page route shares: doing its blocking work in one worker-thread call, and
showing the ledger's refusals as a page rather than as JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from starlette.responses import Response

from api.blocking import blocking
from api.ui.forms import status_of
from api.ui.rendering import error_page
from api.ui.sessions import Session
from domain.errors import LedgerError

T = TypeVar("T")


async def read_or_refusal(
    request: Request, session: Session, read: Callable[[], T]
) -> T | Response:
    """``read()`` in a worker thread; a refusal of the ledger (an unknown subject, a read
    point that is not one) as a page with the status and title the API would answer with."""
    try:
        return await blocking(read)
    except LedgerError as error:
        status, _, title = status_of(error)
        return error_page(request, session, status, title, error.detail)
