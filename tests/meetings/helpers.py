"""What the meeting and organisation forms send. (Reading pages: tests/html.py.)"""

from tests.meetings.factories import council, tier


def formset_management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def meeting_post(**overrides):
    """What the meeting form sends for a practitioners' meeting with one agenda item and one
    follow-up; `overrides` replace or add fields (an override of None removes the field)."""
    data = {
        "body": str(council().pk),
        "tier": str(tier("practitioners").pk),
        "status": "held",
        "title": "令和7年度 第2回 実務者会議",
        "date": "2025-10-15",
        "start_time": "14:00",
        "end_time": "16:00",
        "mode": "in_person",
        "place": "都庁第一本庁舎",
        "openness": "closed",
        "attendee_count": "18",
        "minutes": "一時保護からの退所先について意見交換を行った。",
        "decisions": "退所支援の事例を次回共有する。",
        **formset_management("agenda", 1),
        "agenda-0-title": "一時保護からの円滑な退所について",
        "agenda-0-measure_numbers": "9",
        **formset_management("followups", 1),
        "followups-0-description": "退所支援の事例を集める",
        "followups-0-owner": "福祉局 育成支援課",
        "followups-0-due_date": "2026-01-31",
        "followups-0-measure_numbers": "9",
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data
