"""Forms of the municipalities app. For now the admin's: a round, a training course, and a return's
answers (with the version the page was loaded at, so that a stale save is refused while the person
still has what they typed). The officers' pages come next and will share these rules."""

from django import forms

from municipalities.models import AnnualReturn, ReturnRound, TrainingCourse, TrainingTopic
from municipalities.services import ReturnConflict, check_deadline_ahead


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
