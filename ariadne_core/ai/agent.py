"""The assistant with an LLM: a LangChain tool-calling loop over Ariadne's own services.

Used when an OpenAI-compatible chat endpoint is configured (OPENAI_API_KEY or
ARIADNE_LLM_BASE_URL; model ARIADNE_LLM_MODEL). The tools are the retrieval assistant's
own answers (ariadne_core.ai.assistant): search, upstream, downstream, impact and the
review queue, each returning a short summary and what it found. Everything a tool found
is cited in the answer, with each edge's lineage_source, so an LLM answer is held to the
same citations as a retrieval one.

Bounded: at most `MAX_STEPS` model calls, `TOKEN_BUDGET` tokens and
ARIADNE_LLM_TIMEOUT_SECONDS per question. When the LLM fails (unreachable, 429 or 5xx
after the client's retries, over budget), the answer is the retrieval one, and its
notes say why.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from ariadne_core.ai.assistant import (
    AssistantAnswer,
    Cited,
    CitedEdge,
    Context,
    answer_by_retrieval,
    answer_find,
    answer_impact,
    answer_review,
    answer_walk,
    check_question,
    intent_of,
    resolve_table,
)
from ariadne_core.config import Settings

DEFAULT_MODEL = "gpt-4o-mini"
MAX_STEPS = 6
TOKEN_BUDGET = 20_000
TOOL_RESULT_CHARS = 6_000

SYSTEM = (
    "You are Ariadne, the assistant of a metadata catalog and data-lineage platform. "
    "Answer only from what the tools return; never guess a table, column or edge. Name "
    "tables by their qualified names. When an answer relies on lineage whose "
    "lineage_source is 'inferred', say that it is inferred and not reviewed by a steward. "
    "If the tools find nothing, say so. Be brief."
)


def llm_configured(settings: Settings) -> bool:
    return bool(settings.openai_api_key or settings.llm_base_url)


class LLMFailed(Exception):
    """The model did not give an answer; the message says why (no secrets in it)."""


@dataclass
class Collected:
    tables: dict[str, Cited] = field(default_factory=dict)
    fields: dict[str, Cited] = field(default_factory=dict)
    edges: dict[str, CitedEdge] = field(default_factory=dict)

    def add(self, answer: AssistantAnswer) -> str:
        """Keep what a tool found; the tool's result for the model, as JSON."""
        for t in answer.tables:
            self.tables.setdefault(str(t.id), t)
        for f in answer.fields:
            self.fields.setdefault(str(f.id), f)
        for e in answer.edges:
            self.edges.setdefault(str(e.id), e)
        result = {
            "summary": answer.answer,
            "tables": [t.qualified_name for t in answer.tables],
            "columns": [f.qualified_name for f in answer.fields],
            "edges": [
                {"from": e.source, "to": e.target, "lineage_source": e.lineage_source}
                for e in answer.edges
            ],
        }
        return json.dumps(result)[:TOOL_RESULT_CHARS]


def _tools(ctx: Context, found: Collected) -> list[Any]:
    from langchain_core.tools import StructuredTool

    def missing(table: str) -> str:
        return json.dumps({"summary": f"No table matches '{table}'."})

    def search_catalog(query: str) -> str:
        """Find tables and columns by name, description or meaning."""
        return found.add(answer_find(query, ctx))

    def upstream(table: str) -> str:
        """Where a table's data comes from: the tables that feed it, within 3 hops."""
        cited = resolve_table(ctx, table)
        return found.add(answer_walk(table, cited, "upstream", ctx)) if cited else missing(table)

    def downstream(table: str) -> str:
        """What uses a table: the tables it feeds, within 3 hops."""
        cited = resolve_table(ctx, table)
        return found.add(answer_walk(table, cited, "downstream", ctx)) if cited else missing(table)

    def impact(table: str, change: str = "drop") -> str:
        """What breaks downstream if a table is dropped, renamed or changes type or schema
        (change: drop, rename, type change or schema change)."""
        cited = resolve_table(ctx, table)
        return found.add(answer_impact(change, cited, ctx)) if cited else missing(table)

    def review_queue(about: str = "") -> str:
        """Lineage waiting for a data steward's review, optionally about a table or words."""
        return found.add(answer_review(about or "pending", ctx))

    return [
        StructuredTool.from_function(f)
        for f in (search_catalog, upstream, downstream, impact, review_queue)
    ]


def chat_model(settings: Settings) -> Any:
    """The configured chat model, bounded by the timeout and retry settings."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model or DEFAULT_MODEL,
        base_url=settings.llm_base_url,
        api_key=settings.openai_api_key or "none",  # a local server may take no key
        timeout=settings.llm_timeout_seconds,
        max_retries=settings.ai_max_retries,
        temperature=0,
    )


def invoke(model: Any, messages: list[Any]) -> Any:
    """One model call; an API failure (after the client's retries) is an `LLMFailed`
    that names its kind, never the key or the request."""
    import openai

    try:
        return model.invoke(messages)
    except openai.APIError as exc:
        raise LLMFailed(f"{type(exc).__name__}: {getattr(exc, 'message', '')}"[:300]) from None


def write_from_facts(settings: Settings, instructions: str, facts: str) -> str:
    """One answer written by the model from ``facts`` alone (no tools)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    reply = invoke(chat_model(settings), [SystemMessage(instructions), HumanMessage(facts)])
    content = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
    if not content.strip():
        raise LLMFailed("the model answered with no text")
    return content.strip()


def answer_with_llm(
    question: str, ctx: Context, settings: Settings, history: list[tuple[str, str]]
) -> AssistantAnswer:
    """The LLM's answer, citing what its tools found; the retrieval answer, with a note,
    when the LLM fails."""
    text = check_question(question)
    try:
        return _run(text, ctx, settings, history)
    except LLMFailed as failure:
        fallback = answer_by_retrieval(text, ctx)
        fallback.notes.append(f"The LLM did not answer ({failure}); this answer is retrieval only.")
        return fallback


def _run(
    text: str, ctx: Context, settings: Settings, history: list[tuple[str, str]]
) -> AssistantAnswer:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    found = Collected()
    tools = _tools(ctx, found)
    by_name = {t.name: t for t in tools}
    model = chat_model(settings).bind_tools(tools)
    messages: list[Any] = [SystemMessage(SYSTEM)]
    for asked, answered in history:
        messages += [HumanMessage(asked), AIMessage(answered)]
    messages.append(HumanMessage(text))
    deadline = time.monotonic() + settings.llm_timeout_seconds
    tokens = 0
    for _ in range(MAX_STEPS):
        if time.monotonic() > deadline:
            raise LLMFailed(f"no answer within {settings.llm_timeout_seconds:g} s")
        reply = invoke(model, messages)
        usage = getattr(reply, "usage_metadata", None) or {}
        tokens += int(usage.get("total_tokens", 0))
        messages.append(reply)
        if not reply.tool_calls:
            content = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
            return _answer(text, content, found, ctx)
        if tokens > TOKEN_BUDGET:
            raise LLMFailed(f"the token budget ({TOKEN_BUDGET}) was spent")
        for call in reply.tool_calls:
            tool = by_name.get(call["name"])
            if tool is None:
                result = json.dumps({"error": f"there is no tool {call['name']}"})
            else:
                try:
                    result = tool.invoke(call["args"])
                except Exception as exc:  # a tool's own error goes back to the model
                    result = json.dumps({"error": str(exc)[:300]})
            messages.append(ToolMessage(content=result, tool_call_id=call["id"]))
    raise LLMFailed(f"no final answer after {MAX_STEPS} steps")


def _answer(text: str, content: str, found: Collected, ctx: Context) -> AssistantAnswer:
    answer = AssistantAnswer(text, "llm", intent_of(text), content.strip())
    answer.tables = list(found.tables.values())
    answer.fields = list(found.fields.values())
    answer.edges = list(found.edges.values())
    answer.relies_on_inferred = any(e.lineage_source == "inferred" for e in answer.edges)
    if answer.relies_on_inferred and "inferred" not in answer.answer.lower():
        answer.notes.append("Part of the lineage used is inferred and not reviewed by a steward.")
    return answer
