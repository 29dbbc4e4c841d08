"""Forms of the municipalities app: the admin's (a round, a training course, a return's answers
with the version the page was loaded at, so that a stale save is refused while the person still has
what they typed) and the officers' return form (`AnnualReturnForm`), which share the model's rules."""

import re
import unicodedata

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from meetings import access as meetings_access
from meetings.forms import OrganizationChoiceField
from municipalities import models
from municipalities.models import (
    MAX_COUNT,
    AnnualReturn,
    Municipality,
    ReturnRound,
    TrainingCourse,
    TrainingTopic,
    WorkerPlacement,
)
from municipalities.services import ATTENDANCE_KEY, ReturnConflict, check_deadline_ahead, to_whole_number
from plan.common.fiscal_year import REIWA_FIRST_FISCAL_YEAR


class ReturnRoundAdminForm(forms.ModelForm):
    class Meta:
        model = ReturnRound
        fields = ["fiscal_year", "deadline", "message"]

    def clean_deadline(self):
        deadline = self.cleaned_data.get("deadline")
        if self.instance.pk is None or deadline != self.instance.deadline:
            check_deadline_ahead(deadline)
        return deadline


class TrainingCourseAdminForm(forms.ModelForm):
    topics = forms.MultipleChoiceField(
        label="内容",
        choices=TrainingTopic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="講義・演習の分野（複数選択）",
    )

    class Meta:
        model = TrainingCourse
        fields = ["fiscal_year", "name", "career_stage", "start_date", "end_date", "topics", "note"]


class AnnualReturnAdminForm(forms.ModelForm):
    """The answers, checked by the model's rules as a draft is; submission is not done here."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = AnnualReturn
        fields = [*AnnualReturn.ANSWER_FIELDS, *AnnualReturn.ANSWER_M2M_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "expected_version" in self.fields:
            self.initial.setdefault("expected_version", self.instance.version)

    def clean(self):
        cleaned = super().clean()
        version = cleaned.get("expected_version")
        if self.instance.pk and version:
            current = AnnualReturn.objects.select_related("updated_by").get(pk=self.instance.pk)
            if current.version != version:
                conflict = ReturnConflict(current=current, expected_version=version)
                # The next save starts from the current version: the person has now been told.
                self.data = self.data.copy()
                self.data[self.add_prefix("expected_version")] = current.version
                raise forms.ValidationError(conflict.message, code="stale")
        return cleaned

    def answer_values(self) -> dict:
        """The answers as `annual_return_save_draft` takes them."""
        names = [*AnnualReturn.ANSWER_FIELDS, *AnnualReturn.ANSWER_M2M_FIELDS]
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}


# --- the officers' return form (municipalities/views/officer.py) ----------------------------------

# The whole numbers of a return: each with its unit and an explicit 「不明」 checkbox beside it.
# Empty is stored as None (「不明・該当なし」), never as 0; the checkbox says so in so many words.
COUNT_UNITS = {
    "council_representatives_meetings": "回",
    "council_practitioners_meetings": "回",
    "council_case_review_meetings": "回",
    "workers_full_time": "人",
    "workers_part_time": "人",
    "workers_trained": "人",
}
UNKNOWN_SUFFIX = "_unknown"
COUNT_HELP = "わからないときは「不明」にチェックします（0 とは別の回答です）。"
COURSE_PREFIX = "course_"
YEAR_FIELDS = [
    "plan_period_start",
    "plan_period_end",
    "plan_expected_fiscal_year",
    "council_expected_fiscal_year",
]
CHOICE_FIELDS = ["plan_status", "council_status", "council_private_participation", "workers_placement"]

# The form's sections, in the order of the page (the read-only page uses the same).
# The return's sections (municipalities.models.RETURN_SECTIONS, one order for every page and the
# admin) with the keys the officers' page uses for its headings' ids.
RETURN_SECTION_KEYS = ["plan", "council", "workers", "collaboration", "requests"]
RETURN_SECTIONS = [
    (key, title, names) for key, (title, names) in zip(RETURN_SECTION_KEYS, models.RETURN_SECTIONS, strict=True)
]

# Help in the words officers use (the model's help texts are the admin's).
RETURN_HELP_TEXTS = {
    "plan_status": "困難女性支援法に基づく市町村基本計画（努力義務）の、報告対象年度の末日（3月31日）時点の状況です。提出するときは必ず選んでください。",
    "plan_made_on": "「策定済み」のときに入力します。",
    "plan_name": "「策定済み」のときの計画の名称です。",
    "plan_period_start": "西暦の年度で入力します（例：2026）。「令和8」と入力しても構いません。",
    "plan_period_end": "西暦の年度で入力します（例：2030）。「令和12」と入力しても構いません。",
    "integrated_plan_name": "「他の計画に含めて策定」のとき、含めた計画の名称です（例：配偶者暴力対策基本計画、男女平等参画推進計画）。",
    "plan_expected_fiscal_year": "「策定中」のとき、策定する予定の年度です（例：2026、令和8）。",
    "plan_not_planned_reason": "「策定予定なし」のときに入力します。",
    "council_status": "困難女性支援法に基づく支援調整会議の、報告対象年度の末日時点の状況です。提出するときは必ず選んでください。",
    "council_existing_name": "「既存の会議を活用」のとき、その会議の名称です（例：要保護児童対策地域協議会）。",
    "council_set_up_on": "「設置済み」「既存の会議を活用」のとき、支援調整会議として位置づけた日です。",
    "council_has_representatives": "",
    "council_has_practitioners": "",
    "council_has_case_review": "",
    "council_representatives_meetings": "",
    "council_practitioners_meetings": "",
    "council_case_review_meetings": "",
    "council_private_participation": "支援調整会議に民間団体が参加しているかどうかです。",
    "council_organizations": "参加している団体にチェックします。一覧にない団体は、下の欄に名称を入力してください。",
    "council_new_organization_names": "一覧にない団体の名称を、1行に1団体ずつ入力してください。事務局が団体の一覧と照合します。",
    "council_expected_fiscal_year": "「未設置」のとき、設置する予定の年度です（例：2026、令和8）。予定がなければ、下の欄に理由を入力してください。",
    "council_not_set_up_reason": "「未設置」で、設置予定年度が決まっていないときに入力します。",
    "workers_placement": "女性相談支援員（旧：婦人相談員）の、報告対象年度の末日時点の配置です。提出するときは必ず選んでください。",
    "workers_full_time": "",
    "workers_part_time": "",
    "workers_trained": "女性相談支援センターの研修を受講した支援員の実人数です。複数の研修を受講した人も1人と数えます。",
    "workers_trained_explanation": "受講者数が配置人数を超えるとき（年度途中の異動・退職など）に理由を入力します。",
    "collaboration_note": "支援調整会議以外で、民間団体と協働して行っている取組を書いてください。",
    "collaboration_organizations": "協働している団体にチェックします。",
    "requests_to_metro": "取組を進める上での課題や、都への意見・要望を自由に書いてください。",
}


def _nfkc(value) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip()


class WholeNumberField(forms.CharField):
    """A whole number typed as text (a number input would refuse full-width digits): １２ is 12
    (NFKC, as municipalities.services stores it), thousands separators are dropped, empty is None
    (「不明」, never 0)."""

    default_error_messages = {"invalid": "数字（0以上の整数）で入力してください（例：12）。"}

    def __init__(self, *, unit="", **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "validators",
            [
                MinValueValidator(0, message="0以上の整数で入力してください。"),
                MaxValueValidator(MAX_COUNT, message=f"{MAX_COUNT}以下の整数で入力してください。"),
            ],
        )
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "off", "size": 6, "maxlength": 12}
            ),
        )
        super().__init__(**kwargs)
        self.unit = unit

    def to_python(self, value):
        number = to_whole_number(super().to_python(value))
        if number is None or isinstance(number, int):
            return number
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def prepare_value(self, value):
        return "" if value is None else value


_ERA_YEAR = re.compile(r"(?:令和|R)(元|\d{1,2})", re.IGNORECASE)


class FiscalYearField(WholeNumberField):
    """A fiscal year: 2026, ２０２６, 2026年度, 令和8, 令和8年度 or R8 (all 2026)."""

    default_error_messages = {"invalid": "年度は西暦（例：2026）か「令和8」の形で入力してください。"}

    def __init__(self, **kwargs):
        kwargs.setdefault("validators", [])  # the model's range and rules apply
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"autocomplete": "off", "size": 10, "maxlength": 12})
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        text = _nfkc(value).replace(" ", "").removesuffix("年度").removesuffix("年")
        era = _ERA_YEAR.fullmatch(text)
        if era:
            number = 1 if era.group(1) == "元" else int(era.group(1))
            return REIWA_FIRST_FISCAL_YEAR - 1 + number
        return super().to_python(text)


class AnnualReturnForm(forms.ModelForm):
    """A municipality's return as its officers (or the secretariat on their behalf) fill it in.

    The field rules are the model's (`clean()`, run by the form as by the service); what a
    submission needs besides is `completeness_errors()`, which the view asks through
    `annual_return_submit`. `user` decides which organisations are offered: never a
    temporary-protection provider whose name the user may not see (meetings.access)."""

    expected_version = forms.IntegerField(
        label="編集を始めた版",
        widget=forms.HiddenInput,
        min_value=1,
        # Only a page sent without its hidden field (or with it altered) gets here: say what to do.
        error_messages={
            key: "編集を始めた版がわからないため、保存しませんでした。入力した内容を控えてから、画面を開き直してください。"
            for key in ("required", "invalid", "min_value")
        },
    )

    class Meta:
        model = AnnualReturn
        fields = [*AnnualReturn.ANSWER_FIELDS, *AnnualReturn.ANSWER_M2M_FIELDS]
        widgets = {
            "plan_made_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "council_set_up_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **{name: forms.Textarea(attrs={"rows": 3}) for name in AnnualReturn.TEXT_FIELDS},
            "requests_to_metro": forms.Textarea(attrs={"rows": 6}),
            "collaboration_note": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        annual_return = self.instance
        if not self.is_bound:
            self.fields["expected_version"].initial = annual_return.version
        for name, help_text in RETURN_HELP_TEXTS.items():
            self.fields[name].help_text = help_text

        for name in CHOICE_FIELDS:
            model_field = AnnualReturn._meta.get_field(name)
            choices = [(value, label) for value, label in model_field.choices if value]
            if name == "workers_placement" and annual_return.municipality.kind not in (
                Municipality.Kind.TOWN,
                Municipality.Kind.VILLAGE,
            ):
                choices = [(value, label) for value, label in choices if value != WorkerPlacement.METRO]
            self.fields[name] = forms.ChoiceField(
                label=model_field.verbose_name,
                choices=choices,
                required=False,
                widget=forms.RadioSelect,
                help_text=RETURN_HELP_TEXTS[name],
                error_messages={"invalid_choice": f"{model_field.verbose_name}は一覧から選んでください。"},
            )

        for name, unit in COUNT_UNITS.items():
            model_field = AnnualReturn._meta.get_field(name)
            self.fields[name] = WholeNumberField(
                label=model_field.verbose_name, unit=unit, help_text=f"{RETURN_HELP_TEXTS[name]}{COUNT_HELP}"
            )
            # A stored None is shown as 「不明」 once someone has saved the return; before that it is
            # simply not answered yet.
            self.fields[name + UNKNOWN_SUFFIX] = forms.BooleanField(
                label="不明",
                required=False,
                initial=annual_return.updated_at is not None and getattr(annual_return, name) is None,
            )
        for name in YEAR_FIELDS:
            model_field = AnnualReturn._meta.get_field(name)
            self.fields[name] = FiscalYearField(
                label=model_field.verbose_name, help_text=RETURN_HELP_TEXTS[name]
            )

        organizations = meetings_access.organizations_findable_by(user).order_by("name", "pk")
        for name in AnnualReturn.ANSWER_M2M_FIELDS:
            model_field = AnnualReturn._meta.get_field(name)
            self.fields[name] = OrganizationChoiceField(
                label=model_field.verbose_name,
                queryset=organizations,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=RETURN_HELP_TEXTS[name],
                error_messages={"invalid_choice": "一覧にない団体が選ばれています。選び直してください。"},
            )

        # The center's courses of the round's year, one number each.
        self.courses = list(TrainingCourse.objects.filter(fiscal_year=annual_return.round.fiscal_year))
        attended = (
            {row.course_id: row.persons for row in annual_return.course_attendances.all()}
            if annual_return.pk
            else {}
        )
        for course in self.courses:
            dates = f"{course.start_date.month}月{course.start_date.day}日"
            if course.end_date and course.end_date != course.start_date:
                dates += f"〜{course.end_date.month}月{course.end_date.day}日"
            self.fields[f"{COURSE_PREFIX}{course.pk}"] = WholeNumberField(
                label=f"{course.name}（{course.career_stage + '、' if course.career_stage else ''}{dates}）",
                unit="人",
                initial=attended.get(course.pk),
            )

    # --- reading the form in the page's order ------------------------------------------------------

    def count_unknown(self, name):
        return self[name + UNKNOWN_SUFFIX]

    def course_fields(self):
        return [(course, self[f"{COURSE_PREFIX}{course.pk}"]) for course in self.courses]

    def errors_in_order(self):
        """(bound field or None, message) for the summary at the top: the fields' in the page's
        order, then the form's own."""
        listed = []
        names = [name for _, _, names in RETURN_SECTIONS for name in names]
        names += [f"{COURSE_PREFIX}{course.pk}" for course in self.courses]
        for name in names:
            for message in self[name].errors:
                listed.append((self[name], message))
        # The hidden version has no place on the page to point to: its message is listed as text.
        listed += [(None, message) for message in self["expected_version"].errors]
        listed += [(None, message) for message in self.non_field_errors()]
        return listed

    # --- the checks ----------------------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean()
        for name in COUNT_UNITS:
            unknown = name + UNKNOWN_SUFFIX
            number = cleaned.get(name)
            if number is None or not cleaned.get(unknown):
                continue
            # Both a number and 「不明」: whichever the person changed on the page is their answer (a
            # number typed beside a 不明 saved earlier, 不明 ticked beside a number saved earlier);
            # if they changed both, or neither was saved before, they are asked to choose.
            number_changed = number != self[name].initial
            unknown_changed = not self[unknown].initial
            if number_changed and not unknown_changed:
                cleaned[unknown] = False
            elif unknown_changed and not number_changed:
                cleaned[name] = None
            else:
                self.add_error(
                    name,
                    "数を入力するか「不明」にチェックするか、どちらか一方にしてください（0 の場合は 0 と入力し、「不明」のチェックを外します）。",
                )
        return cleaned

    def left_blank(self) -> list[str]:
        """The labels of the numbers left empty without 「不明」 ticked: stored as 不明 all the same."""
        return [
            str(self.fields[name].label)
            for name in COUNT_UNITS
            if self.cleaned_data.get(name) is None and not self.cleaned_data.get(name + UNKNOWN_SUFFIX)
        ]

    def answer_values(self) -> dict:
        """The answers as `annual_return_save_draft` takes them. Organisations the user may not
        see (a provider chosen by the secretariat) are kept as they are: not offered, not dropped."""
        values = {name: self.cleaned_data.get(name) for name in AnnualReturn.ANSWER_FIELDS}
        for name in AnnualReturn.ANSWER_M2M_FIELDS:
            chosen = [organization.pk for organization in self.cleaned_data.get(name) or []]
            kept = []
            if self.instance.pk:
                offered = self.fields[name].queryset.values("pk")
                kept = list(getattr(self.instance, name).exclude(pk__in=offered).values_list("pk", flat=True))
            values[name] = chosen + kept
        values[ATTENDANCE_KEY] = {
            course.pk: self.cleaned_data.get(f"{COURSE_PREFIX}{course.pk}") for course in self.courses
        }
        return values

    def add_service_errors(self, error) -> None:
        """A ValidationError from the services, beside the fields it names (the course attendance
        and anything else at the top)."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for name, messages in error.message_dict.items():
            if name in self.fields and name != "expected_version":
                # A field the form already refused keeps its own message.
                if name not in self.errors:
                    self.add_error(name, messages)
            elif name == ATTENDANCE_KEY:
                self.add_error(None, [f"研修ごとの受講者数：{message}" for message in messages])
            else:
                self.add_error(None, messages)
