"""Read answers whose JSON the endpoint writes itself, while the OpenAPI document still
declares their models.

FastAPI would validate a returned value against the route's response model and serialize
it again. The documents read endpoints return are already in their answer's shape: the
views stored them as JSON when the projector wrote them, and ``application.documents`` made
the rest in the same shape. So these answers are written straight from them (a list page
joins the stored texts of its items without decoding any), and each route declares its
model through ``documented`` instead of ``response_model``. The tests check that every such
answer equals what its declared model makes of it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Response
from pydantic import BaseModel

from application.reading import TextPage

JSON = "application/json"


def encode_bytes(document: Any) -> bytes:
    """JSON as FastAPI writes it: compact, UTF-8, no NaN (written ``null``). ``orjson``
    writes it several times faster than the standard library, byte for byte the same but
    for a float below 1e-4, which it writes without an exponent (``0.00001`` for
    ``1e-05``). An integer beyond 64 bits, which it cannot write, is left to the standard
    library."""
    try:
        return orjson.dumps(document)
    except TypeError:
        return json.dumps(
            document, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode()


def encode(document: Any) -> str:
    return encode_bytes(document).decode()


def json_answer(document: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(encode_bytes(document), media_type=JSON, headers=headers)


def page_answer(page: TextPage) -> Response:
    """A list page: its items as stored, the cursor of the next page, the read point."""
    point = encode(page.point.describe())
    body = (
        f'{{"items":[{",".join(page.items)}],"next_cursor":{encode(page.next_cursor)},{point[1:]}'
    )
    return Response(body.encode(), media_type=JSON)


def documented(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` entry declaring what a route answers with, as ``response_model``
    would have in the OpenAPI document."""
    return {200: {"model": model, "description": "Successful Response"}}
