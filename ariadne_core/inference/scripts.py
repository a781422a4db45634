"""Cutting SQL text into statements: scripts, and the bodies of procedures and functions.

A script is split on the dialect's own tokens (so a ``;`` inside a string or a comment
never splits), each piece remembering the line it starts on, which is what evidence
and import messages cite. T-SQL scripts without semicolons are split where a line
starts a new statement. A procedure or function body (PL/pgSQL, PL/SQL, T-SQL) is
unwrapped: its declarations and control flow (``IF … THEN``, ``LOOP``, ``BEGIN``/``END``,
``EXCEPTION``) are dropped and the data statements inside are kept, with their lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

MAX_STATEMENTS = 20_000


@dataclass(frozen=True)
class Piece:
    text: str
    line: int  # 1-based line of the piece's first character in the original text
    in_body: bool = False  # cut out of a procedure or function body
    body_of: str | None = None  # the procedure's name


_GO = re.compile(r"^\s*GO\s*;?\s*$", re.IGNORECASE | re.MULTILINE)
_STATEMENT_START = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|TRUNCATE|WITH|SELECT|USE|DECLARE|SET|"
    r"EXEC|EXECUTE|PRINT|RETURN|IF|BEGIN|END|COMMIT|ROLLBACK)\b",
    re.IGNORECASE,
)
_ROUTINE = re.compile(
    r"^\s*(CREATE\s+(OR\s+(REPLACE|ALTER)\s+)?(DEFINER\s*=\s*\S+\s+)?|ALTER\s+)"
    r"(PROCEDURE|PROC|FUNCTION|TRIGGER|PACKAGE\s+BODY|PACKAGE)\s+([\w.\"\[\]`$#@]+)",
    re.IGNORECASE,
)
_DOLLAR_BODY = re.compile(r"(\$[A-Za-z_]*\$)(.*?)\1", re.DOTALL)
_ANON_BLOCK = re.compile(r"^\s*(DO\s+(\$[A-Za-z_]*\$)|DECLARE\b|BEGIN\b)", re.IGNORECASE)


def _line_at(text: str, offset: int, base: int) -> int:
    return base + text.count("\n", 0, offset)


def _tokens(text: str, dialect: str) -> list[sqlglot.tokens.Token] | None:
    try:
        return sqlglot.Dialect.get_or_raise(dialect).tokenize(text)
    except TokenError:
        return None


def split_script(text: str, dialect: str, *, base_line: int = 1) -> list[Piece]:
    """Statements of ``text`` in order; routine bodies are unwrapped into their
    statements. Empty pieces are dropped."""
    text = _GO.sub(";", text) if dialect == "tsql" else text
    pieces: list[Piece] = []
    for chunk, start in _split_on_semicolons(text, dialect):
        line = _line_at(text, start, base_line)
        routine = _ROUTINE.match(chunk) or (
            _ANON_BLOCK.match(chunk)
            if dialect != "tsql" or chunk.lstrip()[:5].upper() != "BEGIN"
            else None
        )
        if routine is not None:
            pieces.extend(_routine_pieces(chunk, dialect, line, routine))
            continue
        pieces.append(Piece(chunk, line))
    return pieces[:MAX_STATEMENTS]


def _split_on_semicolons(text: str, dialect: str, *, nested: bool = False) -> list[tuple[str, int]]:
    """(piece, start offset) pairs. Routines keep their inner semicolons: a piece that
    opens a routine or a block runs to its matching END (a body in one dollar-quoted
    string needs no END). Inside a body (``nested``) every semicolon splits."""
    tokens = _tokens(text, dialect)
    if tokens is None:  # an unterminated string or comment: cut on plain semicolons
        out, start = [], 0
        for match in re.finditer(";", text):
            out.append((text[start : match.start()], start))
            start = match.end()
        out.append((text[start:], start))
        return [(p, s) for p, s in out if p.strip()]
    out = []
    start_token = 0
    depth = 0  # BEGIN … END nesting inside a routine or block
    in_routine = opened = False
    for i, token in enumerate(tokens):
        kind = token.token_type
        if i == start_token:
            head = text[token.start : token.start + 200]
            in_routine = not nested and bool(_ROUTINE.match(head) or _ANON_BLOCK.match(head))
            depth, opened = 0, False
        if in_routine and kind in (TokenType.HEREDOC_STRING, TokenType.RAW_STRING):
            opened = True  # the body is this one token
        if in_routine:
            word = token.text.upper()
            if kind in (TokenType.BEGIN,) or word in ("BEGIN", "CASE", "LOOP"):
                # CASE and LOOP close with END as well
                if not (word == "LOOP" and i and tokens[i - 1].text.upper() == "END"):
                    depth += 1
                    opened = True
            elif word == "END":
                nxt = tokens[i + 1].text.upper() if i + 1 < len(tokens) else ""
                if nxt not in ("IF", "LOOP", "CASE", "WHILE") or nxt in ("LOOP", "CASE"):
                    depth = max(depth - 1, 0)
        if kind == TokenType.SEMICOLON and not (in_routine and (depth > 0 or not opened)):
            first = tokens[start_token]
            if i > start_token:
                out.append((text[first.start : tokens[i - 1].end + 1], first.start))
            start_token = i + 1
    if start_token < len(tokens):
        first = tokens[start_token]
        out.append((text[first.start : tokens[-1].end + 1], first.start))
    if dialect == "tsql":
        out = [part for piece, start in out for part in _split_tsql_lines(piece, start, nested)]
    return [(p, s) for p, s in out if p.strip()]


def _split_tsql_lines(piece: str, start: int, nested: bool = False) -> list[tuple[str, int]]:
    """T-SQL needs no semicolons: a line that starts a statement outside parentheses
    starts a new piece (not when it continues an INSERT with its SELECT, or a CTE)."""
    if _ROUTINE.match(piece) and not nested:
        return [(piece, start)]
    out: list[tuple[str, int]] = []
    offset, current, depth = 0, 0, 0
    previous_keyword = ""
    for line in piece.splitlines(keepends=True):
        match = _STATEMENT_START.match(line)
        if match and depth == 0 and offset > current:
            word = match.group(1).upper()
            continues = (word == "SELECT" and previous_keyword in ("INSERT", "WITH", "CREATE")) or (
                word in ("INSERT", "UPDATE", "DELETE", "MERGE", "SELECT")
                and previous_keyword == "WITH"
            )
            if not continues:
                out.append((piece[current:offset], start + current))
                current = offset
                previous_keyword = word
        elif match and offset == current:
            previous_keyword = match.group(1).upper()
        depth += line.count("(") - line.count(")")
        depth = max(depth, 0)
        offset += len(line)
    out.append((piece[current:], start + current))
    return [(p, s) for p, s in out if p.strip()]


_CONTROL = re.compile(
    r"^\s*(?:"
    r"BEGIN(?:\s+TRY|\s+CATCH|\s+TRANSACTION|\s+TRAN)?\b|END(?:\s+(?:IF|LOOP|CASE|TRY|CATCH|WHILE))?"
    r"\b(?:\s+[A-Za-z_]\w*)?(?=\s*$)|END(?:\s+(?:IF|LOOP|CASE|TRY|CATCH|WHILE))?\b|ELSE\b|"
    r"LOOP\b|EXCEPTION\b|THEN\b|"
    r"(?:ELSIF|ELSEIF|IF|WHEN|WHILE)\b.*?\b(?:THEN|LOOP)\b|"
    r"FOR\b.*?\bLOOP\b|"
    r"(?:IF|WHILE)\s*(?:NOT\s+)?(?:EXISTS\s*)?\((?:[^()]|\([^()]*\))*\)|"
    r"(?:COMMIT|ROLLBACK)(?:\s+(?:WORK|TRANSACTION|TRAN))?\b|NULL\b|RETURN\b[^;]*|"
    r"<<\w+>>"
    r")",
    re.IGNORECASE | re.DOTALL,
)
_DATA_START = re.compile(
    r"\b(INSERT|UPDATE|MERGE|DELETE|CREATE|WITH|SELECT|TRUNCATE|DROP|ALTER|REPLACE)\b",
    re.IGNORECASE,
)
_DECLARED = re.compile(r"^\s*(?:DECLARE\s+)?@?([A-Za-z_]\w*)\s+[A-Za-z_]", re.IGNORECASE)


def _routine_pieces(
    chunk: str, dialect: str, line: int, routine: re.Match[str] | None
) -> list[Piece]:
    name = (
        routine.group(6)
        if routine is not None and routine.lastindex and routine.lastindex >= 6
        else None
    )
    body, body_line = _routine_body(chunk, line)
    if body is None:
        return [Piece(chunk, line)]
    declared = _declared_variables(body)
    pieces: list[Piece] = []
    for text, start in _split_on_semicolons(body, dialect, nested=True):
        stripped = text
        while True:
            match = _CONTROL.match(stripped)
            if match is None or match.end() == 0:
                break
            stripped = stripped[match.end() :]
        lead = len(text) - len(stripped)
        found = _DATA_START.search(stripped)
        if found is None:
            continue
        if stripped[: found.start()].strip():
            # something else comes first (an assignment, a DECLARE, a call): look inside
            # only if it is an assignment from a query (x := (SELECT …)) — not lineage
            continue
        statement = stripped[found.start() :].strip()
        if not statement:
            continue
        offset = start + lead + found.start()
        pieces.append(Piece(statement, _line_at(body, offset, body_line), True, name))
    if declared:
        pieces = [p for p in pieces if not _into_variable(p.text, declared)]
    return pieces


def _routine_body(chunk: str, line: int) -> tuple[str | None, int]:
    dollar = _DOLLAR_BODY.search(chunk)
    if dollar is not None:
        return dollar.group(2), _line_at(chunk, dollar.start(2), line)
    match = re.search(r"\b(AS|IS)\b", chunk, re.IGNORECASE) or re.search(
        r"\bBEGIN\b", chunk, re.IGNORECASE
    )
    if _ANON_BLOCK.match(chunk):
        start = 0
    elif match is None:
        return None, line
    else:
        start = match.end() if match.group(0).upper() in ("AS", "IS") else match.start()
    return chunk[start:], _line_at(chunk, start, line)


def _declared_variables(body: str) -> set[str]:
    names = set()
    # PL/pgSQL: DECLARE … BEGIN; PL/SQL: the routine's IS/AS section before BEGIN
    declare = re.search(r"\bDECLARE\b(.*?)\bBEGIN\b", body, re.IGNORECASE | re.DOTALL) or re.match(
        r"(.*?)\bBEGIN\b", body, re.IGNORECASE | re.DOTALL
    )
    if declare:
        for part in declare.group(1).split(";"):
            match = _DECLARED.match(part)
            if match:
                names.add(match.group(1).lower())
    for match in re.finditer(r"\bDECLARE\s+@(\w+)", body, re.IGNORECASE):
        names.add(match.group(1).lower())
    return names


def _into_variable(text: str, declared: set[str]) -> bool:
    """``SELECT … INTO v_total FROM …`` inside a routine assigns a variable."""
    match = re.match(
        r"^\s*SELECT\b.*?\bINTO\s+(?:STRICT\s+)?@?([\w]+)\s*(?:,|\bFROM\b|$)",
        text,
        re.IGNORECASE | re.DOTALL,
    )
    return bool(match and match.group(1).lower() in declared)
