"""An error's log line says where it was raised (module, function, line of each frame) so that a background
task that died can be traced to its cause, and never repeats the exception's message, which may quote a
record's content."""

import json
import logging
import sys

from shared.logging import JsonLineFormatter


def _raise_with_clinical_text() -> None:
    raise RuntimeError("dictionary changed size while reading patient Jane Doe")


def _logged_line() -> dict[str, object]:
    try:
        _raise_with_clinical_text()
    except RuntimeError:
        record = logging.LogRecord(
            "shared.runtime", logging.ERROR, __file__, 1, "task died", (), sys.exc_info()
        )
    return dict(json.loads(JsonLineFormatter().format(record)))


def test_the_line_names_the_error_type_and_the_frames_innermost_last() -> None:
    line = _logged_line()

    assert line["error_type"] == "RuntimeError"
    frames = line["error_at"]
    assert isinstance(frames, list)
    assert frames[-1].endswith(":_raise_with_clinical_text:13")
    assert frames[-1].startswith("tests.unit.shared.test_error_log_lines")
    assert frames[0].endswith(":_logged_line:18")


def test_the_exception_message_is_not_in_the_line() -> None:
    assert "Jane Doe" not in json.dumps(_logged_line())
