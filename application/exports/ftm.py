"""The ledger at one read point as FollowTheMoney entities, streamed page by page.

What is exported: every subject whose profile holds at ``as_of`` as known at the read
point's position (the subjects ``GET /v1/subjects`` lists), each as a Person, Organization,
Company, Vessel or Airplane with its documents, then one ``Sanction`` per measure in force
at that point (the measures ``GET /v1/measures`` lists). So every Sanction's ``entity`` is an
entity of the same export, written just before it.

Each entity is a line of FtM's JSON (``EntityProxy.to_dict``: ``id``, ``schema``,
``properties``), with two context fields OpenSanctions' tools read as they are: ``target``
(the subject has a measure in force) and, for a subject the ledger knows to be one with
others, ``referents``: the entity ids of every member of its cluster, the same list on each,
so a tool that merges by referents puts them together, while each authority's record stays
the entity it published.

The export never holds the ledger in memory: subjects are read a page at a time, each page
at the same read point (rows the views keep for a position never change), and its entities
are made and handed on before the next page is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from application.bootstrap import Services
from application.exports.ftm_sanctions import TOPICS, sanction_entity
from application.exports.ftm_subjects import subject_entities
from application.exports.ftm_values import entity_id, put
from application.linking.clusters import clusters_at
from application.read_points import ReadPoint
from application.reading import Reader
from application.views.conditions import SubjectFilter

Entity = dict[str, Any]
Clusters = Callable[[ReadPoint], Mapping[str, str]]
"""Who the ledger knows to be one at a read point: subject id -> the cluster's canonical id."""
PAGE_SIZE = 500


def no_clusters(_point: ReadPoint) -> Mapping[str, str]:
    """A ledger that records no links: every subject stands alone."""
    return {}


def referents_of(clusters: Mapping[str, str]) -> dict[str, list[str]]:
    """Each clustered subject's ``referents``: the entity ids of every member of its cluster
    and of the cluster's canonical id, sorted, the same list for every member. A subject
    alone in its cluster has none."""
    members: dict[str, set[str]] = {}
    for subject_id, canonical in clusters.items():
        members.setdefault(canonical, {canonical}).add(subject_id)
    return {
        subject_id: sorted(entity_id(member) for member in members[canonical])
        for subject_id, canonical in clusters.items()
        if len(members[canonical]) > 1
    }


def ftm_export(services: Services) -> FtmExport:
    """The export of a running ledger, its clusters those the links recorded make."""
    return FtmExport(services.reader, lambda point: clusters_at(services.views, point))


class FtmExport:
    """Writes the ledger at a read point as FtM entities."""

    def __init__(
        self, reader: Reader, clusters: Clusters = no_clusters, page_size: int = PAGE_SIZE
    ) -> None:
        self.reader = reader
        self.clusters = clusters
        self.page_size = page_size

    def pages(self, point: ReadPoint) -> Iterator[list[Entity]]:
        """The entities a page of subjects at a time; each page read when it is asked for."""
        referents = referents_of(self.clusters(point))
        after: str | None = None
        while True:
            page = self.reader.subjects(point, SubjectFilter(), after, self.page_size)
            if page.items:
                yield [e for subject in page.items for e in entities_of(subject, referents)]
            if page.next_cursor is None:
                return
            after = str(page.items[-1]["subject_id"])

    def entities(self, point: ReadPoint) -> Iterator[Entity]:
        for page in self.pages(point):
            yield from page


def entities_of(subject: dict[str, Any], referents: Mapping[str, list[str]]) -> Iterator[Entity]:
    """A subject listed at a read point (its measures in force among its fields) as
    entities: its own, its documents', then a Sanction per measure."""
    proxy, documents = subject_entities(subject)
    measures = subject["measures"]
    for measure in measures:
        put(proxy, "topics", TOPICS.get(measure["kind"]))
    own = proxy.to_dict()
    own["target"] = bool(measures)
    cluster = referents.get(subject["subject_id"])
    if cluster:
        own["referents"] = cluster
    yield own
    for document in documents:
        yield document.to_dict()
    for measure in measures:
        yield sanction_entity(measure, subject).to_dict()
