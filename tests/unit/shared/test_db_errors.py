"""Which database failures are outages (retry, or 503) and which are not."""

from sqlalchemy.exc import DBAPIError, IntegrityError

from shared.db.errors import is_transient


class CannotConnectNowError(Exception):
    """Named like asyncpg's: the server is starting or shutting down."""


class AdapterError(Exception):
    """Like SQLAlchemy's asyncpg adapter error, which carries the driver's error as its cause."""


def wrapped(driver_error: Exception) -> DBAPIError:
    adapter = AdapterError("wrapped")
    adapter.__cause__ = driver_error
    return DBAPIError("SELECT 1", {}, adapter)


def test_a_server_shutting_down_is_transient() -> None:
    assert is_transient(wrapped(CannotConnectNowError("the database system is shutting down")))


def test_connection_refused_is_transient() -> None:
    assert is_transient(ConnectionRefusedError())
    assert is_transient(wrapped(ConnectionResetError()))


def test_a_constraint_violation_is_not() -> None:
    assert not is_transient(IntegrityError("INSERT", {}, AdapterError("duplicate key")))
    assert not is_transient(ValueError("bad"))
