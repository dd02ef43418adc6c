"""Typeform form responses mapped to NPS answers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.source import Unmappable
from models.events import NpsEvent, Role
from tests.unit.gateway.support import RECEIVED, fixture, source

WITH_COMMENT = "typeform:\n  comment_field: why\n"


def answer(payload: dict[str, Any], config: str | None = None, tmp: Path | None = None) -> NpsEvent:
    [out] = source("typeform", config, tmp).map(payload, RECEIVED).events
    assert out.topic == "nps"
    assert isinstance(out.event, NpsEvent)
    return out.event


def test_a_form_response_is_an_nps_answer_of_the_hidden_account_and_user(tmp_path: Path) -> None:
    assert answer(fixture("typeform_form_response"), WITH_COMMENT, tmp_path) == NpsEvent(
        event_id="typeform:a3a12ec67a1365927098a606107fac15",
        account_id="acme-corp",
        occurred_at=datetime(2026, 3, 2, 12, 1, 45, tzinfo=UTC),
        respondent_id="u-4411",
        score=9,
        role=Role.BUSINESS_EXECUTIVE,
        comment="Exports got much faster this quarter.",
    )


def test_without_a_comment_field_configured_no_comment_is_sent() -> None:
    assert answer(fixture("typeform_form_response")).comment is None


def test_the_questions_can_be_named_by_field_id_and_the_respondent_by_an_answer(
    tmp_path: Path,
) -> None:
    payload = fixture("typeform_form_response")
    payload["form_response"]["answers"].append(
        {
            "type": "email",
            "email": "dana@acme.example",
            "field": {"id": "Q7pMail03", "type": "email", "ref": "email"},
        }
    )
    config = "typeform:\n  score_field: Q7pNps01\n  respondent_field: email\n"
    event = answer(payload, config, tmp_path)
    assert (event.score, event.respondent_id) == (9, "dana@acme.example")


def test_an_anonymous_response_is_its_own_respondent() -> None:
    payload = fixture("typeform_form_response")
    del payload["form_response"]["hidden"]["user_id"]
    assert answer(payload).respondent_id == "a3a12ec67a1365927098a606107fac15"


def test_a_long_comment_is_cut_to_two_thousand_characters(tmp_path: Path) -> None:
    payload = fixture("typeform_form_response")
    payload["form_response"]["answers"][1]["text"] = "x" * 5000
    assert answer(payload, WITH_COMMENT, tmp_path).comment == "x" * 2000


def test_a_response_that_skipped_the_nps_question_is_ignored() -> None:
    payload = fixture("typeform_form_response")
    payload["form_response"]["answers"].pop(0)
    mapped = source("typeform").map(payload, RECEIVED)
    assert (mapped.events, mapped.ignored) == ((), 1)


def test_a_form_without_the_configured_question_is_refused_not_silently_ignored(
    tmp_path: Path,
) -> None:
    with pytest.raises(Unmappable, match="no question with ref or id 'score'"):
        source("typeform", "typeform:\n  score_field: score\n", tmp_path).map(
            fixture("typeform_form_response"), RECEIVED
        )


def test_responses_to_forms_not_listed_are_ignored(tmp_path: Path) -> None:
    listed = source("typeform", "typeform:\n  forms: [other1]\n", tmp_path)
    assert listed.map(fixture("typeform_form_response"), RECEIVED).ignored == 1


@pytest.mark.parametrize(
    ("score", "message"),
    [
        (11, r"form_response\.answers\.0\.number: Input should be less than or equal to 10"),
        (7.5, r"form_response\.answers\.0\.number: the NPS answer must be a whole number"),
        ("9", r"form_response\.answers\.0\.number: the NPS answer must be a whole number"),
    ],
)
def test_a_score_outside_zero_to_ten_is_refused_naming_the_answer(
    score: object, message: str
) -> None:
    payload = fixture("typeform_form_response")
    payload["form_response"]["answers"][0]["number"] = score
    with pytest.raises(Unmappable, match=message):
        source("typeform").map(payload, RECEIVED)


def test_a_response_of_no_account_is_refused_naming_the_hidden_field() -> None:
    payload = fixture("typeform_form_response")
    del payload["form_response"]["hidden"]["account_id"]
    with pytest.raises(Unmappable, match=r"form_response\.hidden\.account_id: no account id"):
        source("typeform").map(payload, RECEIVED)


def test_the_event_id_is_the_response_token_whatever_the_delivery() -> None:
    payload = fixture("typeform_form_response")
    first = answer(payload).event_id
    payload["event_id"] = "01JNPS0EVENT00000000000002"  # a redelivery
    assert answer(payload).event_id == first


def test_other_webhook_event_types_are_ignored() -> None:
    payload = fixture("typeform_form_response")
    payload["event_type"] = "form_partial_response"
    assert source("typeform").map(payload, RECEIVED).ignored == 1
