"""A measure as a FollowTheMoney ``Sanction``: who imposed it on which entity, under which
programs, from when to when, and the public source it cites.

``startDate`` is when the measure took effect; ``endDate`` when it ends as far as the ledger
knows at the read point (a stated end, or a rescission recorded effective later);
``listingDate`` the date the source was published. The measure's kind and its kind-specific
terms are its ``provisions`` ("asset freeze", "visa ban, covering family members" ...).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from followthemoney import model
from followthemoney.proxy import EntityProxy

from application.exports.ftm_values import entity_id, moment, put, put_all

AUTHORITY_NAMES = {
    "US-OFAC": "US Department of the Treasury, Office of Foreign Assets Control (US-OFAC)",
    "US-STATE": "US Department of State (US-STATE)",
    "UK": "United Kingdom (UK)",
    "CA": "Government of Canada (CA)",
    "EU": "European Union (EU)",
    "UN-SC": "United Nations Security Council (UN-SC)",
}
AUTHORITY_COUNTRIES = {
    "US-OFAC": "us",
    "US-STATE": "us",
    "UK": "gb",
    "CA": "ca",
    "EU": "eu",
    "UN-SC": "zz",
}
"""FtM's code for the jurisdiction each authority acts for (``zz``: global)."""

PROVISIONS = {
    "designation": "asset freeze (blocking)",
    "visa_ban": "visa ban (entry ban)",
    "investment_restriction": "investment restriction (securities)",
}
TOPICS = {
    "designation": "sanction",
    "visa_ban": "sanction",
    "investment_restriction": "invest.ban",
}
"""The FtM topic a measure in force gives its subject, as OpenSanctions tags targets."""


def sanction_entity(measure: dict[str, Any], subject: dict[str, Any]) -> EntityProxy:
    """The Sanction of a measure in force at the read point, on the subject's entity."""
    proxy = model.make_entity("Sanction")
    proxy.id = entity_id(measure["measure_id"])
    authority = measure["authority"]
    put(proxy, "entity", entity_id(subject["subject_id"]))
    put(proxy, "authority", AUTHORITY_NAMES.get(authority, authority))
    put(proxy, "country", AUTHORITY_COUNTRIES.get(authority))
    for reference in subject["references"]:
        if reference["authority"] == authority:
            put(proxy, "authorityId", reference["id"])
            if authority == "UN-SC":
                put(proxy, "unscId", reference["id"])
    put_all(proxy, "program", measure["programs"])
    put_all(proxy, "provisions", _provisions(measure))
    put(proxy, "status", "in force")
    put(proxy, "startDate", moment(measure["effective_from"]))
    put(proxy, "endDate", moment(_end(measure)))
    if measure["legal_basis"]:
        put(proxy, "summary", f"Legal basis: {measure['legal_basis']}")
    put(proxy, "description", measure["details"])
    put(proxy, "reason", measure["reason"])
    put(proxy, "recordId", measure["imposed_by"])
    _source(proxy, measure["source"])
    return proxy


def _provisions(measure: dict[str, Any]) -> list[str]:
    kind = measure["kind"]
    provisions = [PROVISIONS.get(kind, kind)]
    if measure["covers_family"]:
        provisions.append("covers immediate family members")
    if measure["divestment_deadline"]:
        provisions.append(f"divestment deadline {measure['divestment_deadline']}")
    return provisions


def _end(measure: dict[str, Any]) -> str | None:
    """The earlier of a stated end and a rescission."""
    ends = [e for e in (measure["effective_until"], measure["rescinded_at"]) if e]
    return min(ends, key=datetime.fromisoformat) if ends else None


def _source(proxy: EntityProxy, source: dict[str, Any]) -> None:
    put(proxy, "sourceUrl", source["url"])
    put(proxy, "publisher", source["reference"])
    put(proxy, "listingDate", source["published_on"])
    put(proxy, "retrievedAt", moment(source["observed_at"]))
