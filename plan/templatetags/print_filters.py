"""The filters in force on a list page, in words, for the printed page (static/css/print.css).

    {% load print_filters %}
    {% active_filters form other_form year=year.label as items %}
        → [("年度", "令和7年度（2025年度）"), ("基本目標", "基本目標1"), ("今年度未更新のみ", "はい")]

templates/snippets/print_filters.html renders them as 「絞り込み条件：年度 令和7年度（2025年度）、…」.
A printed list leaves the screen's filter form behind, so the paper has to say what it is a list of.
The words are the list downloads' (plan.common.list_exports.form_conditions), so the paper and the
spreadsheet state a list's filters alike.
"""

from django import forms, template

from plan.common.list_exports import form_conditions

register = template.Library()


@register.simple_tag
def active_filters(*forms_, year=""):
    """(filter, value in words) for the filters in force, from the page's filter forms. `year`, the
    label of the year the page shows, is stated first whether or not the form was submitted (the
    page's default year narrows the list as much as a chosen one); the forms' own year is then
    left out."""
    items = [("年度", str(year))] if year else []
    skip = ("year",) if year else ()
    for form in forms_:
        if isinstance(form, forms.BaseForm):  # an argument not given reaches the tag as ""
            items += form_conditions(form, skip=skip)
    return items
