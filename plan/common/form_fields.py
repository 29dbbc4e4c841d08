"""Form fields every app's forms share."""

from django import forms


def fits_column(field, value) -> bool:
    """Whether `value` is in the database range of the integer model `field` (its validators hold
    the range)."""
    try:
        field.run_validators(value)
    except forms.ValidationError:
        return False
    return True


class RecordsChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField that treats an id beyond the key column's range as an invalid choice.

    Django looks the chosen ids up with `pk__in`, which, unlike `pk=`, passes such an id to the
    database: SQLite fails with OverflowError (a server error). Such an id can be no record, so it
    is an invalid choice like any other unknown id.
    """

    def _check_values(self, value):
        key_field = self.queryset.model._meta.pk
        if not self.to_field_name and isinstance(value, (list, tuple)):
            for item in value:
                try:
                    pk = key_field.to_python(item)
                except forms.ValidationError:
                    continue  # not a number: Django's own check answers it
                if pk is not None and not fits_column(key_field, pk):
                    raise forms.ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                    )
        return super()._check_values(value)
