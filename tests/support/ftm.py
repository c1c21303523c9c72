"""Checking an export as ``followthemoney`` reads it: every entity, every property value."""

from __future__ import annotations

import json
from typing import Any

from followthemoney import model
from followthemoney.types import registry

Entity = dict[str, Any]


def parsed_lines(text: str) -> list[Entity]:
    return [json.loads(line) for line in text.splitlines() if line]


def invalid_values(data: Entity) -> list[str]:
    """Everything FtM would refuse or change in one entity as written: an unknown schema or
    property, a reverse (stub) property, a value its type cleans to something else or to
    nothing, a missing required property, an id that is not a valid entity id."""
    problems: list[str] = []
    schema = model.get(data["schema"])
    if schema is None:
        return [f"{data['id']}: no schema {data['schema']!r}"]
    if registry.entity.clean(data["id"]) != data["id"]:
        problems.append(f"{data['id']}: not a valid entity id")
    loaded = model.get_proxy(data, cleaned=False)
    for name, values in data["properties"].items():
        prop = schema.get(name)
        if prop is None or prop.stub:
            problems.append(f"{data['id']}: {schema.name} has no property {name}")
            continue
        if not values:
            problems.append(f"{data['id']}: {name} is empty")
        if loaded.get(name) != values:
            problems.append(f"{data['id']}: {name} {values!r} reads as {loaded.get(name)!r}")
        problems.extend(
            f"{data['id']}: {name} {value!r} is not a valid {prop.type.name}"
            for value in values
            if not prop.type.validate(value)
        )
    problems.extend(
        f"{data['id']}: the required {name} is missing"
        for name in schema.required
        if not data["properties"].get(name)
    )
    return problems


def checked_export(entities: list[Entity]) -> dict[str, Entity]:
    """The entities by id, once every one is valid, unique, and every entity reference
    (a Sanction's ``entity``, a document's ``holder``) names an entity of the same export."""
    by_id: dict[str, Entity] = {}
    problems: list[str] = []
    for entity in entities:
        problems.extend(invalid_values(entity))
        if entity["id"] in by_id:
            problems.append(f"{entity['id']}: twice")
        by_id[entity["id"]] = entity
    for entity in entities:
        schema = model.get(entity["schema"])
        assert schema is not None
        for name, values in entity["properties"].items():
            prop = schema.get(name)
            if prop is not None and prop.type == registry.entity:
                problems.extend(
                    f"{entity['id']}: {name} {value} is not in the export"
                    for value in values
                    if value not in by_id
                )
    assert not problems, problems[:20]
    return by_id
