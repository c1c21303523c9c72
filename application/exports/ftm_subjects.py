"""A subject as FollowTheMoney entities: a Person, Organization, Company, Vessel or Airplane,
with a Passport, Identification or CryptoWallet entity for each document it holds.

The mapping keeps to FtM's own names (``name``, ``alias``, ``previousName``, ``weakAlias``,
``birthDate``, ``nationality``, ``passportNumber``, ``imoNumber`` ...). What has no property
of its own on the schema (an identifier kind it lacks, a detail of the source such as a
vessel's owner named in text) is kept in ``notes`` rather than dropped or forced into a
property it does not fit.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

from followthemoney import model
from followthemoney.proxy import EntityProxy

from application.exports.ftm_values import (
    birth_dates,
    entity_id,
    note,
    put,
    put_all,
    put_or_note,
)

NAME_PROPERTIES = {
    "primary": "name",
    "aka": "alias",
    "nka": "alias",
    "fka": "previousName",
    "weak_aka": "weakAlias",
    "description": "name",
}
"""A subject the source leaves unnamed is recorded as the source describes it: that
description is its ``name`` (FtM requires one) and its ``description`` too."""

COMPANY_IDENTIFIERS = frozenset({"registration_number", "tax_id", "swift_bic"})
LEGAL_FORM = re.compile(
    r"\b(LLC|L\.L\.C|LTD|LIMITED|CO|COMPANY|CORP|CORPORATION|INC|GMBH|JSC|OJSC|PJSC|CJSC|"
    r"OOO|ZAO|OAO|AO|AG|SA|S\.A|SRL|LLP|PLC|BV|B\.V|FZE|FZCO|FZ-LLC|SDN BHD|PTE|PVT)\b\.?",
    re.IGNORECASE,
)

IDENTIFIER_PROPERTIES = {
    "passport": "passportNumber",
    "national_id": "idNumber",
    "tax_id": "taxNumber",
    "registration_number": "registrationNumber",
    "imo": "imoNumber",
    "mmsi": "mmsi",
    "swift_bic": "swiftBic",
    "email": "email",
    "website": "website",
    "phone": "phone",
    "aircraft_tail_number": "registrationNumber",
    "aircraft_serial_number": "serialNumber",
}
DOCUMENT_SCHEMATA = {
    "passport": "Passport",
    "national_id": "Identification",
    "other": "Identification",
}
"""Identifier kinds that are documents a holder carries: each also becomes an entity of its
own, as OpenSanctions writes them, with its issuing country and note."""

DETAIL_PROPERTIES = {
    "call_sign": "callSign",
    "vessel_type": "type",
    "tonnage": "tonnage",
    "grt": "grossRegisteredTonnage",
    "vessel_flag": "flag",
    "former_vessel_flag": "pastFlags",
    "vessel_year_of_build": "buildDate",
    "aircraft_manufacture_date": "buildDate",
    "aircraft_model": "model",
    "organization_established_date": "incorporationDate",
    "organization_type": "sector",
    "target_type": "classification",
}


def schema_of(subject: dict[str, Any]) -> str:
    """The FtM schema of a subject: by its kind, and for an organization Company where it
    looks like one (a registry or tax number, a SWIFT code, or a legal form in its name)."""
    kind = subject["kind"]
    if kind == "person":
        return "Person"
    if kind == "vessel":
        return "Vessel"
    if kind == "aircraft":
        return "Airplane"
    profile = subject["profile"]
    kinds = {identifier["kind"] for identifier in profile["identifiers"]}
    if kinds & COMPANY_IDENTIFIERS or LEGAL_FORM.search(profile["primary_name"]):
        return "Company"
    return "Organization"


def subject_entities(subject: dict[str, Any]) -> tuple[EntityProxy, list[EntityProxy]]:
    """The subject's own entity, and the entities of the documents it holds."""
    proxy = model.make_entity(schema_of(subject))
    proxy.id = entity_id(subject["subject_id"])
    profile = subject["profile"]
    _names(proxy, profile["names"])
    _person_facts(proxy, profile)
    _places(proxy, profile)
    documents = list(_identifiers(proxy, profile["identifiers"]))
    for detail in profile["details"]:
        prop = DETAIL_PROPERTIES.get(detail["label"])
        label = detail["label"].replace("_", " ")
        if prop is None:
            note(proxy, label, detail["value"])
        else:
            put_or_note(proxy, prop, detail["value"], label)
    for link in profile["links"]:
        note(proxy, "linked to", link)
    put(proxy, "notes", profile["remarks"])
    return proxy, documents


def _names(proxy: EntityProxy, names: list[dict[str, str]]) -> None:
    for name in names:
        put(proxy, NAME_PROPERTIES[name["type"]], name["value"])
        if name["type"] == "description":
            put(proxy, "description", name["value"])


def _person_facts(proxy: EntityProxy, profile: dict[str, Any]) -> None:
    for value in profile["birth_dates"]:
        for date in birth_dates(value):
            put_or_note(proxy, "birthDate", date, "date of birth")
    put_all(proxy, "birthPlace", profile["birth_places"])
    put(proxy, "gender", profile["gender"])
    if profile["title"] is not None:
        put_or_note(proxy, "position", profile["title"], "title")


def _places(proxy: EntityProxy, profile: dict[str, Any]) -> None:
    """Nationalities (``nationality`` of a person, ``country`` of anything else) and
    addresses, each address's country among the subject's countries too."""
    countries = "nationality" if proxy.schema.get("nationality") else "country"
    for nationality in profile["nationalities"]:
        put_or_note(proxy, countries, nationality, "nationality")
    for address in profile["addresses"]:
        text = ", ".join(part for part in (address["text"], address["country"]) if part)
        put_or_note(proxy, "address", text, "address")
        put(proxy, "country", address["country"])


def _identifiers(proxy: EntityProxy, identifiers: list[dict[str, Any]]) -> Iterator[EntityProxy]:
    """Each identifier in its property, and as a document entity where it is one; in the
    notes where neither takes it. A document listed twice alike is written once."""
    written: set[str | None] = set()
    for identifier in identifiers:
        kind, value = identifier["kind"], identifier["value"]
        prop = IDENTIFIER_PROPERTIES.get(kind)
        taken = prop is not None and put(proxy, prop, value)
        document = _document(proxy, identifier)
        if document is not None:
            if document.id not in written:
                written.add(document.id)
                yield document
        elif not taken:
            note(proxy, _described(identifier), value)


def _document(holder: EntityProxy, identifier: dict[str, Any]) -> EntityProxy | None:
    """The Passport, Identification or CryptoWallet entity of an identifier a legal entity
    holds; None for any other (its property on the holder says it)."""
    if not holder.schema.is_a("LegalEntity") or holder.id is None:
        return None
    kind, value = identifier["kind"], identifier["value"]
    if kind == "digital_currency_address":
        wallet = model.make_entity("CryptoWallet")
        wallet.id = _document_id(holder.id, identifier)
        put(wallet, "holder", holder.id)
        put(wallet, "publicKey", value)
        put(wallet, "currency", (identifier["note"] or "").rpartition(" - ")[2] or None)
        return wallet if wallet.has("publicKey") else None
    schema = DOCUMENT_SCHEMATA.get(kind)
    if schema is None:
        return None
    document = model.make_entity(schema)
    document.id = _document_id(holder.id, identifier)
    put(document, "holder", holder.id)
    if not put(document, "number", value):
        return None
    put(document, "type", identifier["note"] if kind == "other" else kind.replace("_", " "))
    put(document, "country", identifier["country"])
    put(document, "summary", identifier["note"])
    return document


def _document_id(holder_id: str, identifier: dict[str, Any]) -> str:
    """Stable across exports: a digest of what the document is, not its place in a list."""
    content = "\x1f".join(str(identifier[k] or "") for k in ("kind", "value", "country", "note"))
    return f"{holder_id}-doc-{hashlib.sha256(content.encode()).hexdigest()[:16]}"


def _described(identifier: dict[str, Any]) -> str:
    parts = [identifier["kind"].replace("_", " ")]
    parts += [part for part in (identifier["country"], identifier["note"]) if part]
    return " ".join([parts[0], *(f"({part})" for part in parts[1:])])
