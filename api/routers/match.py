"""yente's matching endpoint on the ledger: ``POST /match/{dataset}``, request and answer alike.

OpenSanctions' yente is what many screening tools are written against. Each query is a
FollowTheMoney entity by example; each answer lists the subjects under measures in force with
yente's ``score``, ``features`` and ``match``. The ledger adds what yente cannot: ``as_of`` and
``known_at`` (the point in both times) and a receipt (``screening_id``), which any yente client
ignores. The screening itself is ``application.screening``'s, as for ``/v1/screenings``.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response

from api.auth import READ, PrincipalDep
from api.blocking import blocking
from api.deps import ServicesDep
from api.errors import PROBLEM_RESPONSES
from api.json_answers import documented, json_answer
from api.reading import AsOf, KnownAt
from api.routers.screening import SCREENING_ID, HitLimit, hits_per_query
from api.schemas.screening import EntityExample, EntityMatchQuery, EntityMatchResponse
from application.bootstrap import Services
from application.read_points import ReadPoint
from application.screening.model import Query as ScreeningQuery
from application.screening.scoring import (
    FEATURE_WEIGHTS,
    NAME_WEIGHT_OVERLAP,
    NAME_WEIGHT_SIMILARITY,
    THRESHOLD,
)
from application.screening.service import Filters, ScreeningRequest
from domain.errors import InvalidValue, NotFound
from domain.values import Authority, SubjectKind

router = APIRouter(tags=["screening"])

FTM_KINDS = {
    "Person": SubjectKind.PERSON.value,
    "Organization": SubjectKind.ORGANIZATION.value,
    "Company": SubjectKind.ORGANIZATION.value,
    "LegalEntity": SubjectKind.ORGANIZATION.value,
    "Vessel": SubjectKind.VESSEL.value,
    "Airplane": SubjectKind.AIRCRAFT.value,
}
"""The FollowTheMoney schemata a query may name, and the kind of subject each screens."""
FTM_SCHEMA = {
    SubjectKind.PERSON.value: "Person",
    SubjectKind.ORGANIZATION.value: "Organization",
    SubjectKind.VESSEL.value: "Vessel",
    SubjectKind.AIRCRAFT.value: "Airplane",
}
NAME_PROPERTIES = ("name", "alias")
COUNTRY_PROPERTIES = ("nationality", "country", "citizenship", "jurisdiction")
IDENTIFIER_PROPERTIES = (
    "idNumber",
    "passportNumber",
    "imoNumber",
    "registrationNumber",
    "taxNumber",
)
IDENTIFIER_PROPERTY = {
    "passport": "passportNumber",
    "imo": "imoNumber",
    "tax_id": "taxNumber",
    "registration": "registrationNumber",
}
"""The FollowTheMoney property of each kind of identifier; any other is an ``idNumber``."""
NAME_PROPERTY = {"primary": "name", "fka": "previousName", "weak_aka": "weakAlias"}
"""The property of each type of name; any other (aka, nka) is an ``alias``."""
MATCHER = {
    "name_similarity": (
        "How alike the names' folded tokens are, in any order (weighs "
        f"{NAME_WEIGHT_SIMILARITY} of the name's score)",
        NAME_WEIGHT_SIMILARITY,
    ),
    "token_overlap": (
        f"The share of tokens the names have in common (weighs {NAME_WEIGHT_OVERLAP} of the "
        "name's score)",
        NAME_WEIGHT_OVERLAP,
    ),
    "birth_date": ("Whether the birth dates agree: 1, 0.75 on the year alone, else less", 0),
    "country": ("Whether a country of the query is one of the subject's", 0),
    "identifier": ("Whether an identifier is equal: an equal one scores 1 whatever the name", 0),
}
DATASETS = {"default", *(authority.value for authority in Authority)}


@router.post(
    "/match/{dataset}",
    dependencies=[READ],
    response_model=None,
    responses={**documented(EntityMatchResponse), **PROBLEM_RESPONSES},
    summary="Match entities by example, as yente does (its request and answer)",
    description=(
        "yente's matching API: each query is a FollowTheMoney entity (schema Person, "
        "Organization, Company, LegalEntity, Vessel or Airplane; properties name, alias, "
        "birthDate, nationality, country, idNumber, passportNumber, imoNumber, "
        "registrationNumber, taxNumber), each answer the subjects under measures in force "
        "with their scores. The dataset is 'default' (every authority) or an authority "
        "(US-OFAC, UK, EU...). as_of and known_at, the ledger's own, set the point in both "
        "times; the screening's receipt id is in X-Screening-Id and screening_id."
    ),
)
async def match(
    services: ServicesDep,
    principal: PrincipalDep,
    body: EntityMatchQuery,
    dataset: Annotated[str, Path(max_length=100, examples=["default", "US-OFAC"])],
    limit: HitLimit = None,
    threshold: Annotated[
        float, Query(ge=0, le=1, description="The score from which a result is a match")
    ] = THRESHOLD,
    cutoff: Annotated[
        float, Query(ge=0, le=1, description="The lowest score a result may have")
    ] = 0.5,
    algorithm: Annotated[  # noqa: ARG001 (yente's clients send it; the ledger has one scorer)
        str, Query(max_length=100, description="Accepted for yente's clients; one scorer")
    ] = "best",
    as_of: AsOf = None,
    known_at: KnownAt = None,
) -> Response:
    if dataset not in DATASETS:
        raise NotFound(
            f"no dataset {dataset!r}: 'default', or one of {', '.join(a.value for a in Authority)}"
        )
    limit = hits_per_query(limit)
    keys, queries = _match_queries(body.queries)
    authorities = () if dataset == "default" else (dataset,)
    screening = ScreeningRequest(
        queries=tuple(queries),
        as_of=as_of,
        known_at=known_at,
        threshold=cutoff,
        limit=limit,
        filters=Filters(authorities=authorities),
    )
    requested_by = None if principal.key is None else principal.key.id

    def answer() -> dict[str, Any]:
        screened = services.screening.screen(screening, requested_by)
        return _match_answer(services, body, keys, screened, threshold, limit)

    answered = await blocking(answer)
    headers = {SCREENING_ID: answered["screening_id"], "X-Batch-Size": str(len(body.queries))}
    return json_answer(answered, headers=headers)


def _match_queries(
    examples: dict[str, EntityExample],
) -> tuple[list[str], list[ScreeningQuery]]:
    """One screening query per name of each example (an example without a name, one for
    its identifiers), and the example each belongs to."""
    if not examples:
        raise InvalidValue("no queries: give at least one example entity")
    keys: list[str] = []
    queries: list[ScreeningQuery] = []
    for key, example in examples.items():
        kind = FTM_KINDS.get(example.schema_)
        if kind is None:
            raise InvalidValue(
                f"queries.{key}: the schema {example.schema_[:100]!r} is not one the ledger "
                f"screens ({', '.join(FTM_KINDS)})"
            )
        names = [name.strip() for name in example.values(*NAME_PROPERTIES) if name.strip()]
        identifiers = [value for value in example.values(*IDENTIFIER_PROPERTIES) if value.strip()]
        if not names and not identifiers:
            raise InvalidValue(f"queries.{key}: give a name or an identifier to match")
        candidates: list[str | None] = [*names] or [None]
        for name in candidates:
            if name is not None and len(name) > 500:
                raise InvalidValue(f"queries.{key}: a name is longer than 500 characters")
            queries.append(
                ScreeningQuery(
                    name=name,
                    kind=None if example.schema_ == "LegalEntity" else kind,
                    birth_dates=tuple(example.values("birthDate")),
                    countries=tuple(example.values(*COUNTRY_PROPERTIES)),
                    identifiers=tuple(identifiers),
                )
            )
            keys.append(key)
    return keys, queries


def _match_answer(
    services: Services,
    body: EntityMatchQuery,
    keys: list[str],
    screened: dict[str, Any],
    threshold: float,
    limit: int,
) -> dict[str, Any]:
    """The screening's answer in yente's shape: each example's best hit per subject."""
    best: dict[str, dict[str, dict[str, Any]]] = {key: {} for key in body.queries}
    for key, result in zip(keys, screened["results"], strict=True):
        for hit in result["hits"]:
            held = best[key].get(hit["subject_id"])
            if held is None or hit["score"] > held["score"]:
                best[key][hit["subject_id"]] = hit
    point = ReadPoint.described(screened["read_point"])
    responses = {}
    for key, example in body.queries.items():
        hits = sorted(best[key].values(), key=lambda hit: (-hit["score"], hit["subject_id"]))
        results = [_scored_entity(services, hit, point, threshold) for hit in hits[:limit]]
        responses[key] = {
            "status": 200,
            "results": results,
            "total": {"value": len(hits), "relation": "eq"},
            "query": {
                "id": example.id,
                "schema": example.schema_,
                "properties": {name: example.values(name) for name in example.properties},
            },
        }
    return {
        "responses": responses,
        "matcher": _matcher(),
        "limit": limit,
        "screening_id": screened["screening_id"],
        "read_point": screened["read_point"],
    }


def _scored_entity(
    services: Services, hit: dict[str, Any], point: ReadPoint, threshold: float
) -> dict[str, Any]:
    subject, _ = services.reader.subject(UUID(hit["subject_id"]), point)
    return {
        "id": hit["subject_id"],
        "caption": hit["primary_name"] or hit["subject_id"],
        "schema": FTM_SCHEMA.get(hit["kind"], "LegalEntity"),
        "properties": _properties(subject, hit),
        "datasets": sorted({measure["authority"] for measure in hit["measures"]}),
        "referents": [f"{r['authority']}:{r['id']}" for r in subject.get("references", [])],
        "target": True,
        "first_seen": None,
        "last_seen": None,
        "last_change": None,
        "score": hit["score"],
        "features": hit["features"],
        "match": hit["score"] >= threshold,
    }


def _properties(subject: dict[str, Any], hit: dict[str, Any]) -> dict[str, list[str]]:
    """The subject's profile as FollowTheMoney properties."""
    profile = subject.get("profile", {})
    properties: dict[str, list[str]] = {}

    def add(name: str, value: str | None) -> None:
        if value and value not in properties.setdefault(name, []):
            properties[name].append(value)

    for name in profile.get("names", []):
        add(NAME_PROPERTY.get(name["type"], "alias"), name["value"])
    for birth_date in profile.get("birth_dates", []):
        add("birthDate", birth_date)
    nationality = "nationality" if hit["kind"] == SubjectKind.PERSON.value else "country"
    for country in profile.get("nationalities", []):
        add(nationality, country)
    for address in profile.get("addresses", []):
        add("address", address.get("text"))
        add("country", address.get("country"))
    for identifier in profile.get("identifiers", []):
        add(IDENTIFIER_PROPERTY.get(identifier["kind"], "idNumber"), identifier["value"])
    properties["topics"] = ["sanction"]
    return {name: values for name, values in properties.items() if values}


def _matcher() -> dict[str, dict[str, Any]]:
    """The features a score is made of, as yente documents its matcher's."""
    return {
        name: {
            "description": description,
            "coefficient": FEATURE_WEIGHTS.get(name, coefficient),
            "url": "/docs#/screening",
        }
        for name, (description, coefficient) in MATCHER.items()
    }
