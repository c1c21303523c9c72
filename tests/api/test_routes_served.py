"""The app serves each module's routes as the module declared them (``api.routing``), not
copies made for it: the same routes, answering and documented as ``include_router`` would
have them, and built once per process rather than on each new app's first requests."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.auth import api_routes, declared_api_routes
from api.main import ROUTERS, create_app
from api.ui import router as ui_router
from application.settings import Settings


def _included() -> FastAPI:
    """What FastAPI makes of the same routers, included as usual."""
    app = FastAPI()
    for router in (*ROUTERS, ui_router):
        app.include_router(router)
    return app


def test_every_declared_route_is_served_as_built_once() -> None:
    app = create_app(Settings(database_url="memory://"))
    served = {id(route) for route in app.routes}
    declared = [route for router in ROUTERS for route in router.routes]
    declared += list(declared_api_routes(ui_router.routes))
    assert declared and all(id(route) in served for route in declared)


def test_the_routes_answer_and_are_documented_as_included_ones_would() -> None:
    ours = create_app(Settings(database_url="memory://"))
    included = _included()
    assert _signatures(included) <= _signatures(ours)
    documented, expected = ours.openapi()["paths"], included.openapi()["paths"]
    assert documented.keys() == expected.keys()
    for path, operations in expected.items():
        for method, operation in operations.items():
            mine = documented[path][method]
            for part in ("operationId", "tags", "summary"):
                assert mine.get(part) == operation.get(part), (path, method, part)
            assert _parameters(mine) == _parameters(operation), (path, method)
            assert operation["responses"].keys() <= mine["responses"].keys(), (path, method)
            assert ("requestBody" in mine) == ("requestBody" in operation), (path, method)


def _parameters(operation: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Each parameter's name, place and whether it is required (the app words the schemas
    of its own document: ``api.openapi``)."""
    return [(p["name"], p["in"], p.get("required", False)) for p in operation.get("parameters", [])]


def _signatures(app: FastAPI) -> set[tuple[str, tuple[str, ...], str, bool, object]]:
    """Each API route as the app serves it: its path, methods, endpoint, whether it is
    documented, and its response class."""
    return {
        (
            str(route.path_format),
            tuple(sorted(route.methods or ())),
            getattr(route.endpoint, "__qualname__", ""),
            bool(route.include_in_schema),
            getattr(route.response_class, "value", route.response_class),  # a default's
        )
        for route in api_routes(app)
    }
