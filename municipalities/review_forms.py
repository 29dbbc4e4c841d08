"""Forms of the secretariat's pages: opening a round, the round page's filters and the selection of
returns to accept, sending a return back and reopening an accepted one.

The forms check what a person typed; the rules themselves (a deadline after the year's end, a
comment needed) are the models' and municipalities.services', whose refusals the views show beside
the same fields."""

from django import forms

from municipalities.models import AnnualReturn, GoodPractice, Municipality, ReturnState
from municipalities.selectors import Timeliness
from plan.common.fiscal_year import FiscalYear
from plan.common.form_fields import RecordsChoiceField
from plan.common.uploads import check_upload, size_help_text

ALL = ("", "すべて")


class RoundOpenForm(forms.Form):
    fiscal_year = forms.TypedChoiceField(
        label="報告対象年度",
        coerce=int,
        help_text="この年度の取組と、年度末時点の状況を報告してもらいます。",
        error_messages={"required": "報告対象年度を選んでください。", "invalid_choice": "受付を開始できる年度を選んでください。"},
    )
    deadline = forms.DateField(
        label="提出期限",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="区市町村に知らせる期限です。期限を過ぎても、受付を終了するまでは提出できます。",
        error_messages={"required": "提出期限を入力してください。", "invalid": "提出期限を日付（例：2026-05-31）で入力してください。"},
    )
    message = forms.CharField(
        label="区市町村へのお知らせ",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="報告の画面の上に表示されます（任意）。",
    )

    def __init__(self, *args, years: list[FiscalYear], default_year: FiscalYear | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].choices = [(year.year, year.label) for year in years]
        if default_year in years:
            self.initial.setdefault("fiscal_year", default_year.year)


class RoundFilterForm(forms.Form):
    """The round page's filters (GET). An unknown value is ignored rather than refused: the page
    shows every return then, with the error beside the filter."""

    region = forms.ChoiceField(label="地域", required=False, choices=[ALL, *Municipality.Region.choices])
    kind = forms.ChoiceField(label="種別", required=False, choices=[ALL, *Municipality.Kind.choices])
    state = forms.ChoiceField(label="状態", required=False, choices=[ALL, *ReturnState.choices])
    timeliness = forms.ChoiceField(label="提出（期限との関係）", required=False, choices=[ALL, *Timeliness.choices])


class BulkAcceptForm(forms.Form):
    """The returns ticked on a round's page, to accept together."""

    returns = RecordsChoiceField(
        label="受理する報告",
        queryset=AnnualReturn.objects.none(),
        error_messages={
            "required": "受理する報告を選んでください。",
            "invalid_choice": "この年度の報告ではないものが選ばれています。画面を読み込み直してください。",
            "invalid_pk_value": "選ばれた報告が正しくありません。画面を読み込み直してください。",
        },
    )

    def __init__(self, *args, round, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["returns"].queryset = AnnualReturn.objects.filter(round=round).select_related("municipality", "round")


class SendBackForm(forms.Form):
    comment = forms.CharField(
        label="差戻しの理由（区市町村へのコメント）",
        max_length=AnnualReturn.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="区市町村の担当者に表示されます。直してほしい箇所と理由を書いてください。",
        error_messages={"required": "差戻しの理由（区市町村へのコメント）を入力してください。"},
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="再開する理由",
        max_length=AnnualReturn.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="受理を取り消し、「差戻し」として区市町村に戻します。理由は区市町村の担当者に表示されます。",
        error_messages={"required": "再開する理由を入力してください。"},
    )


# --- good practices (municipalities.views.shared) ---


class PracticeFilterForm(forms.Form):
    """The practices list's filter (GET). An unknown year is ignored, with the error beside it."""

    year = forms.TypedChoiceField(
        label="報告対象年度",
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "一覧にある年度を選んでください（すべての年度を表示しています）。"},
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [
            ("", "すべての年度"),
            *((year, FiscalYear(year).label) for year in years),
        ]


class GoodPracticeForm(forms.Form):
    """A practice's wording. The rules themselves (required, lengths, an accepted return) are the
    model's, applied by the services, whose refusals are shown beside these same fields."""

    title = forms.CharField(
        label="題名",
        max_length=GoodPractice.TITLE_MAX_LENGTH,
        help_text=f"{GoodPractice.TITLE_MAX_LENGTH}文字以内。例：民間団体と連携した相談窓口の夜間開設",
        error_messages={
            "required": "題名を入力してください。",
            "max_length": "%(limit_value)d文字以内で入力してください（現在 %(show_value)d 文字）。",
        },
    )
    body = forms.CharField(
        label="内容",
        max_length=GoodPractice.BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=(
            f"{GoodPractice.BODY_MAX_LENGTH}文字以内。全区市町村の担当者と都の職員が読みます。"
            "報告の記入内容を写すのではなく、事務局の言葉でまとめてください（個人や一時保護委託先が分かる記載はしないでください）。"
        ),
        error_messages={
            "required": "内容を入力してください。",
            "max_length": "%(limit_value)d文字以内で入力してください（現在 %(show_value)d 文字）。",
        },
    )
    # The practice's last save as the page was loaded: a save over someone else's later one is refused.
    loaded_at = forms.CharField(widget=forms.HiddenInput, required=False)


# --- a return sent in as Excel (municipalities.views.workbook) ---


class ReturnWorkbookForm(forms.Form):
    file = forms.FileField(
        label="記入済みのテンプレート（.xlsx）",
        error_messages={"required": "ファイルを選んでください。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The cap comes from settings (plan.common.uploads), so the help text is built with the form.
        self.fields["file"].help_text = (
            "この報告の「テンプレートをダウンロード」で書き出したファイルに記入したものを選んでください。"
            + size_help_text("spreadsheet")
        )

    def clean_file(self):
        # The one upload guard: size, content (not the name), zip and XML bombs, before parsing.
        upload = self.cleaned_data["file"]
        check_upload(upload, kind="spreadsheet", allowed=("xlsx",))
        return upload
