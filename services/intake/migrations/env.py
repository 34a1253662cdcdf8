from sqlmodel import SQLModel

import services.intake.adapters.tables  # noqa: F401  (registers the tables on the metadata)
from shared.db.migrations import run_env

run_env(None, SQLModel.metadata)
