"""``ledger links``: suggested links from a terminal, and the decisions about them.

``suggest`` prints the pairs of subjects of different authorities that may be one, best first,
each with its score and reasons (a table, or JSON Lines with ``--json``); with
``--accept-above SCORE`` it links every pair scored at least SCORE, recording the rule as the
actor (``rule:links-auto@SCORE``). ``accept`` and ``reject`` decide one pair, as an operator
does with ``POST /v1/links`` and ``POST /v1/link-rejections``, recording the pair's evidence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import typer

from api.cli_options import CLI_ACTOR, DatabaseOption, as_of_moment, console
from api.cli_proofs import services_of
from application.linking.evidence import THRESHOLD
from domain.values import Authority

if TYPE_CHECKING:
    from application.bootstrap import Services
    from application.linking.suggest import Suggester, Suggestion
    from application.read_points import ReadPoint

app = typer.Typer(
    help="Suggest links between subjects of different authorities; decide them.",
    no_args_is_help=True,
)

AuthorityA = Annotated[
    Authority | None, typer.Option(help="Pairs whose first subject this authority lists")
]
AuthorityB = Annotated[
    Authority | None, typer.Option(help="Pairs whose second subject this authority lists")
]
AsOf = Annotated[
    str | None,
    typer.Option(help="Effective time: the profiles as of then (ISO date). Default: now"),
]
KnownAt = Annotated[
    str | None,
    typer.Option(help="Recorded time: as the ledger knew then (ISO timestamp or position:N)"),
]
Reason = Annotated[str, typer.Option(help="Why: recorded with the decision")]
SubjectId = Annotated[UUID, typer.Argument(help="A subject id")]


@app.command()
def suggest(
    authority_a: AuthorityA = None,
    authority_b: AuthorityB = None,
    min_score: Annotated[
        float, typer.Option(min=0, max=1, help="The lowest score a pair may have")
    ] = THRESHOLD,
    limit: Annotated[int, typer.Option(min=1, help="Pairs shown, at most")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one pair a line")] = False,
    accept_above: Annotated[
        float | None,
        typer.Option(
            min=0,
            max=1,
            help="Link every pair scored at least this, the rule recorded as the actor",
        ),
    ] = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    database: DatabaseOption = None,
) -> None:
    """Print the suggested pairs, best first; or link those above a score."""
    from application.linking import accept as decisions
    from application.linking.suggest import SuggestionRequest

    request = SuggestionRequest(
        authority_a=None if authority_a is None else authority_a.value,
        authority_b=None if authority_b is None else authority_b.value,
        min_score=min_score if accept_above is None else min(min_score, accept_above),
    )
    with services_of(database) as services:
        suggester, point = _suggester(services, as_of, known_at)
        found = suggester.suggestions(point, request)
        if accept_above is not None:
            run = decisions.accept_above(services.ledger, found, accept_above)
            console.print(
                f"Linked {len(run.accepted)} pairs scored {accept_above:g} or more as "
                f"{decisions.rule_actor(accept_above).id} ({run.joined_already} already joined "
                f"by this run, {run.refused} decided meanwhile).",
                markup=False,
            )
            found = run.accepted
    _show(found[:limit], as_json)
    if accept_above is None:
        console.print(
            f"{len(found)} pairs scored {min_score:g} or more at position {point.position}.",
            markup=False,
        )


@app.command("accept")
def accept_pair(
    first: SubjectId, second: SubjectId, reason: Reason, database: DatabaseOption = None
) -> None:
    """Link two subjects: the same person or entity. The pair's evidence is recorded."""
    from application.linking import accept as decisions

    with services_of(database) as services:
        suggester, point = _suggester(services, None, None)
        pair = suggester.pair(point, str(first), str(second))
        link_ids = decisions.accept(services.ledger, pair, CLI_ACTOR, reason)
    console.print(f"Linked: link {link_ids[0]}.", markup=False)


@app.command("reject")
def reject_pair(
    first: SubjectId, second: SubjectId, reason: Reason, database: DatabaseOption = None
) -> None:
    """Record that two subjects are not one, so the pair is not suggested again."""
    from application.linking import accept as decisions

    with services_of(database) as services:
        suggester, point = _suggester(services, None, None)
        pair = suggester.pair(point, str(first), str(second))
        link_ids = decisions.reject(services.ledger, pair, CLI_ACTOR, reason)
    console.print(f"Rejected: link {link_ids[0]}.", markup=False)


def _suggester(
    services: Services, as_of: str | None, known_at: str | None
) -> tuple[Suggester, ReadPoint]:
    from application.linking.suggest import Suggester

    services.projector.catch_up()
    point = services.reader.point(as_of_moment(as_of), known_at)
    return Suggester(services.reader, services.screening.indexed), point


def _show(found: list[Suggestion], as_json: bool) -> None:
    from api.json_answers import encode

    if as_json:
        for suggestion in found:
            typer.echo(encode(suggestion.document()))
        return
    for suggestion in found:
        left, right = suggestion.subject_a, suggestion.subject_b
        features = ", ".join(
            f"{name} {value:g}" for name, value in sorted(suggestion.evidence.features.items())
        )
        typer.echo(
            f"{suggestion.score:.4f}  {left.subject_id} {'/'.join(left.authorities)} "
            f"{left.primary_name!r}  ~  {right.subject_id} {'/'.join(right.authorities)} "
            f"{right.primary_name!r}  [{features}]"
        )
