from django import forms

from plan.common.form_fields import RecordsChoiceField
from plan.common.uploads import check_upload, size_help_text
from plan.models import Department, Measure, MeasureProgress, ProgressAssessment, ProgressDirection
from plan.progress.validation import (
    FIELD_LABELS,
    TEXT_FIELDS,
    progress_values_clean,
    progress_values_errors,
    version_conflict,
)


class HeadingReviewForm(forms.ModelForm):
    class Meta:
        model = Measure
        fields = ["heading"]
        labels = {"heading": "事項"}
        help_texts = {"heading": "原文の表で結合されていたセルの内容として正しい事項を入力してください。"}

    def clean_heading(self):
        from plan.common.text import normalize

        heading = normalize(self.cleaned_data["heading"])
        if not heading:
            raise forms.ValidationError("事項を入力してください。")
        return heading


class SearchForm(forms.Form):
    q = forms.CharField(label="施策番号またはキーワード", max_length=100, required=False)


# --- measure progress --------------------------------------------------------------------------


class ProgressForm(forms.ModelForm):
    """A year's progress for one measure. `expected_version` is the version the person started from.

    The rules a recorded year's progress must meet are plan.progress.validation's, the same for
    the service and the spreadsheet import; the form only shows them beside each field."""

    assessment = forms.ChoiceField(
        label=FIELD_LABELS["assessment"], choices=ProgressAssessment.choices, widget=forms.RadioSelect, required=False
    )
    direction = forms.ChoiceField(
        label=FIELD_LABELS["direction"], choices=ProgressDirection.choices, widget=forms.RadioSelect, required=False
    )
    # Hidden, but the admin still writes its label into the page.
    expected_version = forms.IntegerField(label="編集を始めた版", widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = MeasureProgress
        fields = MeasureProgress.EDITABLE_FIELDS
        widgets = {name: forms.Textarea(attrs={"rows": 5}) for name in TEXT_FIELDS}
        help_texts = {
            "achievements": "この年度に実施したこと（件数・回数など）。進捗状況が「未着手」の場合のみ空欄にできます。",
            "issues": "取組を進める上での課題。",
            "next_steps": "次年度以降に取り組むこと。",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["expected_version"].initial = self.instance.version
        self.fields["assessment"].error_messages["invalid_choice"] = "進捗状況は一覧から選んでください。"
        self.fields["direction"].error_messages["invalid_choice"] = "今後の方向性は一覧から選んでください。"

    def clean(self):
        cleaned = super().clean()
        cleaned.update(progress_values_clean({name: cleaned[name] for name in MeasureProgress.EDITABLE_FIELDS if name in cleaned}))
        values = {name: cleaned.get(name) or "" for name in MeasureProgress.EDITABLE_FIELDS}
        for name, message in progress_values_errors(values).items():
            if name not in self.errors:  # a choice not offered already has its message
                self.add_error(name, message)
        return cleaned

    def progress_values(self):
        return {name: self.cleaned_data[name] for name in MeasureProgress.EDITABLE_FIELDS}


class ProgressAdminForm(ProgressForm):
    """The admin's change form: the same fields and rules, and a refusal of a stale save here,
    where the person still has what they typed (the service checks again when it saves)."""

    def clean(self):
        cleaned = super().clean()
        version = cleaned.get("expected_version")
        if self.instance.pk and version:
            current = MeasureProgress.objects.select_related("measure", "updated_by").get(pk=self.instance.pk)
            conflict = version_conflict(current, version)
            if conflict:
                # The next save starts from the current version: the person has now seen the change.
                self.data = self.data.copy()
                self.data[self.add_prefix("expected_version")] = current.version
                raise forms.ValidationError(conflict.message_with_changes, code="stale")
        return cleaned


class ProgressFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False)
    goal = forms.TypedChoiceField(label="基本目標", coerce=int, required=False, empty_value=None)
    area = forms.ModelChoiceField(label="施策の方向", queryset=None, required=False, empty_label="すべて")
    department = forms.ModelChoiceField(label="所管", queryset=None, required=False, empty_label="すべて")
    assessment = forms.ChoiceField(label="進捗状況", required=False)
    not_updated = forms.BooleanField(label="今年度未更新のみ", required=False)
    mine = forms.BooleanField(label="自分の所管のみ", required=False)
    q = forms.CharField(label="キーワード・施策番号", max_length=100, required=False)

    def __init__(self, *args, plan, goals, areas, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year.year, year.label) for year in plan.fiscal_years]
        self.fields["goal"].choices = [("", "すべて"), *[(goal.number, goal.label) for goal in goals]]
        self.fields["area"].queryset = areas
        self.fields["area"].label_from_instance = lambda area: f"{area.label} {area.title}"
        self.fields["department"].queryset = departments
        self.fields["assessment"].choices = [("", "すべて"), *ProgressAssessment.choices, ("none", "未評価")]


class ProgressImportForm(forms.Form):
    file = forms.FileField(
        label="進捗の Excel ファイル（.xlsx）",
        error_messages={"required": "ファイルを選んでください。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The cap comes from settings (plan.common.uploads), so the help text is built when the form is.
        self.fields["file"].help_text = (
            "この画面の「Excel で書き出す」で書き出したファイルに記入したものを選んでください。"
            "一部の行だけのファイルでもかまいません。" + size_help_text("spreadsheet")
        )

    def clean_file(self):
        # The one upload guard: size, content (not the name), zip and XML bombs, before parsing.
        upload = self.cleaned_data["file"]
        check_upload(upload, kind="spreadsheet", allowed=("xlsx",))
        return upload


class YearStartForm(forms.Form):
    year = forms.IntegerField(label="開始する年度", error_messages={"required": "年度を選んでください。", "invalid": "年度は数字で指定してください。"})


class ReportingYearForm(forms.Form):
    year = forms.IntegerField(label="報告対象年度", error_messages={"required": "年度を選んでください。", "invalid": "年度は数字で指定してください。"})


class ResponsibilityForm(forms.Form):
    number = forms.IntegerField(widget=forms.HiddenInput)
    departments = RecordsChoiceField(
        label="所管",
        queryset=Department.objects.filter(is_active=True),
        required=False,
        error_messages={"invalid_choice": "選べない所管が含まれています。", "invalid_pk_value": "所管の指定が正しくありません。"},
    )

    def clean_departments(self):
        departments = self.cleaned_data["departments"]
        if not departments:
            raise forms.ValidationError("所管を1つ以上選んでください。")
        return departments

