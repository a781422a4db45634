"""The assistant's memory: conversations and their turns, in PostgreSQL.

A conversation belongs to the user who started it; another user's conversation id is
answered as not found (it does not say whether it exists). A follow-up question that
names no table is about the table of the conversation's last turn that had one.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ariadne_core.ai.assistant import AssistantAnswer, Cited, CitedEdge
from ariadne_core.db.models import AIConversation, AITurn, MetadataTable
from ariadne_core.errors import NotFound

HISTORY_TURNS = 10  # turns an LLM is shown


def open_conversation(
    session: Session, conversation_id: uuid.UUID | None, user_email: str
) -> AIConversation:
    if conversation_id is None:
        # Written with its first turn (`record`), in the same flush.
        conversation = AIConversation(id=uuid.uuid4(), user_email=user_email)
        session.add(conversation)
        return conversation
    found = session.get(AIConversation, conversation_id)
    if found is None or found.user_email != user_email:
        raise NotFound(
            f"There is no conversation {conversation_id} of yours; leave conversation_id out "
            "to start one.",
            details={"conversation_id": str(conversation_id)},
        )
    return found


def last_table(session: Session, conversation: AIConversation) -> Cited | None:
    row = session.execute(
        select(MetadataTable.id, MetadataTable.qualified_name)
        .join(AITurn, AITurn.about_table_id == MetadataTable.id)
        .where(AITurn.conversation_id == conversation.id, MetadataTable.is_deleted.is_(False))
        .order_by(AITurn.created_at.desc())
        .limit(1)
    ).first()
    return Cited("table", row[0], row[1]) if row else None


def history(session: Session, conversation: AIConversation) -> list[tuple[str, str]]:
    """The last turns, oldest first: (question, answer sentence)."""
    turns = session.scalars(
        select(AITurn)
        .where(AITurn.conversation_id == conversation.id)
        .order_by(AITurn.created_at.desc())
        .limit(HISTORY_TURNS)
    ).all()
    return [(t.question, str(t.answer.get("answer", ""))) for t in reversed(turns)]


def record(session: Session, conversation: AIConversation, answer: AssistantAnswer) -> None:
    about = answer.tables[0].id if answer.tables else None
    session.add(
        AITurn(
            conversation_id=conversation.id,
            question=answer.question,
            answer=_jsonable(asdict(answer)),
            about_table_id=about,
        )
    )
    conversation.updated_at = func.now()
    session.flush()


def answer_to_json(answer: AssistantAnswer) -> bytes:
    return json.dumps(_jsonable(asdict(answer))).encode()


def answer_from_json(data: bytes) -> AssistantAnswer:
    raw = json.loads(data)
    cite = lambda c: Cited(c["type"], uuid.UUID(c["id"]), c["qualified_name"])  # noqa: E731
    return AssistantAnswer(
        question=raw["question"],
        mode=raw["mode"],
        intent=raw["intent"],
        answer=raw["answer"],
        tables=[cite(c) for c in raw["tables"]],
        fields=[cite(c) for c in raw["fields"]],
        edges=[CitedEdge(**{**e, "id": uuid.UUID(e["id"])}) for e in raw["edges"]],
        relies_on_inferred=raw["relies_on_inferred"],
        notes=list(raw.get("notes", [])),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
