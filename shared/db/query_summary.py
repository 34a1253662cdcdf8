"""What a SQL statement does, for the name and attributes of its database span (OpenTelemetry semantic
conventions for databases: `db.query.summary`, `db.operation.name`, `db.collection.name`).

Pure: it reads the statement's text, never its parameters. The summary is the statement's operations, each
followed by the tables it reads or writes, in the order they appear (`INSERT intake.outbox`,
`SELECT intake.cases intake.case_versions`); common table expressions are not tables, operations on nothing
but them are left out, and a statement that reads no table names the function it calls
(`SELECT pg_advisory_xact_lock`). `sanitized_text` is the statement with every literal replaced by `?`.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

MAX_SUMMARY_CHARS = 255  # the semantic conventions' limit for db.query.summary

# Data manipulation: an operation wherever a (sub)query starts.
_QUERY_OPERATIONS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "VALUES"})
# Only as the first word of a statement.
_STATEMENT_OPERATIONS = frozenset(
    {"CREATE", "ALTER", "DROP", "TRUNCATE", "LOCK", "COPY", "CALL", "SHOW", "SET", "RESET", "EXPLAIN"}
)
_TRANSACTION_CONTROL = {
    "BEGIN": "BEGIN",
    "START": "BEGIN",
    "COMMIT": "COMMIT",
    "END": "COMMIT",
    "ROLLBACK": "ROLLBACK",
    "ABORT": "ROLLBACK",
    "SAVEPOINT": "SAVEPOINT",
    "RELEASE": "RELEASE",
}
# Words after which INSERT/UPDATE/DELETE is a clause, not an operation (ON CONFLICT DO UPDATE, FOR UPDATE,
# FOR NO KEY UPDATE, ON DELETE CASCADE, MERGE's WHEN MATCHED THEN UPDATE).
_NOT_AN_OPERATION_AFTER = frozenset({"DO", "FOR", "KEY", "ON", "THEN"})
# Words after which the next name is a table.
_TABLE_INTRODUCERS = frozenset({"FROM", "JOIN", "INTO", "TABLE", "USING"})
_SKIP_BEFORE_TABLE = frozenset({"ONLY", "LATERAL", "TABLE", "IF", "EXISTS", "NOT"})
_KEYWORDS = frozenset(
    {
        *_QUERY_OPERATIONS,
        *_STATEMENT_OPERATIONS,
        *_TRANSACTION_CONTROL,
        *_TABLE_INTRODUCERS,
        *_SKIP_BEFORE_TABLE,
        "WITH", "RECURSIVE", "AS", "WHERE", "SET", "ON", "GROUP", "ORDER", "BY", "LIMIT", "OFFSET",
        "HAVING", "RETURNING", "UNION", "INTERSECT", "EXCEPT", "ALL", "DISTINCT", "FOR", "CONFLICT", "DO",
        "NOTHING", "LEFT", "RIGHT", "INNER", "OUTER", "FULL", "CROSS", "NATURAL", "AND", "OR", "IN", "IS",
        "NULL", "CASE", "WHEN", "THEN", "ELSE", "END", "WINDOW", "FETCH", "SKIP", "LOCKED", "NOWAIT",
        "MATERIALIZED", "DEFAULT", "OF", "SHARE",
    }
)  # fmt: skip

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|--[^\n]*|/\*.*?\*/)
    | (?P<string>[EeBbXxUu]?'(?:[^']|'')*'(?:&'(?:[^']|'')*')?)
    | (?P<dollar>\$(?P<tag>[A-Za-z_][A-Za-z0-9_]*)?\$.*?\$(?P=tag)?\$)
    | (?P<param>\$\d+)
    | (?P<quoted>"(?:[^"]|"")*")
    | (?P<number>(?<![\w.])\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|(?<![\w.])\.\d+(?:[eE][+-]?\d+)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<dot>\.)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class QuerySummary:
    summary: str  # db.query.summary, and the span's name
    operation: str  # db.operation.name: the first operation found
    collections: tuple[str, ...]  # every table named, in order, once each
    transaction_control: bool = False  # BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE

    @property
    def collection(self) -> str | None:
        """db.collection.name: set only when the statement names exactly one table."""
        return self.collections[0] if len(self.collections) == 1 else None


@dataclass(frozen=True)
class _Token:
    kind: str  # word, name (a possibly qualified identifier), punct, literal, param
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def _tokens(sql: str) -> list[_Token]:
    """Words and qualified names (schema.table joined), punctuation, literals and parameters."""
    raw: list[_Token] = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup
        text = match.group()
        if kind == "space":
            continue
        if kind in ("string", "dollar", "number"):
            raw.append(_Token("literal", text))
        elif kind == "quoted":
            raw.append(_Token("name", text[1:-1].replace('""', '"')))
        elif kind in ("word", "param", "dot", "punct"):
            raw.append(_Token(kind or "punct", text))
    joined: list[_Token] = []
    for token in raw:
        if (
            token.kind in ("word", "name")
            and len(joined) >= 2
            and joined[-1].kind == "dot"
            and joined[-2].kind in ("word", "name")
        ):
            joined.pop()
            previous = joined.pop()
            joined.append(_Token("name", f"{previous.text}.{token.text}"))
        else:
            joined.append(token)
    return joined


def _is_name(token: _Token | None) -> bool:
    return token is not None and (
        token.kind == "name" or (token.kind == "word" and token.upper not in _KEYWORDS)
    )


@lru_cache(maxsize=1024)
def summarize(sql: str) -> QuerySummary:
    tokens = _tokens(sql)
    first = next((t.upper for t in tokens if t.kind == "word"), "")
    if first in _TRANSACTION_CONTROL:
        operation = _TRANSACTION_CONTROL[first]
        return QuerySummary(operation, operation, (), transaction_control=True)

    ctes: set[str] = set()
    # (operation, tables) in order of appearance
    parts: list[tuple[str, list[str]]] = []
    # One entry per open parenthesis: does it hold a (sub)query? Tables are read only in query context.
    stack: list[bool] = []
    function_target: str | None = None

    def in_query() -> bool:
        return not stack or stack[-1]

    i = 0
    while i < len(tokens):
        token = tokens[i]
        previous = tokens[i - 1] if i else None
        upper = token.upper
        if token.text == "(":
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            stack.append(following is not None and following.upper in (_QUERY_OPERATIONS | {"WITH"}))
        elif token.text == ")":
            if stack:
                stack.pop()
        elif token.text == ";":
            stack.clear()
        elif upper == "WITH" or (upper == "RECURSIVE" and previous is not None and previous.upper == "WITH"):
            pass
        elif (
            _is_name(token)
            and i + 2 < len(tokens)
            and tokens[i + 1].upper == "AS"
            and (tokens[i + 2].text == "(" or tokens[i + 2].upper in ("MATERIALIZED", "NOT"))
            and previous is not None
            and (previous.upper in ("WITH", "RECURSIVE") or previous.text == ",")
        ):
            ctes.add(token.text.lower())
        elif in_query() and upper in _QUERY_OPERATIONS:
            if previous is None or previous.upper not in _NOT_AN_OPERATION_AFTER:
                parts.append((upper, []))
                if upper == "UPDATE":
                    i = _read_tables(tokens, i + 1, parts[-1][1])
                    continue
                if upper == "SELECT" and function_target is None:
                    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
                    after = tokens[i + 2] if i + 2 < len(tokens) else None
                    if _is_name(nxt) and after is not None and after.text == "(" and nxt is not None:
                        function_target = nxt.text
        elif previous is None and upper in _STATEMENT_OPERATIONS:
            parts.append((upper, []))  # its table, if any, follows TABLE (CREATE TABLE, LOCK TABLE, ...)
        elif in_query() and upper in _TABLE_INTRODUCERS and parts:
            i = _read_tables(tokens, i + 1, parts[-1][1], calls=upper in ("FROM", "JOIN", "USING"))
            continue
        i += 1

    for _, tables in parts:
        tables[:] = [t for t in tables if t.lower() not in ctes]
    return _summary(parts, function_target)


def _read_tables(tokens: list[_Token], i: int, into: list[str], *, calls: bool = False) -> int:
    """Reads `name [AS alias] [, name [AS alias]]...` from i. Where a function may stand (`calls`: after
    FROM, JOIN, USING), a name followed by `(` is one (`FROM unnest($1)`), and a `(` is a subquery: neither
    is a table. Returns the index after them."""
    while True:
        while i < len(tokens) and tokens[i].upper in _SKIP_BEFORE_TABLE:
            i += 1
        if i >= len(tokens) or not _is_name(tokens[i]):
            return i
        if calls and i + 1 < len(tokens) and tokens[i + 1].text == "(":
            return i  # a function call, read on as usual
        into.append(tokens[i].text)
        i += 1
        if i < len(tokens) and tokens[i].upper == "AS":
            i += 1
        if i < len(tokens) and _is_name(tokens[i]):
            i += 1  # alias
        if i < len(tokens) and tokens[i].text == ",":
            i += 1
            continue
        return i


def _summary(parts: list[tuple[str, list[str]]], function_target: str | None) -> QuerySummary:
    if not parts:
        return QuerySummary("", "", ())
    with_tables = [(operation, tables) for operation, tables in parts if tables]
    if not with_tables:
        operation = parts[0][0]
        target = [function_target] if function_target and operation == "SELECT" else []
        return QuerySummary(" ".join([operation, *target]), operation, ())
    merged: list[tuple[str, list[str]]] = []
    for operation, tables in with_tables:
        if merged and merged[-1][0] == operation:
            merged[-1][1].extend(t for t in tables if t not in merged[-1][1])
        else:
            merged.append((operation, list(dict.fromkeys(tables))))
    words = [word for operation, tables in merged for word in (operation, *tables)]
    summary = ""
    for word in words:
        candidate = f"{summary} {word}" if summary else word
        if len(candidate) > MAX_SUMMARY_CHARS:
            break
        summary = candidate
    collections = tuple(dict.fromkeys(t for _, tables in merged for t in tables))
    return QuerySummary(summary, merged[0][0], collections)


@lru_cache(maxsize=1024)
def sanitized_text(sql: str) -> str:
    """The statement with every string, dollar-quoted and numeric literal replaced by `?`, comments dropped
    and whitespace collapsed; parameter placeholders ($1) stay, their values are never part of the text."""
    out: list[str] = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup
        if kind == "space":
            if out and out[-1] != " ":
                out.append(" ")
        elif kind in ("string", "dollar", "number"):
            out.append("?")
        else:
            out.append(match.group())
    return "".join(out).strip()
