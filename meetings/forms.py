import datetime
import re
import unicodedata

from django import forms
from django.forms import inlineformset_factory
from django.forms.utils import ErrorDict
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from meetings import access
from meetings.files import minutes_file_help_text, validate_minutes_file
from meetings.models import (
    AgendaItem,
    Body,
    CaseReview,
    FollowUp,
    Meeting,
    Organization,
    OrganizationRole,
    Tier,
)
from meetings.names import clean_organization_name, organization_name_key
from meetings.provider_names import mask_provider_names
from meetings.search import organizations_matching
from meetings.services import ItemChange
from plan.common.fiscal_year import FiscalYear
from plan.common.form_fields import RecordsChoiceField, fits_column
from plan.models import Measure, Plan

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
_NUMBER_SEPARATORS = re.compile(r"[\s,、，;；/・]+")


def organization_choice_label(organization, user=None) -> str:
    """An organisation as a choice: its name as the user may read it, and its kind. With `user`,
    a provider's name inside another organisation's name is masked too, as on the pages."""
    # str(): the name as meetings.access named it for the user (masked if loaded otherwise).
    label = f"{organization}（{organization.get_kind_display()}）"
    return label if user is None else mask_provider_names(label, user)


class OrganizationChoiceField(RecordsChoiceField):
    """Organisations, each labelled with the name the user may see."""

    def label_from_instance(self, obj):
        return organization_choice_label(obj)


class MeasureNumbersField(forms.CharField):
    """Measures typed by number: 「9, 101」, 「9、101」 or 「No.9 １０１」 all work."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("label", "関連する施策（番号）")
        kwargs.setdefault("help_text", "例：9, 101")
        super().__init__(**kwargs)

    def clean(self, value):
        text = unicodedata.normalize("NFKC", super().clean(value) or "")
        text = re.sub(r"(?i)no\.?", " ", text)
        parts = [part for part in _NUMBER_SEPARATORS.split(text) if part]
        bad = [part for part in parts if not part.isdigit()]
        if bad:
            raise forms.ValidationError(
                "施策の番号は数字で入力してください（「%(bad)s」は番号ではありません）。",
                params={"bad": "」「".join(bad)},
            )
        numbers = sorted({int(part) for part in parts})
        plan = Plan.objects.current()
        # A number beyond the column's range is no measure; left in `number__in`, it makes SQLite
        # fail with OverflowError. It is reported below with the other unknown numbers.
        number_field = Measure._meta.get_field("number")
        findable = [number for number in numbers if fits_column(number_field, number)]
        measures = list(Measure.objects.filter(plan=plan, number__in=findable).order_by("number"))
        unknown = sorted(set(numbers) - {measure.number for measure in measures})
        if unknown:
            raise forms.ValidationError(
                "No.%(numbers)s という施策はありません（施策は No.1〜No.120 です）。",
                params={"numbers": "、No.".join(str(number) for number in unknown)},
            )
        return measures


def _measure_numbers(instance) -> str:
    if instance.pk is None:
        return ""
    return ", ".join(str(measure.number) for measure in instance.measures.all())


ORGANIZATION_QUERY = "organization_q"  # the search field of the meeting form's organisation picker


class MeetingForm(forms.ModelForm):
    # Checked against every organisation the user sees, but rendered as checkboxes for the chosen
    # ones and the matches of a search only (`organizations_chosen`, `organizations_found`): one
    # checkbox per registered organisation made the page 2.4 MB with 20,000 of them (issue 13).
    attending_organizations = OrganizationChoiceField(
        label="出席した関係機関・団体",
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    minutes_upload = forms.FileField(label="議事録ファイル", required=False)
    remove_minutes_file = forms.BooleanField(label="添付した議事録ファイルを削除する", required=False)

    class Meta:
        model = Meeting
        fields = [
            "body",
            "tier",
            "status",
            "title",
            "date",
            "start_time",
            "end_time",
            "mode",
            "place",
            "openness",
            "attending_organizations",
            "attendee_count",
            "minutes",
            "minutes_upload",
            "remove_minutes_file",
            "decisions",
        ]
        widgets = {
            "date": DATE_WIDGET,
            "start_time": TIME_WIDGET,
            "end_time": TIME_WIDGET,
            "status": forms.RadioSelect,
            "mode": forms.RadioSelect,
            "openness": forms.RadioSelect,
            "minutes": forms.Textarea(attrs={"rows": 6}),
            "decisions": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].empty_label = None
        self.fields["tier"].queryset = Tier.objects.for_meetings().select_related("body")
        self.fields["tier"].empty_label = "（推進委員会のときは選ばない）"
        self.fields["tier"].label_from_instance = lambda tier: f"{tier.body.short_name}：{tier}"
        organizations = access.organizations_visible_to(user)
        field = self.fields["attending_organizations"]
        field.queryset = organizations.order_by("kind", "name")
        self.organization_query = str(self.data.get(ORGANIZATION_QUERY) or "").strip()[:100]
        chosen_ids = self._chosen_organization_ids()
        self.organizations_chosen = (
            list(organizations.filter(pk__in=chosen_ids).order_by("name_hidden", "name"))
            if chosen_ids
            else []
        )
        self.organizations_found = (
            organizations_matching(user, self.organization_query, exclude=chosen_ids)
            if self.organization_query
            else []
        )
        field.widget.choices = [
            (org.pk, organization_choice_label(org, user))
            for org in self.organizations_chosen + self.organizations_found
        ]
        if not (self.instance.pk and self.instance.minutes_file):
            del self.fields["remove_minutes_file"]
        # The cap follows settings.UPLOAD_LIMITS, so the help text is built when the form is.
        self.fields["minutes_upload"].help_text = minutes_file_help_text()

    def _chosen_organization_ids(self) -> list[int]:
        """The organisations ticked in what was sent, or else those recorded for the meeting."""
        if self.is_bound:
            name = self.add_prefix("attending_organizations")
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else self.data.get(name) or []
            if isinstance(values, str):
                values = [values]
        else:
            values = [
                getattr(value, "pk", value) for value in self.initial.get("attending_organizations") or []
            ]
        key_field = Organization._meta.pk
        ids = []
        for value in values:
            try:
                pk = int(value)
            except (TypeError, ValueError):
                continue  # the field's own check answers it
            if fits_column(key_field, pk):
                ids.append(pk)
        return list(dict.fromkeys(ids))

    def clean_minutes_upload(self):
        upload = self.cleaned_data.get("minutes_upload")
        if upload is not None:
            # The same validator as the model field's (the admin relies on that one): the upload
            # guard's size, content and bomb checks, with the message next to this field.
            probe = Meeting(minutes_file=upload)
            validate_minutes_file(probe.minutes_file)
        return upload


class AgendaItemForm(forms.ModelForm):
    measure_numbers = MeasureNumbersField()

    class Meta:
        model = AgendaItem
        fields = ["title"]
        widgets = {"title": forms.TextInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure_numbers"].initial = _measure_numbers(self.instance)


class FollowUpForm(forms.ModelForm):
    measure_numbers = MeasureNumbersField()

    class Meta:
        model = FollowUp
        fields = ["description", "owner", "due_date", "done"]
        widgets = {"description": forms.TextInput(), "due_date": DATE_WIDGET}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure_numbers"].initial = _measure_numbers(self.instance)


# One empty row each: more are added by 「行を追加」 (static/js/formset-add-row.js, or without
# JavaScript a submit that shows the form again with one more row: MeetingEditor).
AgendaFormSet = inlineformset_factory(
    Meeting, AgendaItem, form=AgendaItemForm, extra=1, can_delete=True, can_delete_extra=False, max_num=50
)
FollowUpFormSet = inlineformset_factory(
    Meeting, FollowUp, form=FollowUpForm, extra=1, can_delete=True, can_delete_extra=False, max_num=50
)

ADD_ROW = "add_row_"  # + a formset's prefix: the no-JavaScript 「行を追加」 button's name
SEARCH_ORGANIZATIONS = "organization_search"  # the no-JavaScript search button's name


def _with_one_more_row(data, prefix: str, most: int):
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key, ""))
    except ValueError:
        return data  # a broken management form: the formset reports it
    data[key] = str(min(total + 1, most))
    return data


class MeetingEditor:
    """The meeting form and its two formsets, checked and saved as one.

    Without JavaScript, two buttons send the form only to show it again, saving nothing and
    keeping what was typed (`redisplayed`): 「行を追加して再表示」 (one more empty row in a list) and
    the organisation search (the matching organisations as checkboxes)."""

    prefixes = {"agenda": AgendaFormSet, "followups": FollowUpFormSet}

    def __init__(self, data=None, files=None, *, instance=None, user):
        instance = instance or Meeting()
        self.row_added_to = next(
            (prefix for prefix in self.prefixes if data is not None and f"{ADD_ROW}{prefix}" in data), None
        )
        self.redisplayed = bool(self.row_added_to or (data is not None and SEARCH_ORGANIZATIONS in data))
        # A file cannot be sent back to the browser: it must be chosen again after a redisplay.
        self.file_dropped = self.redisplayed and bool(files and files.get("minutes_upload"))
        if self.row_added_to:
            data = _with_one_more_row(data, self.row_added_to, self.prefixes[self.row_added_to].max_num)
        self.form = MeetingForm(data, files, instance=instance, user=user)
        agenda_queryset = instance.agenda_items.prefetch_related("measures") if instance.pk else None
        follow_up_queryset = instance.follow_ups.prefetch_related("measures") if instance.pk else None
        self.agenda = AgendaFormSet(
            data, instance=instance, prefix="agenda", queryset=agenda_queryset or AgendaItem.objects.none()
        )
        self.follow_ups = FollowUpFormSet(
            data,
            instance=instance,
            prefix="followups",
            queryset=follow_up_queryset or FollowUp.objects.none(),
        )
        if self.redisplayed:
            self._show_again()

    def _show_again(self):
        """Shown again as typed, without error messages: nothing was meant to be saved yet. (Errors
        set as empty are what Django reads instead of checking the forms.)"""
        for formset in (self.agenda, self.follow_ups):
            for form in formset.forms:
                form._errors = ErrorDict()
            formset._errors = [form.errors for form in formset.forms]
            formset._non_form_errors = formset.error_class(error_class="nonform", renderer=formset.renderer)
        self.form._errors = ErrorDict()
        if self.row_added_to:
            # The new row's first field takes the focus, as the script's 「行を追加」 does.
            formset = self.agenda if self.row_added_to == "agenda" else self.follow_ups
            new_row = formset.forms[-1] if formset.forms else None
            if new_row is not None and not new_row.instance.pk and new_row.visible_fields():
                new_row.visible_fields()[0].field.widget.attrs["autofocus"] = True

    def is_valid(self) -> bool:
        """False, with nothing checked, when the form was sent only to be shown again."""
        if self.redisplayed:
            return False
        results = [self.form.is_valid(), self.agenda.is_valid(), self.follow_ups.is_valid()]
        return all(results)

    @property
    def has_errors(self):
        return bool(
            self.form.errors
            or any(self.agenda.errors)
            or self.agenda.non_form_errors()
            or any(self.follow_ups.errors)
            or self.follow_ups.non_form_errors()
        )

    def changes(self) -> dict:
        """Arguments for meetings.services.meeting_create, or meeting_update for a meeting
        already recorded."""
        changes = {
            "meeting": self.form.instance,
            "organizations": self.form.cleaned_data["attending_organizations"],
            "agenda_items": self._items(self.agenda, numbered=True),
            "follow_ups": self._items(self.follow_ups),
            "minutes_upload": self.form.cleaned_data.get("minutes_upload"),
        }
        if self.form.instance.pk is not None:
            changes["removed"] = [
                form.instance
                for form in self.agenda.deleted_forms + self.follow_ups.deleted_forms
                if form.instance.pk
            ]
            changes["remove_minutes_file"] = self.form.cleaned_data.get("remove_minutes_file", False)
        return changes

    @staticmethod
    def _items(formset, *, numbered=False) -> list[ItemChange]:
        """The rows kept, in the page's order (which numbers the agenda)."""
        items = []
        for form in formset.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue
            if form in formset.deleted_forms:
                continue
            if numbered:
                form.instance.position = len(items) + 1
            items.append(
                ItemChange(instance=form.instance, measures=form.cleaned_data.get("measure_numbers") or [])
            )
        return items


AWAITING_RECORD = "awaiting"


class MeetingFilterForm(forms.Form):
    year = forms.ChoiceField(label="年度", required=False)
    body = forms.ModelChoiceField(
        label="会議体", queryset=Body.objects.all(), required=False, empty_label="すべて"
    )
    tier = forms.ModelChoiceField(
        label="階層", queryset=Tier.objects.select_related("body"), required=False, empty_label="すべて"
    )
    tier.label_from_instance = lambda tier: f"{tier.body.short_name}：{tier}"
    status = forms.ChoiceField(
        label="状態",
        # 「記録待ち」: planned, and the date has passed (Meeting.status_shown); 「予定」 is then
        # what is still to come.
        choices=[("", "すべて"), *Meeting.Status.choices, (AWAITING_RECORD, Meeting.AWAITING_RECORD_LABEL)],
        required=False,
    )

    ALL_YEARS = "all"

    def __init__(self, data=None, *, plan, default_year: FiscalYear):
        data = data.copy() if data is not None else {}
        data.setdefault("year", str(default_year.year))
        super().__init__(data)
        years = [FiscalYear(year) for year in _year_span(plan)]
        self.fields["year"].choices = [(str(fy.year), fy.label) for fy in years] + [
            (self.ALL_YEARS, "すべての年度")
        ]

    def fiscal_year(self) -> FiscalYear | None:
        year = self.cleaned_data.get("year") if self.is_valid() else None
        if not year or year == self.ALL_YEARS:
            return None
        return FiscalYear(int(year))


def _year_span(plan):
    # The plan's years, and the year before it (meetings prepared the plan) and today's year.
    first = plan.start_fiscal_year - 1 if plan else FiscalYear.current().year
    last = max(plan.end_fiscal_year if plan else first, FiscalYear.current().year)
    return range(first, last + 1)


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False)

    def __init__(self, data=None, *, plan, default_year: FiscalYear):
        data = data.copy() if data is not None else {}
        data.setdefault("year", str(default_year.year))
        super().__init__(data)
        self.fields["year"].choices = [(year, FiscalYear(year).label) for year in _year_span(plan)]

    def fiscal_year(self, default: FiscalYear) -> FiscalYear:
        if self.is_valid() and self.cleaned_data.get("year"):
            return FiscalYear(self.cleaned_data["year"])
        return default


_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
# The calendar's months: within these years the previous and next months are always dates.
CALENDAR_YEARS = range(1901, 2100)


def calendar_month(text) -> datetime.date | None:
    """The first day of the month `text` names (「2025-04」, as <input type="month"> sends it), or
    None when it names none."""
    match = _MONTH.match(str(text or ""))
    if not match or int(match[1]) not in CALENDAR_YEARS or not 1 <= int(match[2]) <= 12:
        return None
    return datetime.date(int(match[1]), int(match[2]), 1)


# --- organisations ------------------------------------------------------------------------------


class OrganizationForm(forms.ModelForm):
    confirm_similar = forms.BooleanField(
        label="似た名前の団体があることを確認のうえ、別の団体として登録する",
        required=False,
    )

    class Meta:
        model = Organization
        fields = ["name", "kind", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"name": "法人格（特定非営利活動法人など）も含めた正式名称で入力してください。"}
        error_messages = {"name": {"required": "名称を入力してください。"}}

    def __init__(self, *args, user=None, **kwargs):
        # `user`: who types, so that the message about a matching organisation names (and links
        # to) only what they may see. The admin builds this form without one: the old plain list.
        super().__init__(*args, **kwargs)
        self.user = user
        self.similar = []
        # Only shown once a similar name has been found.
        if not (self.data and self.data.get(self.add_prefix("confirm_similar"))):
            self.fields["confirm_similar"].widget = forms.HiddenInput()

    def clean_name(self):
        name = clean_organization_name(self.cleaned_data.get("name", ""))
        if not name:
            raise forms.ValidationError("名称を入力してください。")
        return name

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("name")
        if name and (not self.instance.pk or name != self.instance.name):
            self.similar = Organization.objects.similar_to(name, exclude_pk=self.instance.pk)
        return cleaned

    def _post_clean(self):
        # The similar-name error is added after the model's own checks: added in clean(), it took
        # the name out of cleaned_data, the model then saw an empty name and a second message
        # (「名称を入力してください。」) was shown under the first.
        super()._post_clean()
        if self.similar and not self.cleaned_data.get("confirm_similar") and not self.has_error("name"):
            self.fields["confirm_similar"].widget = forms.CheckboxInput()
            self.add_error("name", self._similar_message())

    def _update_errors(self, errors):
        # The model's clean() checks the name again; a name the form already refused (left empty)
        # keeps the form's one message rather than getting the model's copy of it.
        if hasattr(errors, "error_dict"):
            for field in [f for f in errors.error_dict if self.has_error(f)]:
                del errors.error_dict[field]
            if not errors.error_dict:
                return
        super()._update_errors(errors)

    def _similar_message(self):
        if self.user is None:
            names = "、".join(f"「{org.name}」" for org in self.similar[:10])
            more = f" ほか{len(self.similar) - 10}件" if len(self.similar) > 10 else ""
            return (
                f"似た名前の団体があります: {names}{more}。"
                "同じ団体なら登録せず、その団体を使ってください。別の団体なら下の確認欄にチェックして、もう一度保存してください。"
            )
        return similar_organizations_message(
            self.user, self.similar, name=self.cleaned_data.get("name", ""), editing=self.instance
        )


SIMILAR_SHOWN = 5  # more matches than this: the rest are counted, not listed


def similar_organizations_message(user, similar, *, name, editing):
    """One message for the name field: which registered organisations the name matches, each a
    link to its page, and what the user may do — open it and use it, merge (when editing a saved
    record), or register anyway after ticking the confirmation (the registry allows two records
    with like names: two branches may share a name). A provider's name is never shown to someone
    who may not see it (meetings.access): then only that a similar registered organisation exists."""
    shown = [org for org in similar if access.can_open_organization(user, org)]
    hidden_count = len(similar) - len(shown)
    exact = [org for org in shown if organization_name_key(org.name) == organization_name_key(name)]
    lead = (
        "同じ名称の団体が登録されています"
        if exact and len(exact) == len(shown)
        else "似た名称の団体が登録されています"
    )
    parts = []
    if shown:
        links = format_html_join(
            "、",
            '<a href="{}">{}</a>',
            (
                (org.get_absolute_url(), access.organization_name_for(user, org))
                for org in shown[:SIMILAR_SHOWN]
            ),
        )
        more = f"ほか{len(shown) - SIMILAR_SHOWN}件" if len(shown) > SIMILAR_SHOWN else ""
        parts.append(format_html("{}：{}{}。", lead, links, more))
        parts.append("同じ団体なら、新しく登録せずにその団体を開いて使ってください。")
        if editing.pk and access.can_manage_organizations(user):
            merge_links = format_html_join(
                "、",
                '<a href="{}?remove={}">「{}」に統合する</a>',
                (
                    (
                        reverse("meetings:organization_merge", args=[org.pk]),
                        editing.pk,
                        access.organization_name_for(user, org),
                    )
                    for org in shown[:SIMILAR_SHOWN]
                ),
            )
            parts.append(format_html("この団体を統合するには：{}。", merge_links))
    if hidden_count and shown:
        parts.append("ほかにも、名称を表示できない似た名称の団体が登録されています。")
    elif hidden_count:
        parts.append("似た名称の団体が登録されています（名称は表示できません）。")
    parts.append("別の団体として登録するなら、下の確認欄にチェックして、もう一度保存してください。")
    return format_html_join(" ", "{}", ((part,) for part in parts))


class OrganizationRoleForm(forms.ModelForm):
    class Meta:
        model = OrganizationRole
        fields = ["role", "start_date", "end_date", "note"]
        widgets = {"start_date": DATE_WIDGET, "end_date": DATE_WIDGET, "note": forms.TextInput()}


OrganizationRoleFormSet = inlineformset_factory(
    Organization,
    OrganizationRole,
    form=OrganizationRoleForm,
    extra=1,
    can_delete=True,
    can_delete_extra=False,
    max_num=30,
)


class OrganizationSearchForm(forms.Form):
    q = forms.CharField(label="名称", max_length=100, required=False)
    kind = forms.ChoiceField(
        label="種別", choices=[("", "すべて"), *Organization.Kind.choices], required=False
    )
    role = forms.ChoiceField(
        label="役割", choices=[("", "すべて"), *OrganizationRole.Kind.choices], required=False
    )


class OrganizationMergeForm(forms.Form):
    remove = forms.ModelChoiceField(
        label="この団体に統合する団体（統合後に削除されます）",
        queryset=Organization.objects.none(),
        empty_label="選んでください",
    )
    confirm = forms.BooleanField(
        label="統合すると元に戻せないことを確認しました（会議の出席・役割・個別ケース検討会議への参加はすべてこの団体に移ります）",
        required=True,
        error_messages={"required": "確認欄にチェックしてください。"},
    )

    def __init__(self, *args, keep: Organization, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remove"].queryset = (
            access.organizations_visible_to(user).exclude(pk=keep.pk).order_by("name_hidden", "name")
        )
        self.fields["remove"].label_from_instance = lambda org: (
            f"{org.shown_name}（{org.get_kind_display()}、ID {org.pk}）"
        )


# --- case reviews ---------------------------------------------------------------------------------

# Free text about a woman must not carry contact details or dates of birth.
_PHONE = re.compile(r"\d{2,4}[-ー－‐ ]?\d{2,4}[-ー－‐ ]?\d{3,4}")
_DATE = re.compile(r"(\d{1,4}\s*[年/.\-]\s*\d{1,2}\s*[月/.\-]\s*\d{1,2})|((昭和|平成|令和)\s*\d)")


class CaseReviewForm(forms.ModelForm):
    woman_attended = forms.TypedChoiceField(
        label="本人の参加",
        choices=[("True", "本人が参加した"), ("False", "本人は参加しなかった")],
        coerce=lambda value: value == "True",
        widget=forms.RadioSelect,
        error_messages={"required": "本人が参加したかどうかを選んでください。"},
    )
    organizations = OrganizationChoiceField(
        label="参加した関係機関・団体",
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    supported_before = OrganizationChoiceField(
        label="うち、以前から本人を支援していた民間団体（施策No.56）",
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = CaseReview
        fields = ["case_code", "date", "woman_attended", "absence_reason", "absence_note"]
        widgets = {"date": DATE_WIDGET, "absence_note": forms.TextInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organizations = access.organizations_visible_to(user).order_by("kind", "name")
        self.fields["organizations"].queryset = organizations
        self.fields["supported_before"].queryset = organizations.filter(kind=Organization.Kind.PRIVATE)
        self.fields["absence_reason"].choices = [
            ("", "（本人が参加した場合は選ばない）"),
            *CaseReview.AbsenceReason.choices,
        ]
        if self.instance.pk:
            self.initial["woman_attended"] = str(self.instance.woman_attended)
            self.initial["organizations"] = [row.organization_id for row in self.instance.participants.all()]
            self.initial["supported_before"] = [
                row.organization_id for row in self.instance.participants.all() if row.supported_before
            ]

    def clean_absence_note(self):
        note = self.cleaned_data.get("absence_note", "")
        normalized = unicodedata.normalize("NFKC", note)
        if _PHONE.search(normalized) or _DATE.search(normalized):
            raise forms.ValidationError(
                "電話番号や日付のような記載があります。本人を特定できる情報は書かないでください。"
            )
        return note

    def clean(self):
        cleaned = super().clean()
        organizations = set(cleaned.get("organizations") or [])
        supported = set(cleaned.get("supported_before") or [])
        if supported - organizations:
            self.add_error(
                "supported_before",
                "以前から支援していた団体は、参加した関係機関・団体にもチェックしてください。",
            )
        return cleaned
