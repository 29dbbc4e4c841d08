from django import forms

from plan.models import Measure


class HeadingReviewForm(forms.ModelForm):
    class Meta:
        model = Measure
        fields = ["heading"]
        labels = {"heading": "事項"}
        help_texts = {"heading": "原文の表で結合されていたセルの内容として正しい事項を入力してください。"}

    def clean_heading(self):
        from plan.text import normalize

        heading = normalize(self.cleaned_data["heading"])
        if not heading:
            raise forms.ValidationError("事項を入力してください。")
        return heading


class SearchForm(forms.Form):
    q = forms.CharField(label="施策番号またはキーワード", max_length=100, required=False)
