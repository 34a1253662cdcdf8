"""Which failures mean "the database (or the network to it) is away for now": retry, or answer 503."""

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# asyncpg's names for a server that is down, starting, shutting down, or a connection that broke.
_UNAVAILABLE_DRIVER_ERRORS = {
    "CannotConnectNowError",
    "AdminShutdownError",
    "ConnectionDoesNotExistError",
    "ConnectionFailureError",
    "InternalClientError",
    "TooManyConnectionsError",
    "SerializationError",
    "DeadlockDetectedError",
    # Raised by the driver itself (statements sent to it directly, shared/db/driver.py): a closed connection.
    "InterfaceError",
    "PostgresConnectionError",
    "ConnectionResetError",
}


def is_transient(error: BaseException) -> bool:
    if isinstance(error, OperationalError | InterfaceError | PoolTimeoutError | OSError | TimeoutError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    # SQLAlchemy wraps the driver's error in an adapter class: walk to the asyncpg exception underneath.
    seen: BaseException | None = error
    for _ in range(5):
        if seen is None:
            break
        if type(seen).__name__ in _UNAVAILABLE_DRIVER_ERRORS or isinstance(seen, OSError):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False
