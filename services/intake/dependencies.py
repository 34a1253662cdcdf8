"""What intake's routes take besides the shared dependencies (shared/http/dependencies.py): the settings the
composition root put on `app.state.settings`, and the referring system's header."""

from typing import Annotated

from fastapi import Depends, Request

from services.intake.settings import IntakeSettings

CLIENT_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"


async def intake_settings(request: Request) -> IntakeSettings:
    settings: IntakeSettings = request.app.state.settings
    return settings


Settings = Annotated[IntakeSettings, Depends(intake_settings)]
