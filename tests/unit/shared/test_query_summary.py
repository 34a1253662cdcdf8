"""Database span names and summaries from SQL text (shared/db/query_summary.py): operations and the tables
they touch, never a literal value (OpenTelemetry semantic conventions for databases: db.query.summary)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.adapters.case_writes import _LOCK_CASES, _SAVE_DECISIONS, _SUBMIT
from shared.db.query_summary import MAX_SUMMARY_CHARS, sanitized_text, summarize


@pytest.mark.parametrize(
    ("sql", "summary"),
    [
        ("INSERT INTO intake.outbox (event_id, topic) VALUES ($1, $2)", "INSERT intake.outbox"),
        ("SELECT id, name FROM scheduler.clinicians WHERE active", "SELECT scheduler.clinicians"),
        (
            "UPDATE intake.outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
            "UPDATE intake.outbox",
        ),
        ("DELETE FROM a.b USING a.c WHERE a.b.id = a.c.id", "DELETE a.b a.c"),
        ("INSERT INTO a.b SELECT * FROM c.d", "INSERT a.b SELECT c.d"),
        ("SELECT * FROM unnest($1::uuid[]) AS e(id) JOIN s.t ON true", "SELECT s.t"),
        ("select x from s.a left join s.b on s.a.id = s.b.id", "SELECT s.a s.b"),
        ('SELECT "x" FROM "sch"."Tab" t', "SELECT sch.Tab"),
        ("SELECT extract(epoch FROM now() - created_at) FROM s.t", "SELECT s.t"),
        ("SELECT c FROM s.t WHERE id IN (SELECT id FROM s.u)", "SELECT s.t s.u"),
        ("SELECT pg_advisory_xact_lock(hashtext('scheduler:booking-batch'))", "SELECT pg_advisory_xact_lock"),
        ("SELECT 1", "SELECT"),
        ("CREATE TABLE IF NOT EXISTS a.b (x int)", "CREATE a.b"),
        ("LOCK TABLE s.t IN EXCLUSIVE MODE", "LOCK s.t"),
        ("/* lead */ -- comment\n SELECT x FROM s.t", "SELECT s.t"),
        # Locking and conflict clauses are not operations of their own.
        ("SELECT * FROM s.t FOR NO KEY UPDATE", "SELECT s.t"),
        ("INSERT INTO s.t (k) VALUES ($1) ON CONFLICT (k) DO UPDATE SET k = excluded.k", "INSERT s.t"),
        # Common table expressions are not tables; an operation on nothing but them is left out.
        (
            "WITH leader AS (SELECT pg_try_advisory_xact_lock(hashtext($1)) AS is_leader) "
            "SELECT o.id FROM intake.outbox o, leader WHERE leader.is_leader FOR UPDATE OF o SKIP LOCKED",
            "SELECT intake.outbox",
        ),
        (
            "WITH RECURSIVE r AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r JOIN s.t ON true",
            "SELECT s.t",
        ),
    ],
)
def test_summary_names_the_operations_and_their_tables(sql: str, summary: str) -> None:
    assert summarize(sql).summary == summary


def test_intakes_statements() -> None:
    submit = summarize(_SUBMIT)
    assert submit.summary == "INSERT intake.cases intake.case_versions intake.outbox"
    assert submit.operation == "INSERT"
    assert submit.collections == ("intake.cases", "intake.case_versions", "intake.outbox")
    assert submit.collection is None  # db.collection.name only for a single table
    assert summarize(_LOCK_CASES).summary == "SELECT intake.cases intake.case_versions"
    decisions = summarize(_SAVE_DECISIONS)
    assert (decisions.summary, decisions.collection) == ("UPDATE intake.cases", "intake.cases")


@pytest.mark.parametrize(
    ("sql", "operation"),
    [
        ("BEGIN;", "BEGIN"),
        ("BEGIN ISOLATION LEVEL READ COMMITTED;", "BEGIN"),
        ("START TRANSACTION", "BEGIN"),
        ("COMMIT;", "COMMIT"),
        ("ROLLBACK;", "ROLLBACK"),
        ("ROLLBACK TO SAVEPOINT sp_1", "ROLLBACK"),
        ("SAVEPOINT sp_1", "SAVEPOINT"),
        ("RELEASE SAVEPOINT sp_1", "RELEASE"),
    ],
)
def test_transaction_control_is_recognised(sql: str, operation: str) -> None:
    summary = summarize(sql)
    assert summary.transaction_control
    assert summary.operation == operation


def test_a_statement_is_not_transaction_control() -> None:
    assert not summarize("SELECT begin_at FROM s.t").transaction_control


def test_long_summaries_are_cut_at_a_word() -> None:
    sql = "SELECT * FROM " + ", ".join(f"schema_{i}.table_{i}" for i in range(60))
    summary = summarize(sql).summary
    assert len(summary) <= MAX_SUMMARY_CHARS
    assert summary.split()[-1].startswith("schema_")


def test_sanitized_text_keeps_placeholders_and_drops_literals() -> None:
    sql = "SELECT a FROM s.t WHERE b = 'Smith' AND c = 1931 AND d = $1 AND e = $$x$$ -- note\n LIMIT 2.5e1"
    assert sanitized_text(sql) == "SELECT a FROM s.t WHERE b = ? AND c = ? AND d = $1 AND e = ? LIMIT ?"


@given(
    value=st.text(alphabet=st.characters(exclude_categories=["Cs"])).map(lambda s: s.replace("'", "''")),
    number=st.integers(min_value=0, max_value=10**12) | st.floats(min_value=0, allow_infinity=False),
)
def test_no_literal_value_reaches_the_summary_or_text(value: str, number: float) -> None:
    sql = f"SELECT x FROM s.patients WHERE pseudonym = E'{value}' AND birth_year = {number}"
    assert summarize(sql).summary == "SELECT s.patients"
    assert sanitized_text(sql) == "SELECT x FROM s.patients WHERE pseudonym = ? AND birth_year = ?"
