"""FastAPI dependencies every service's routes share. The composition root (main.py) puts the unit of work
on `app.state.unit_of_work`; tests override `unit_of_work` with a fake."""

from typing import Annotated

from fastapi import Depends, Request

from shared.db.unit_of_work import UnitOfWork


def unit_of_work(request: Request) -> UnitOfWork:
    uow: UnitOfWork = request.app.state.unit_of_work
    return uow


UnitOfWorkDep = Annotated[UnitOfWork, Depends(unit_of_work)]
