"""The links of the scheduler's OpenAPI document (shared/http/openapi_links.py), by the ids each answer
carries: a clinician's `id` to its availability, a window's `start`/`end` to the slots in it, a booking's
`booking_id` to its moves and outcome, a team's `team_id` to its series and meetings, a meeting's
`meeting_id` to its agenda and life, an agenda item's `item_id` to its edits and outcome."""

from shared.http.openapi_links import Link, fan_out

CREATE_CLINICIAN = "create_clinician_v1_clinicians_post"
LIST_CLINICIANS = "list_clinicians_v1_clinicians_get"
GET_CLINICIAN = "get_clinician_v1_clinicians__clinician_id__get"
UPDATE_CLINICIAN = "update_clinician_v1_clinicians__clinician_id__patch"
ADD_WINDOW = "add_availability_v1_clinicians__clinician_id__availability_post"
LIST_WINDOWS = "list_availability_v1_clinicians__clinician_id__availability_get"
ADD_WEEKLY_WINDOWS = "add_weekly_availability_v1_clinicians__clinician_id__availability_weekly_post"
DELETE_WINDOW = "delete_availability_v1_clinicians__clinician_id__availability__window_id__delete"
LIST_SLOTS = "list_slots_v1_slots_get"
LIST_BOOKINGS = "list_bookings_v1_bookings_get"
GET_BOOKING = "get_booking_v1_bookings__booking_id__get"
CANCEL_BOOKING = "cancel_booking_v1_bookings__booking_id__cancel_post"
RESCHEDULE_BOOKING = "reschedule_booking_v1_bookings__booking_id__reschedule_post"
GET_WORKLIST = "get_worklist_v1_worklist_get"
LIST_TEAMS = "list_teams_v1_teams_get"
CREATE_TEAM = "create_team_v1_teams_post"
GET_TEAM = "get_team_v1_teams__team_id__get"
UPDATE_TEAM = "update_team_v1_teams__team_id__patch"
PUT_MEMBER = "put_member_v1_teams__team_id__members__clinician_id__put"
DELETE_MEMBER = "delete_member_v1_teams__team_id__members__clinician_id__delete"
CREATE_SERIES = "create_series_v1_teams__team_id__series_post"
LIST_SERIES = "list_series_v1_teams__team_id__series_get"
UPDATE_SERIES = "update_series_v1_series__series_id__patch"
DELETE_SERIES = "delete_series_v1_series__series_id__delete"
LIST_MEETINGS = "list_meetings_v1_meetings_get"
CREATE_MEETING = "create_meeting_v1_meetings_post"
GET_MEETING = "get_meeting_v1_meetings__meeting_id__get"
GET_AGENDA = "get_agenda_v1_meetings__meeting_id__agenda_get"
LOCK_MEETING = "lock_meeting_v1_meetings__meeting_id__lock_post"
FINISH_MEETING = "finish_meeting_v1_meetings__meeting_id__finish_post"
CANCEL_MEETING = "cancel_meeting_v1_meetings__meeting_id__cancel_post"
RECORD_ABSENCE = "record_absence_v1_meetings__meeting_id__absences__clinician_id__put"
REMOVE_ABSENCE = "remove_absence_v1_meetings__meeting_id__absences__clinician_id__delete"
UPDATE_ITEM = "update_item_v1_meetings__meeting_id__items__item_id__patch"
MOVE_ITEM = "move_item_v1_meetings__meeting_id__items__item_id__move_post"
RECORD_ITEM_OUTCOME = "record_item_outcome_v1_meetings__meeting_id__items__item_id__outcome_post"
RECORD_HUDDLE_OUTCOME = "record_huddle_outcome_v1_bookings__booking_id__outcome_post"

OK, CREATED = ("200",), ("201",)
CLINICIAN_OPERATIONS = {
    "GetClinician": GET_CLINICIAN,
    "UpdateClinician": UPDATE_CLINICIAN,
    "AddAvailability": ADD_WINDOW,
    "AddWeeklyAvailability": ADD_WEEKLY_WINDOWS,
    "ListAvailability": LIST_WINDOWS,
}
BOOKING_OPERATIONS = {
    "GetBooking": GET_BOOKING,
    "CancelBooking": CANCEL_BOOKING,
    "RescheduleBooking": RESCHEDULE_BOOKING,
    "RecordHuddleOutcome": RECORD_HUDDLE_OUTCOME,
}
SERIES_OPERATIONS = {"UpdateSeries": UPDATE_SERIES, "DeleteSeries": DELETE_SERIES}
MEETING_OPERATIONS = {
    "GetMeeting": GET_MEETING,
    "GetAgenda": GET_AGENDA,
    "LockMeeting": LOCK_MEETING,
    "FinishMeeting": FINISH_MEETING,
    "CancelMeeting": CANCEL_MEETING,
}
ITEM_OPERATIONS = {"UpdateItem": UPDATE_ITEM, "MoveItem": MOVE_ITEM, "RecordItemOutcome": RECORD_ITEM_OUTCOME}


def _team_links(source: str, responses: tuple[str, ...], team_id: str) -> list[Link]:
    return [
        *fan_out(
            source,
            responses,
            {"team_id": team_id},
            {
                "GetTeam": GET_TEAM,
                "UpdateTeam": UPDATE_TEAM,
                "CreateSeries": CREATE_SERIES,
                "ListSeries": LIST_SERIES,
            },
        ),
        Link(source, responses, "ListMeetings", LIST_MEETINGS, {"team": team_id}),
        Link(source, responses, "CreateMeeting", CREATE_MEETING, request_body={"team_id": team_id}),
    ]


SCHEDULER_LINKS: tuple[Link, ...] = (
    # Clinicians, their availability and the slots in it
    *fan_out(CREATE_CLINICIAN, CREATED, {"clinician_id": "$response.body#/id"}, CLINICIAN_OPERATIONS),
    *fan_out(LIST_CLINICIANS, OK, {"clinician_id": "$response.body#/0/id"}, CLINICIAN_OPERATIONS),
    Link(
        ADD_WINDOW,
        CREATED,
        "DeleteAvailability",
        DELETE_WINDOW,
        {"clinician_id": "$response.body#/clinician_id", "window_id": "$response.body#/id"},
    ),
    Link(
        ADD_WINDOW,
        CREATED,
        "ListAvailability",
        LIST_WINDOWS,
        {"clinician_id": "$response.body#/clinician_id"},
    ),
    Link(
        ADD_WINDOW,
        CREATED,
        "SlotsInTheWindow",
        LIST_SLOTS,
        {"from": "$response.body#/start", "to": "$response.body#/end"},
    ),
    *[
        Link(
            source,
            responses,
            "DeleteAvailability",
            DELETE_WINDOW,
            {"clinician_id": "$request.path.clinician_id", "window_id": "$response.body#/0/id"},
        )
        for source, responses in ((ADD_WEEKLY_WINDOWS, CREATED), (LIST_WINDOWS, OK))
    ],
    # Bookings (made from recommendations on Kafka) and the worklist
    *fan_out(LIST_BOOKINGS, OK, {"booking_id": "$response.body#/0/booking_id"}, BOOKING_OPERATIONS),
    *fan_out(GET_WORKLIST, OK, {"booking_id": "$response.body#/0/booking_id"}, BOOKING_OPERATIONS),
    *fan_out(
        GET_BOOKING,
        OK,
        {"booking_id": "$response.body#/booking_id"},
        {name: target for name, target in BOOKING_OPERATIONS.items() if target != GET_BOOKING},
    ),
    Link(
        GET_BOOKING,
        OK,
        "RecordItemOutcome",
        RECORD_ITEM_OUTCOME,
        {"meeting_id": "$response.body#/meeting_id", "item_id": "$response.body#/item_id"},
    ),
    *[
        Link(source, OK, "GetBooking", GET_BOOKING, {"booking_id": "$response.body#/booking_id"})
        for source in (CANCEL_BOOKING, RESCHEDULE_BOOKING)
    ],
    # Teams, members, series
    *_team_links(CREATE_TEAM, CREATED, "$response.body#/team_id"),
    *_team_links(LIST_TEAMS, OK, "$response.body#/0/team_id"),
    Link(
        GET_TEAM,
        OK,
        "DeleteMember",
        DELETE_MEMBER,
        {"team_id": "$response.body#/team_id", "clinician_id": "$response.body#/members/0/clinician_id"},
    ),
    Link(
        PUT_MEMBER,
        OK,
        "DeleteMember",
        DELETE_MEMBER,
        {"team_id": "$response.body#/team_id", "clinician_id": "$request.path.clinician_id"},
    ),
    *fan_out(CREATE_SERIES, CREATED, {"series_id": "$response.body#/series_id"}, SERIES_OPERATIONS),
    Link(CREATE_SERIES, CREATED, "ListMeetings", LIST_MEETINGS, {"team": "$response.body#/team_id"}),
    *fan_out(LIST_SERIES, OK, {"series_id": "$response.body#/0/series_id"}, SERIES_OPERATIONS),
    # Meetings, absences, the agenda and its items' outcomes
    *fan_out(CREATE_MEETING, CREATED, {"meeting_id": "$response.body#/meeting_id"}, MEETING_OPERATIONS),
    *fan_out(LIST_MEETINGS, OK, {"meeting_id": "$response.body#/0/meeting_id"}, MEETING_OPERATIONS),
    *[
        Link(
            source,
            responses,
            "RecordAbsence",
            RECORD_ABSENCE,
            {
                "meeting_id": "$response.body#/meeting_id",
                "clinician_id": "$response.body#/attendance/0/clinician_id",
            },
        )
        for source, responses in ((CREATE_MEETING, CREATED), (GET_MEETING, OK))
    ],
    Link(GET_MEETING, OK, "GetAgenda", GET_AGENDA, {"meeting_id": "$response.body#/meeting_id"}),
    Link(LOCK_MEETING, OK, "GetAgenda", GET_AGENDA, {"meeting_id": "$response.body#/meeting_id"}),
    Link(LOCK_MEETING, OK, "FinishMeeting", FINISH_MEETING, {"meeting_id": "$response.body#/meeting_id"}),
    Link(
        RECORD_ABSENCE,
        OK,
        "RemoveAbsence",
        REMOVE_ABSENCE,
        {"meeting_id": "$request.path.meeting_id", "clinician_id": "$request.path.clinician_id"},
    ),
    *fan_out(
        GET_AGENDA,
        OK,
        {"meeting_id": "$request.path.meeting_id", "item_id": "$response.body#/0/item_id"},
        ITEM_OPERATIONS,
    ),
    *[
        Link(
            source,
            OK,
            "RecordItemOutcome",
            RECORD_ITEM_OUTCOME,
            {"meeting_id": "$response.body#/meeting_id", "item_id": "$response.body#/item_id"},
        )
        for source in (UPDATE_ITEM, MOVE_ITEM)
    ],
    Link(RECORD_ITEM_OUTCOME, CREATED, "GetAgenda", GET_AGENDA, {"meeting_id": "$request.path.meeting_id"}),
)
