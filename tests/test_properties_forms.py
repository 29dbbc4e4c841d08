"""Property-based tests (hypothesis) of the two forms people type the most into: a municipality's
annual return (the officer's page) and a measure's progress (bureau staff and the secretariat).

Whatever is posted — text with NUL and other control characters, strings far over every limit,
emoji, full-width and other Unicode digits, negative, huge and non-numeric numbers, fields left
out, choices not offered, versions that are not the one loaded — the answer is one of:

- a saved record: a redirect, with the version raised and the history grown (a save and a
  submission: two steps);
- the form again (400, or 409 for a stale version) with its errors listed in Japanese, and nothing
  in the database changed: the record, its organisations, course attendance, history and log;
- the 400 page for a NUL character (`config.middleware.RejectNulCharactersMiddleware`), again
  with nothing changed;

never a server error (the test client re-raises one) and never a half-saved record.

Each example runs inside a savepoint that is rolled back afterwards, so every example starts from
the same record at version 1; the users and the record are made once per test.
"""

import datetime
import os
import re
import string
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from meetings.models import Organization
from municipalities.forms import COUNT_UNITS, COURSE_PREFIX, UNKNOWN_SUFFIX, AnnualReturnForm
from municipalities.models import (
    AnnualReturn,
    CouncilStatus,
    PlanStatus,
    ReturnCourseAttendance,
    ReturnTransition,
    TrainingCourse,
    WorkerPlacement,
    YesNoUnknown,
)
from plan.models import MeasureProgress, Plan, ProgressAssessment, ProgressDirection
from plan.progress.services import progress_year_start
from tests.html import select, select_one, text_of
from tests.meetings.factories import OrganizationFactory
from tests.municipalities.factories import AnnualReturnFactory, ReturnRoundFactory, TrainingCourseFactory

pytestmark = pytest.mark.django_db

# Modest, so that the suite stays quick (PROPERTY_EXAMPLES=1000 for a deeper search by hand);
# `deadline=None` because a page's first render (templates compiled) is slower than the rest. The
# users and records come from function-scoped fixtures on purpose: each example is rolled back, so
# sharing them between examples is what we want.
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # The same examples on every run (CI stays reproducible) and no example database in the tree.
    derandomize=True,
    database=None,
)

MISSING = object()  # a field left out of the POST altogether
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
FULL_WIDTH_DIGITS = str.maketrans(string.digits, "０１２３４５６７８９")


# --- what is typed ---------------------------------------------------------------------------------

SPECIAL_TEXT = [
    "",
    " ",
    "\u3000",  # an ideographic space
    "\x00",
    "a\x00b",
    "\x01\x02\x07\x08\x0b\x0c\x1b\x7f",
    "\r\n\r\n",
    "\u202e右から左\u202c",  # bidi override
    "\ufeff",
    "😀👩‍👩‍👧‍👦🇯🇵",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://example.com")',
    "'; DROP TABLE plan_measure; --",
    "ＤＶ相談",
    "ﾄｰ横",
]
SPECIAL_NUMBERS = [
    "-1",
    "-0",
    "+3",
    "0",
    "１２",
    "１，０００",
    "1,000",
    "1_000",
    "٣",  # an Arabic-Indic digit
    "²",
    "1e3",
    "0x10",
    "1.5",
    "NaN",
    "Infinity",
    "9" * 30,
    "9" * 5000,  # over Python's limit for converting digits to an int
    "-" + "9" * 5000,
    "令和8",
    "令和元年度",
    "R99",
    "r8",
    "令和999",
    "2026年度",
    "２０２６",
]


def _repeated(piece: str, times: int) -> str:
    return (piece or "あ") * times


any_text = st.one_of(
    st.text(max_size=40),  # any code point but surrogates: control characters and NUL included
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),
    st.sampled_from(SPECIAL_TEXT),
    # Far over every limit (200 for names, 2000 for free text), still under the request's cap.
    st.builds(_repeated, st.text(min_size=1, max_size=3), st.integers(min_value=150, max_value=2600)),
)
any_number = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=0, max_value=12000).map(str),
    st.integers(min_value=0, max_value=12000).map(lambda n: str(n).translate(FULL_WIDTH_DIGITS)),
    st.integers(min_value=1990, max_value=2110).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(SPECIAL_NUMBERS),
    any_text,
)
any_date = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.dates().map(lambda day: f"{day.year}/{day.month}/{day.day}"),
    st.sampled_from(["2025-02-30", "2025-13-01", "0000-01-01", "令和7年4月1日", "99999-01-01"]),
    any_text,
)
checkbox = st.sampled_from(["on", "", "false", "0", "1", "yes"])


def maybe(strategy):
    """The field sent with a value from `strategy`, or left out of the POST."""
    return st.one_of(st.just(MISSING), strategy)


def choice(values):
    """One of the choices offered, or anything else."""
    return st.one_of(st.sampled_from(list(values)), any_text)


def version(loaded: int):
    """Another version than the one loaded, or something that is not a version."""
    return st.one_of(
        st.sampled_from([str(loaded + 1), str(loaded - 1), "0", "-1", str(2**63), "１", "9" * 5000]),
        any_number,
    )


# What a person would type: letters, digits, punctuation and spaces of any script.
typed_text = st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs"]), min_size=1, max_size=40)


@st.composite
def posts(draw, fields: dict):
    """A POST from `fields` ({name: (what a person would send, anything at all)}).

    Half the examples send anything in every field; the other half what a person would send
    except in up to two fields (and those are the examples that test "never half-saved": one bad
    field beside good ones that a careless save would have written)."""
    names = list(fields)
    if draw(st.booleans()):
        wild = set(names)
    else:
        wild = draw(st.sets(st.sampled_from(names), max_size=2))
    data = {}
    for name, (good, bad) in fields.items():
        value = draw(maybe(bad) if name in wild else good)
        if value is not MISSING:
            data[name] = value
    return data


# --- what is checked -------------------------------------------------------------------------------


@contextmanager
def rolled_back():
    """The example's writes undone afterwards, whatever happened."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def has_nul(data: dict) -> bool:
    values = [item for value in data.values() for item in (value if isinstance(value, list) else [value])]
    return any("\x00" in str(item) for item in values)


def assert_refused_in_japanese(response, data):
    """The form back with what is wrong, in Japanese (or the 400 page for a NUL character)."""
    if has_nul(data):
        assert response.status_code == 400
        assert "リクエストを処理できませんでした" in text_of(select_one(response, "h1"))
        return
    assert response.status_code in (400, 409), response.status_code
    summaries = select(response, ".error-summary")
    assert summaries, "no error summary on a refused save"
    summary = text_of(summaries[0])
    assert "保存できませんでした" in summary or "何も保存していません" in summary
    # Every message listed names what is wrong in Japanese (no untranslated English message).
    items = [text_of(item) for item in select(summaries[0], "li")]
    if response.status_code == 400:
        assert items, "the summary lists no message"
    for item in items:
        assert JAPANESE.search(item), item
        assert not re.search(r"\b(Enter|This field|Select a valid|Ensure)\b", item), item


# --- the annual return -------------------------------------------------------------------------------


@pytest.fixture
def the_return(plan_admin):
    """新宿区's draft for a round, with two of the center's courses and two organisations to choose."""
    round_ = ReturnRoundFactory(opened_by=plan_admin)
    TrainingCourseFactory(fiscal_year=round_.fiscal_year, name="基礎研修")
    TrainingCourseFactory(fiscal_year=round_.fiscal_year, name="専門研修")
    OrganizationFactory(name="NPO法人 ひだまり")
    OrganizationFactory(name="社会福祉法人 あおぞら")
    return AnnualReturnFactory(round=round_)


def return_snapshot(pk: int) -> dict:
    """Everything of a return a save writes: its row, organisations, attendance, history and log."""
    annual_return = AnnualReturn.objects.get(pk=pk)
    return {
        "row": AnnualReturn.objects.filter(pk=pk).values().get(),
        "organizations": {
            name: sorted(getattr(annual_return, name).values_list("pk", flat=True))
            for name in AnnualReturn.ANSWER_M2M_FIELDS
        },
        "attendance": sorted(
            ReturnCourseAttendance.objects.filter(annual_return_id=pk).values_list("course_id", "persons")
        ),
        "attendance_history": ReturnCourseAttendance.history.filter(annual_return_id=pk).count(),
        "history": AnnualReturn.history.filter(id=pk).count(),
        "transitions": ReturnTransition.objects.filter(annual_return_id=pk).count(),
    }


def return_fields(*, course_ids, organization_ids, loaded_version) -> dict:
    organization = st.sampled_from([str(pk) for pk in organization_ids])
    count = st.one_of(st.just(""), st.integers(min_value=0, max_value=30).map(str))
    day = st.dates(min_value=datetime.date(2000, 4, 1), max_value=datetime.date(2026, 3, 31)).map(str)
    fields = {
        "expected_version": (st.just(str(loaded_version)), version(loaded_version)),
        "action": (st.sampled_from(["save", "submit"]), any_text),
        "plan_status": (st.sampled_from(PlanStatus.values), choice(PlanStatus.values)),
        "council_status": (st.sampled_from(CouncilStatus.values), choice(CouncilStatus.values)),
        "council_private_participation": (st.sampled_from(YesNoUnknown.values), choice(YesNoUnknown.values)),
        # 新宿区 is a ward: 「都が配置」 (towns and villages only) is not offered to it.
        "workers_placement": (st.sampled_from(WorkerPlacement.values), choice(WorkerPlacement.values)),
        "plan_made_on": (day, any_date),
        "council_set_up_on": (day, any_date),
        "council_has_representatives": (st.just("on"), checkbox),
        "council_has_practitioners": (st.just("on"), checkbox),
        "council_has_case_review": (st.just("on"), checkbox),
        "council_organizations": (st.lists(organization, max_size=2), st.lists(any_number, max_size=4)),
        "collaboration_organizations": (st.lists(organization, max_size=2), st.lists(any_number, max_size=4)),
    }
    for name in ["plan_name", "integrated_plan_name", "council_existing_name", *AnnualReturn.TEXT_FIELDS]:
        fields[name] = (typed_text, any_text)
    for name in COUNT_UNITS:
        fields[name] = (count, any_number)
        fields[name + UNKNOWN_SUFFIX] = (st.just(MISSING), checkbox)
    fields["plan_period_start"] = (st.just("2025"), any_number)
    fields["plan_period_end"] = (st.sampled_from(["2029", "令和11", "２０２９"]), any_number)
    fields["plan_expected_fiscal_year"] = (st.sampled_from(["2027", "R9", "令和9年度"]), any_number)
    fields["council_expected_fiscal_year"] = (st.sampled_from(["2028", ""]), any_number)
    for pk in course_ids:
        fields[f"{COURSE_PREFIX}{pk}"] = (count, any_number)
    return fields


def test_the_return_form_saves_or_refuses_in_japanese_never_half_way(client, municipal_officer, the_return):
    client.force_login(municipal_officer)
    url = reverse("municipalities:officer_return", args=[the_return.pk])
    courses = list(
        TrainingCourse.objects.filter(fiscal_year=the_return.round.fiscal_year).values_list("pk", flat=True)
    )
    organizations = list(Organization.objects.values_list("pk", flat=True))
    seen = {"saved": 0, "refused": 0}

    first_course = f"{COURSE_PREFIX}{courses[0]}"
    fields = return_fields(course_ids=courses, organization_ids=organizations, loaded_version=1)
    # Every field of the form is sent (and mangled) by the examples: a new field is not forgotten.
    assert set(AnnualReturnForm(instance=the_return, user=municipal_officer).fields) <= set(fields)

    @PROPERTY_SETTINGS
    @given(data=posts(fields))
    # Always tried, whatever hypothesis draws: the cases that once were (or could be) a 500.
    @example(data={})  # no hidden version: it used to list no message at all
    @example(data={"expected_version": "1", "workers_full_time": "9" * 5000})  # int() refuses > 4,300 digits
    @example(data={"expected_version": "1", first_course: "-" + "9" * 5000, "plan_period_start": "9" * 5000})
    @example(data={"expected_version": str(2**63), "council_organizations": [str(2**63), "-1", "x"]})
    @example(data={"expected_version": "1", "requests_to_metro": "あ" * 2001, "plan_name": "😀" * 201})
    @example(data={"expected_version": "1", "plan_name": "a\x00b"})
    @example(
        data={
            "expected_version": "1",
            "action": "submit",
            "plan_status": "made",
            "plan_made_on": "0001-01-01",
        }
    )
    @example(data={"expected_version": "１", "workers_trained": "１，０００", "plan_period_end": "令和999"})
    def check(data):
        with rolled_back():
            before = return_snapshot(the_return.pk)
            response = client.post(url, data)
            after = return_snapshot(the_return.pk)
            if response.status_code == 302:
                seen["saved"] += 1
                assert response["Location"] == url
                assert after["row"]["version"] == before["row"]["version"] + (
                    2 if data.get("action") == "submit" else 1
                )
                assert after["history"] > before["history"]
                assert after["row"]["updated_by_id"] == municipal_officer.pk
            else:
                seen["refused"] += 1
                assert_refused_in_japanese(response, data)
                assert after == before, "a refused save changed the database"

    check()
    # Both outcomes were met: the strategies reach the saving path, not only refusals.
    assert seen["saved"] and seen["refused"], seen


# --- measure progress --------------------------------------------------------------------------------


def progress_snapshot(pk: int) -> dict:
    record = MeasureProgress.objects.get(pk=pk)
    return {
        "row": MeasureProgress.objects.filter(pk=pk).values().get(),
        "departments": sorted(record.departments.values_list("pk", flat=True)),
        "history": MeasureProgress.history.filter(id=pk).count(),
    }


def progress_posts(*, loaded_version):
    return posts(
        {
            "expected_version": (st.just(str(loaded_version)), version(loaded_version)),
            "assessment": (st.sampled_from(ProgressAssessment.values), choice(ProgressAssessment.values)),
            "direction": (st.sampled_from(ProgressDirection.values), choice(ProgressDirection.values)),
            "achievements": (typed_text, any_text),
            "issues": (typed_text, any_text),
            "next_steps": (typed_text, any_text),
        }
    )


@pytest.fixture
def year_2025(db):
    """FY2025 started: a blank progress record (version 1) for each measure (as tests/plan's)."""
    progress_year_start(plan=Plan.objects.current(), fiscal_year=2025, user=None)


@pytest.mark.parametrize("who", ["bureau_staff", "plan_admin"])
def test_the_progress_form_saves_or_refuses_in_japanese_never_half_way(client, request, who, year_2025):
    user = request.getfixturevalue(who)
    client.force_login(user)
    record = MeasureProgress.objects.get(measure__number=86, fiscal_year=2025)  # the bureau's measure
    url = reverse("plan:progress_edit", args=[2025, 86])
    seen = {"saved": 0, "refused": 0}

    good = {"assessment": "on_track", "direction": "expand", "achievements": "研修を3回実施した。"}

    @PROPERTY_SETTINGS
    @given(data=progress_posts(loaded_version=record.version))
    @example(data={})
    @example(data=good | {"expected_version": str(2**63)})  # beyond the version column
    @example(data=good | {"expected_version": "9" * 5000})
    @example(data=good | {"expected_version": "2"})  # a version not loaded: a conflict
    @example(data=good | {"expected_version": "1", "achievements": "あ" * 2001})
    @example(data=good | {"expected_version": "1", "issues": "\x00"})
    @example(data=good | {"expected_version": "1", "assessment": "nonsense", "direction": ""})
    @example(data=good | {"expected_version": "1", "next_steps": "😀\u202e\x01\x1b"})
    def check(data):
        with rolled_back():
            before = progress_snapshot(record.pk)
            response = client.post(url, data)
            after = progress_snapshot(record.pk)
            if response.status_code == 302:
                seen["saved"] += 1
                assert response["Location"] == reverse("plan:measure_detail", args=[86])
                if after["row"] != before["row"]:  # a save that changes nothing writes nothing
                    assert after["row"]["version"] == before["row"]["version"] + 1
                    assert after["history"] == before["history"] + 1
                    assert after["row"]["updated_by_id"] == user.pk
                else:
                    assert after["history"] == before["history"]
            else:
                seen["refused"] += 1
                assert_refused_in_japanese(response, data)
                assert after == before, "a refused save changed the database"

    check()
    assert seen["saved"] and seen["refused"], seen
