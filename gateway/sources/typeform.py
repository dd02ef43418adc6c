"""Typeform `form_response` webhooks -> `nps`.

The NPS question is the answer whose field ref or id is `score_field` (an
Opinion Scale / Net Promoter Score question: answer type `number`, 0-10).
The account comes from a hidden field (`form_response.hidden.account_id` by
default), the respondent from a hidden field or an answer (an email
question, say); a response naming no respondent counts as its own
respondent (its token). An optional text answer becomes the comment (cut to
2,000 characters) and an optional hidden field the role.

A response that skipped the NPS question, or of a form not listed in
`forms`, is ignored. The event id is `typeform:<token>` (the response's own
id), so a redelivered response is dropped by the worker; `submitted_at` is
the event time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import Field, field_validator

from gateway.signatures import verify_typeform
from gateway.source import Mapped, Outgoing, Unmappable
from gateway.sources.common import (
    AccountRule,
    Accounts,
    Path,
    Strict,
    at_path,
    build,
    clipped,
    event_id,
    first_at,
    identifier,
    normal_key,
    role_of,
    timestamp,
)
from models.events import NpsEvent, Role

FieldRef = str
MAX_COMMENT = 2000


class TypeformConfig(Strict):
    enabled: bool = True
    account: AccountRule = AccountRule(path=["form_response.hidden.account_id"])
    # The NPS question: its field ref (set in the form editor) or id.
    score_field: FieldRef = Field(default="nps", min_length=1)
    # The respondent: paths tried in order, or an answer (ref or id) when set.
    respondent_path: list[Path] = Field(default_factory=lambda: ["form_response.hidden.user_id"])
    respondent_field: FieldRef | None = None
    comment_field: FieldRef | None = None
    role_path: Path | None = "form_response.hidden.role"
    roles: dict[str, Role] = Field(default_factory=dict)
    # Only responses to these form ids are mapped (default: every form).
    forms: list[str] | None = None

    @field_validator("respondent_path", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("roles")
    @classmethod
    def _normal_role_keys(cls, value: dict[str, Role]) -> dict[str, Role]:
        return {normal_key(k): v for k, v in value.items()}


class TypeformSource:
    def __init__(
        self,
        config: TypeformConfig,
        secrets: Sequence[bytes],
        accounts: Accounts,
        name: str = "typeform",
    ) -> None:
        self._config = config
        self._secrets = tuple(secrets)
        self._accounts = accounts
        self._forms = frozenset(config.forms) if config.forms is not None else None
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def verify(self, headers: Mapping[str, str], body: bytes, now: float) -> None:
        verify_typeform(headers, body, self._secrets)

    def map(self, document: object, received_at: datetime) -> Mapped:
        if not isinstance(document, Mapping):
            raise Unmappable("body: expected a Typeform webhook (a JSON object)")
        if document.get("event_type", "form_response") != "form_response":
            return Mapped((), 1)
        response = document.get("form_response")
        if not isinstance(response, Mapping):
            raise Unmappable("form_response: missing")
        if self._forms is not None and response.get("form_id") not in self._forms:
            return Mapped((), 1)
        answers = response.get("answers") or []
        if not isinstance(answers, list):
            raise Unmappable("form_response.answers: expected an array")
        config = self._config
        found = _answer(answers, config.score_field)
        if found is None:
            _check_defined(response, config.score_field)
            return Mapped((), 1)  # the respondent skipped the question
        index, answer = found
        score = answer.get("number")
        score_field = f"form_response.answers.{index}.number"
        if isinstance(score, float) and score.is_integer():
            score = int(score)
        if isinstance(score, bool) or not isinstance(score, int):
            raise Unmappable(f"{score_field}: the NPS answer must be a whole number 0-10")
        account = self._accounts.of(document)
        if account is None:
            return Mapped((), 1)
        token = response.get("token") or document.get("event_id")
        if token is None:
            raise Unmappable("form_response.token: missing (nor event_id)")
        ident = identifier(token, "form_response.token")
        values: dict[str, object] = {
            "event_id": event_id("typeform", ident),
            "account_id": account,
            "occurred_at": timestamp(response.get("submitted_at"), "form_response.submitted_at"),
            "respondent_id": self._respondent(document, answers, ident),
            "score": score,
        }
        if config.role_path is not None:
            values["role"] = role_of(at_path(document, config.role_path), config.roles)
        if config.comment_field is not None:
            comment = _answer(answers, config.comment_field)
            text = _value(comment[1]) if comment else None
            if isinstance(text, str) and text.strip():
                values["comment"] = clipped(text.strip(), MAX_COMMENT)
        origin = {"score": score_field, "respondent_id": "respondent"}
        return Mapped((Outgoing("nps", build(NpsEvent, values, origin, "")),))

    def _respondent(self, document: Mapping[str, object], answers: list[object], token: str) -> str:
        config = self._config
        if config.respondent_field is not None:
            found = _answer(answers, config.respondent_field)
            value = _value(found[1]) if found else None
            where = f"form_response.answers.{found[0]}" if found else "respondent"
        else:
            value, where = first_at(document, config.respondent_path)
        if value is None or value == "":
            return token  # an anonymous answer is its own respondent
        respondent = identifier(value, where)
        return respondent if len(respondent) <= 128 else event_id("respondent", respondent)


def _answer(answers: list[object], ref: str) -> tuple[int, Mapping[str, object]] | None:
    for i, answer in enumerate(answers):
        if isinstance(answer, Mapping):
            field = answer.get("field")
            if isinstance(field, Mapping) and ref in (field.get("ref"), field.get("id")):
                return i, answer
    return None


def _value(answer: Mapping[str, object]) -> object:
    """An answer's value: Typeform keys it by the answer's type (text, email, …)."""
    kind = answer.get("type")
    value = answer.get(kind) if isinstance(kind, str) else None
    if isinstance(value, Mapping):  # a choice: its label
        return value.get("label")
    return value


def _check_defined(response: Mapping[str, object], ref: str) -> None:
    """A form whose definition lacks the NPS question is a configuration mistake, not a
    skipped question: refuse it loudly rather than ignore every response."""
    fields = at_path(response, "definition.fields")
    if not isinstance(fields, list):
        return
    if not any(isinstance(f, Mapping) and ref in (f.get("ref"), f.get("id")) for f in fields):
        raise Unmappable(
            f"form_response.definition.fields: no question with ref or id {ref!r} "
            "(the configured score_field)"
        )
