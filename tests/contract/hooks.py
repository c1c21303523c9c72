"""A check schemathesis runs beside its own (``tests/contract/schemathesis.toml`` loads it).

``positive_data_acceptance`` is configured to let 412 and 422 through, because a request
the schema allows can still break a rule only the ledger knows: an If-Match the subject has
moved past, an effective date before 1945 given without confirmation, a period that ends
before it starts, an Idempotency-Key already used for another request. This check keeps that
allowance narrow: such a refusal must be one of the ledger's rules, never the request
validation that the schema itself describes, which would mean the schema lies.
"""

from __future__ import annotations

from typing import Any

import schemathesis

RULES = ("/invalid-value", "/idempotency-key-reused", "/unacceptable-text")
"""The ledger's own rules. ``unacceptable-text`` is stated in the document as every free-text
string's ``pattern``, but a pattern cannot name every character the rule refuses (lone
surrogates, the non-characters beyond the first plane: ``domain.text``), and schemathesis
may draw one of those as valid data."""


@schemathesis.check
def refusals_of_valid_requests_are_the_ledgers_rules(
    _ctx: Any, response: Any, case: Any
) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code == 412:
        sent = {name.lower() for name in (case.headers or {})}
        assert "if-match" in sent, "412 for a request without If-Match"
    if response.status_code == 422:
        problem_type = str(response.json().get("type", ""))
        assert problem_type.endswith(RULES), (
            f"a schema-valid request was refused as malformed ({problem_type}): "
            f"{response.json().get('detail')}"
        )
    return None
