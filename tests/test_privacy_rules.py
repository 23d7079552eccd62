"""What a group and a log line may show of what someone typed."""

from __future__ import annotations

from bot.privacy import for_group, for_log


def test_a_group_sees_no_phone_and_no_unit() -> None:
    shown = for_group("Pipe burst, call 13800138000, room 2-301 (or 138 0013 8000)", "2-301")
    assert "13800138000" not in shown and "2-301" not in shown and "8000" not in shown
    assert shown.startswith("Pipe burst, call ***")
    assert for_group("水管漏了，2栋301室，电话 +86 138 0013 8000") == "水管漏了，***，电话 ***"
    # The registered unit is hidden however it is written in the text.
    assert for_group("see flat A12 by the stairs", "A12") == "see flat *** by the stairs"
    assert for_group("Lamp outside door 3 is dark") == "Lamp outside door 3 is dark"


def test_a_log_line_keeps_ids_dates_and_numbers() -> None:
    line = "outbox row 12 to -1001234567890 (user 1001, R-0042) at 2026-11-24T10:00:00 in 1.5s"
    assert for_log(line) == line
    assert for_log("bad 13800138000 and +8613900000007 in 3-2-501, room 7") == (
        "bad *** and *** in ***, ***"
    )
