from shared.settings import ServiceSettings


class SchedulerSettings(ServiceSettings):
    service_name: str = "scheduler"
    mdt_duration_minutes: int = 30
    # Recurring availability templates are written in the clinic's local time and stored in UTC.
    clinic_timezone: str = "Europe/London"
