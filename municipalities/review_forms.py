"""Forms of the secretariat's pages: opening a round, the round page's filters and the selection of
returns to accept, sending a return back and reopening an accepted one.

The forms check what a person typed; the rules themselves (a deadline after the year's end, a
comment needed) are the models' and municipalities.services', whose refusals the views show beside
the same fields."""

from django import forms

from municipalities.models import AnnualReturn, Municipality, ReturnState
from municipalities.selectors import Timeliness
from plan.common.fiscal_year import FiscalYear
from plan.common.form_fields import RecordsChoiceField

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
