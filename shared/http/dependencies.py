"""FastAPI dependencies every service's routes share. The composition root (main.py) puts the unit of work
on `app.state.unit_of_work`; tests override `unit_of_work` with a fake."""

from typing import Annotated

from fastapi import Depends, Request

from shared.auth import Principal, Role, caller_with
from shared.db.unit_of_work import UnitOfWork


# Dependencies are coroutines: FastAPI runs a plain function in a worker thread, a thread hop per request
# (a sixth of intake's request handling in the py-spy profile, bench/PROFILE.md section 8).
async def unit_of_work(request: Request) -> UnitOfWork:
    uow: UnitOfWork = request.app.state.unit_of_work
    return uow


UnitOfWorkDep = Annotated[UnitOfWork, Depends(unit_of_work)]


# Callers by role, for module-level routes: `who: Coordinator`.
Integration = Annotated[Principal, Depends(caller_with(Role.integration))]
IntegrationOrOps = Annotated[Principal, Depends(caller_with(Role.integration, Role.ops))]
Coordinator = Annotated[Principal, Depends(caller_with(Role.coordinator))]
Recorder = Annotated[Principal, Depends(caller_with(Role.coordinator, Role.clinician))]
AnyStaff = Annotated[Principal, Depends(caller_with(Role.coordinator, Role.clinician, Role.ops))]
