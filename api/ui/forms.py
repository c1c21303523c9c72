"""The operator's forms: which fields each has, and how a submitted form becomes the very
request body the API takes.

A form is turned into the JSON document of the matching API request and validated by the
API's own models (``api.schemas``), so a form accepts exactly what the API accepts and says
so in the same words; its errors are sent back to the fields they name. What the ledger then
refuses (an overlap, an implausible date) comes back as the API's problem would, and is shown
next to the field it concerns where there is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from api.errors import OTHER_LEDGER_ERROR, STATUS_BY_ERROR
from api.schemas.measures import DesignationIn, InvestmentRestrictionIn, RescissionIn, VisaBanIn
from api.schemas.writes import VoidingIn
from domain.errors import ImplausibleDate, LedgerError
from domain.values import Authority

AUTHORITIES = tuple(authority.value for authority in Authority)
GENERAL = "_form"
"""Where an error that concerns no single field is shown: at the top of the form."""


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"
    """``text``, ``date``, ``textarea``, ``checkbox``, ``url`` or ``select``."""
    options: tuple[str, ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class FormSpec:
    slug: str
    title: str
    model: type[BaseModel]
    fields: tuple[Field, ...]
    date_field: str
    """The field an implausible date is shown next to."""


SOURCE = (
    Field("source_authority", "Source: published by", "select", AUTHORITIES),
    Field("source_reference", "Source: which document", hint="A press release id, a notice"),
    Field("source_url", "Source: address", "url"),
    Field("source_published_on", "Source: published on", "date"),
    Field("reason", "Reason (optional)", "textarea"),
    Field("confirm_unusual_dates", "Record a date before 1945 or over a year ahead", "checkbox"),
)
MEASURE = (
    Field("authority", "Authority", "select", AUTHORITIES),
    Field("programs", "Programs", hint="One or more, separated by commas: DPRK3, GLOMAG"),
    Field("legal_basis", "Legal basis", hint="E.g. E.O. 13818"),
    Field("effective_from", "In force from", "date"),
    Field("effective_until", "In force until (optional)", "date"),
    Field("details", "Details", "textarea"),
)
FORMS = {
    spec.slug: spec
    for spec in (
        FormSpec(
            "designate",
            "Designate (freeze assets)",
            DesignationIn,
            MEASURE + SOURCE,
            "effective_from",
        ),
        FormSpec(
            "visa-ban",
            "Ban entry",
            VisaBanIn,
            (*MEASURE, Field("covers_family", "Covers immediate family", "checkbox"), *SOURCE),
            "effective_from",
        ),
        FormSpec(
            "investment-restriction",
            "Restrict investment in securities",
            InvestmentRestrictionIn,
            (*MEASURE, Field("divestment_deadline", "Divestment deadline", "date"), *SOURCE),
            "effective_from",
        ),
        FormSpec(
            "rescind",
            "Rescind a measure",
            RescissionIn,
            (Field("effective_at", "Out of force from", "date"), *SOURCE),
            "effective_at",
        ),
        FormSpec(
            "void",
            "Void an event recorded in error",
            VoidingIn,
            (
                Field("reason", "What was recorded in error", "textarea"),
                *(f for f in SOURCE if f.name.startswith("source_")),
            ),
            "",
        ),
    )
}
SUBJECT_FORMS = ("designate", "visa-ban", "investment-restriction")


@dataclass
class Outcome:
    """A form as submitted: its values (to show again) and its errors by field."""

    values: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)
    status: int = 200
    title: str = ""

    def add(self, where: str, message: str) -> None:
        self.errors.setdefault(where, []).append(message)


def values_of(form: Mapping[str, Any], spec: FormSpec) -> dict[str, str]:
    """The submitted values of the spec's fields, as text."""
    found = {}
    for item in spec.fields:
        value = form.get(item.name)
        if isinstance(value, str):
            found[item.name] = value.strip()
    return found


def document(spec: FormSpec, values: Mapping[str, str]) -> dict[str, Any]:
    """The API request body the form stands for: blank fields left out, as a client
    leaves out what it does not know."""
    body: dict[str, Any] = {}
    source: dict[str, Any] = {}
    for item in spec.fields:
        value = values.get(item.name, "")
        if item.kind == "checkbox":
            if value:
                body[item.name] = True
        elif not value:
            continue
        elif item.name.startswith("source_"):
            source[item.name.removeprefix("source_")] = value
        elif item.name == "programs":
            body["programs"] = [p.strip() for p in value.replace("\n", ",").split(",") if p.strip()]
        else:
            body[item.name] = value
    if source.get("reference") or spec.slug != "void":
        body["source"] = source
    return body


def validated(spec: FormSpec, values: Mapping[str, str]) -> tuple[BaseModel | None, Outcome]:
    """The API's model of the submitted form, or the errors its validation found."""
    outcome = Outcome(dict(values))
    try:
        return spec.model.model_validate(document(spec, values)), outcome
    except ValidationError as error:
        outcome.status, outcome.title = 422, "Invalid request"
        names = {item.name for item in spec.fields}
        for problem in error.errors():
            where = _field_of(problem.get("loc", ()), names)
            outcome.add(where, str(problem.get("msg", "invalid")))
        return None, outcome


def _field_of(location: tuple[Any, ...], names: set[str]) -> str:
    """The form field a validation error's location names (``source.reference`` is the
    field ``source_reference``, ``programs.0`` the field ``programs``)."""
    parts = [str(part) for part in location if not isinstance(part, int)]
    for size in range(len(parts), 0, -1):
        candidate = "_".join(parts[:size])
        if candidate in names:
            return candidate
    return GENERAL


def refused(spec: FormSpec, outcome: Outcome, error: LedgerError) -> Outcome:
    """The ledger's refusal, with the status and title the API would answer with."""
    outcome.status, _, outcome.title = status_of(error)
    where = spec.date_field if isinstance(error, ImplausibleDate) and spec.date_field else GENERAL
    outcome.add(where, error.detail)
    return outcome


def status_of(error: LedgerError) -> tuple[int, str, str]:
    for error_type, status, slug, title in STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status, slug, title
    return OTHER_LEDGER_ERROR
