"""What a screening hit says of its subject's cluster of linked subjects.

Every hit names its subject's cluster at the screening's read point (``cluster``, or null).
A screening asked per cluster (``cluster: true``) answers one hit per cluster, scored by its
best member, with every member listed (``members``), the authorities whose measures are in
force on any of them, and those measures in words (``summary``).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

CLUSTER_OPTION = (
    "One hit per cluster of linked subjects (GET /v1/clusters/{id}): scored by its best "
    "member, listing every member with its authority and measures in force; subjects in no "
    "cluster stay hits of their own"
)


class HitClusterOut(BaseModel):
    cluster_id: str = Field(description="The cluster's canonical id: GET /v1/clusters/{id}")
    members: list[str] = Field(description="The cluster's other members' subject ids")


class ClusterMeasureOut(BaseModel):
    measure_id: str
    authority: str
    kind: str
    programs: list[str]
    effective_from: str
    summary: str = Field(examples=["designation by UN-SC since 2021-12-10 (DPRK3)"])


class ClusterMemberOut(BaseModel):
    subject_id: str
    kind: str | None
    primary_name: str | None
    score: float | None = Field(description="The member's own score, if it matched too")
    matched_name: str | None
    measures: list[ClusterMeasureOut] = Field(description="Its measures in force at the point")


class ClusterHitFields(BaseModel):
    """The fields a hit has of its cluster; ``members``, ``authorities`` and ``summary``
    only in a screening asked per cluster (null there for a subject in no cluster)."""

    cluster: HitClusterOut | None = Field(
        default=None, description="The subject's cluster of linked subjects at the point"
    )
    members: list[ClusterMemberOut] | None = Field(
        default=None, description="Per cluster only: every member of the hit's cluster"
    )
    authorities: list[str] | None = Field(
        default=None, description="Per cluster only: the authorities with measures in force"
    )
    summary: str | None = Field(
        default=None,
        description="Per cluster only: every member's measures in force, in words",
        examples=["designation by US-OFAC since 2021-12-10; designation by UN-SC since 2021-12-10"],
    )
