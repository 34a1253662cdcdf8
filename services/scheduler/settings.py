from shared.settings import ServiceSettings


class SchedulerSettings(ServiceSettings):
    service_name: str = "scheduler"
    mdt_duration_minutes: int = 30
    # Recurring availability templates are written in the clinic's local time and stored in UTC.
    clinic_timezone: str = "Europe/London"
    # Automatic booking never picks a slot sooner than this after the moment of booking, so that an MDT is
    # not booked for two minutes from now. An emergency has its own, shorter lead (default none): it must
    # meet within 24 h and every minute counts.
    min_lead_minutes: int = 60
    emergency_min_lead_minutes: int = 0
    # How often the meetings' clock looks for due locks and extends series to their horizon.
    meeting_clock_seconds: float = 30.0
