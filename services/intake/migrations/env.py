from sqlmodel import SQLModel

import services.intake.adapters.tables
import services.intake.webhooks.tables  # noqa: F401
from shared.db.migrations import run_env

run_env(None, SQLModel.metadata)
