"""Every route of the app, every method, against every kind of caller.

The routes come from the app's own route table, so a route added tomorrow is checked too:
it fails here until it declares a policy, and until that policy is the one its kind of
route should have (``expected_policy``). Then each of seven callers (no key, a forged key, a
revoked key, and a key of each role) calls it, and the answer must be exactly what the
declared policy says: let through (anything but 401/403), 401 with a challenge, or 403.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient

from api.auth import PUBLIC_DOCUMENTS, api_routes, policy_of
from api.idempotency import IdempotentRoute
from api.main import create_app
from api.openapi import DOCS_ASSETS
from application.bootstrap import Services, bootstrap
from application.keys import CLI, TOKEN_PREFIX, Role
from application.settings import Settings
from tests.support.keys import bearer, issue

AUDIT_READS = {"/v1/subjects/{subject_id}/history", "/v1/events"}
ROLES = [role.value for role in Role]
IDENTITIES = ["anonymous", "invalid", "revoked", *ROLES]
PATH_VALUES = {
    "subject_id": str(uuid.uuid4()),
    "measure_id": f"{uuid.uuid4()}.1",
    "event_id": f"{uuid.uuid4()}@1",
    "key_id": "0123456789abcdef",
    "screening_id": "scr_" + "0" * 26,
    "dataset": "default",
    "form": "designate",
    "subscription_id": str(uuid.uuid4()),
    "link_id": str(uuid.uuid4()),
    "cluster_id": f"cl_{uuid.uuid4()}",
}


QUERIES_WITH_A_BODY = frozenset({"/v1/ledger/verification", "/v1/screenings", "/match/{dataset}"})
"""POSTs that record nothing: a check whose input (a saved checkpoint) is too long for a URL,
and the screenings, whose lists of names are too (a screening keeps a receipt, but records
no event)."""
SCREENINGS = frozenset({"/v1/screenings", "/match/{dataset}"})


def expected_policy(method: str, path: str) -> str:
    """The policy each kind of route must declare: the design's role model, written apart
    from the code that implements it."""
    if path in ("/health", "/ready", "/metrics", "/v1/ledger/public-key"):
        return "public"
    if path.startswith("/v1/keys"):
        return "admin"
    if path.startswith("/ui"):
        return ui_policy(path)
    if path == "/v1/ledger/verification":
        return "audit"  # A check that reads the whole log, asked for with a body.
    if method == "GET":
        return "audit" if path in AUDIT_READS else "read"
    if path in SCREENINGS:
        return "read"  # Questions put to the ledger, asked with a body.
    return "write"


UI_FORMS = ("/ui/subjects/{subject_id}/{form}", "/ui/measures/", "/ui/events/")


def ui_policy(path: str) -> str:
    """The web pages: signing in is open to anyone (but its form needs the pre-session's
    CSRF token), the operator's forms (shown and posted) need a session of a role that
    writes, every other page a session of any role."""
    if path == "/ui/sign-in":
        return "ui-sign-in"
    return "ui-operate" if path.startswith(UI_FORMS) else "ui"


def routes_and_methods(app: FastAPI) -> list[tuple[RouteContext, str]]:
    return [(route, method) for route in api_routes(app) for method in sorted(route.methods or ())]


@pytest.fixture(params=[False, True], ids=["keys-only", "public-reads"])
def services(request: pytest.FixtureRequest) -> Iterator[Services]:
    built = bootstrap(Settings(database_url="memory://", public_reads=request.param))
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def tokens(services: Services) -> dict[str, str | None]:
    revoked = issue(services, "operator", "soon revoked")
    services.keys.revoke(revoked[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 16], revoked_by=CLI)
    valid = issue(services, "reader", "forged after")
    forged = valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB")
    return {
        "anonymous": None,
        "invalid": forged,
        "revoked": revoked,
        **{role: issue(services, role) for role in ROLES},
    }


def expected_answer(
    policy: str, identity: str, admits: Callable[[Role | None, bool], bool], public_reads: bool
) -> str:
    """A bad key is refused even where no key is needed: its holder must learn at once that
    it no longer works."""
    if policy == "public":
        return "let through"
    if identity in ("invalid", "revoked"):
        return "401"
    role = None if identity == "anonymous" else Role(identity)
    if admits(role, public_reads):
        return "let through"
    return "401" if role is None else "403"


def call(client: TestClient, route: RouteContext, method: str, token: str | None) -> int:
    path = str(route.path_format).format(**PATH_VALUES)
    headers = {} if token is None else bearer(token)
    body: dict[str, object] | None = {} if method in ("POST", "PUT", "PATCH") else None
    # Streamed, and closed once the status and headers are read: the change stream's answer
    # (GET /v1/changes/stream) never ends by itself.
    with client.stream(method, path, headers=headers, json=body) as response:
        if response.status_code == 401:
            assert response.headers["www-authenticate"].startswith("Bearer realm=")
            assert response.headers["content-type"] == "application/problem+json"
        return response.status_code


def test_every_route_declares_the_policy_its_kind_of_route_needs(services: Services) -> None:
    app = create_app(services=services)
    declared = {
        (method, route.path_format): getattr(policy_of(route), "name", None)
        for route, method in routes_and_methods(app)
    }
    expected = {(method, path): expected_policy(method, str(path)) for method, path in declared}
    assert declared == expected
    unprotected_posts = [
        route.path_format
        for route, method in routes_and_methods(app)
        if method == "POST"
        and not isinstance(route.original_route, IdempotentRoute)
        and route.path_format not in QUERIES_WITH_A_BODY
        # The pages' forms carry a CSRF token; a browser sends no Idempotency-Key.
        and not str(route.path_format).startswith("/ui")
    ]
    assert unprotected_posts == [], "every POST that records takes an Idempotency-Key"


def test_every_route_and_method_answers_every_caller_as_its_policy_says(
    services: Services, tokens: dict[str, str | None]
) -> None:
    public_reads = services.settings.public_reads
    mismatches = []
    app = create_app(services=services)
    with TestClient(app) as client:
        routes = routes_and_methods(app)
        assert len(routes) >= 15
        for route, method in routes:
            policy = policy_of(route)
            assert policy is not None, f"{method} {route.path_format} declares no policy"
            for identity in IDENTITIES:
                expected = expected_answer(policy.name, identity, policy.admits, public_reads)
                if policy.name.startswith("ui"):
                    # A page ignores bearer keys: without a session a page redirects to
                    # the sign-in page and a form is refused.
                    expected = "let through" if method == "GET" else "403"
                status = call(client, route, method, tokens[identity])
                answered = {401: "401", 403: "403"}.get(status, "let through")
                if answered != expected:
                    mismatches.append((method, route.path_format, identity, expected, status))
    assert mismatches == []


def test_the_api_description_is_public_and_nothing_else_is_outside_the_policies(
    services: Services,
) -> None:
    app = create_app(services=services)
    others = [
        c.path_format
        for c in iter_route_contexts(app.routes)
        if not isinstance(c.original_route, APIRoute)
    ]
    # The viewers' scripts and styles are served by the app itself, public like the pages.
    # So are the pages' style sheet and script.
    assert set(others) <= PUBLIC_DOCUMENTS | {f"{DOCS_ASSETS}/{{path}}", "/ui/static/{path}"}
    with TestClient(app) as client:
        for path in ("/openapi.json", "/docs", "/redoc", f"{DOCS_ASSETS}/swagger-ui.css"):
            assert client.get(path).status_code == 200


def test_a_route_without_a_policy_is_refused_to_everyone(
    services: Services, tokens: dict[str, str | None]
) -> None:
    app = create_app(services=services)

    @app.get("/v1/forgotten")
    def forgotten() -> dict[str, str]:
        return {"open": "no"}

    with TestClient(app) as client:
        for identity in IDENTITIES:
            token = tokens[identity]
            response = client.get("/v1/forgotten", headers={} if token is None else bearer(token))
            assert response.status_code == 403, identity
    [forgotten_route] = [r for r in api_routes(app) if r.path_format == "/v1/forgotten"]
    assert policy_of(forgotten_route) is None
