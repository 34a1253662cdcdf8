"""Developer command: autogenerate a migration for one service.

python -m shared.db.revision intake "add a column"
"""

import sys
from pathlib import Path

from alembic import command

from shared.db.migrations import alembic_config
from shared.settings import DatabaseSettings

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    service, message = sys.argv[1], sys.argv[2]
    config = alembic_config(
        ROOT / "services" / service / "migrations", DatabaseSettings().database_url, service
    )
    command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":
    main()
