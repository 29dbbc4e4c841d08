from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render

from plan.access import any_role_required, role_required
from plan.forms import HeadingReviewForm, SearchForm
from plan.models import Area, Goal, Listing, Measure, Plan
from plan.roles import Role
from plan.services import measure_review_heading


def _current_plan():
    plan = Plan.objects.current()
    if plan is None:
        # Only on an empty database: the setup command loads the plan.
        from django.http import Http404

        raise Http404("計画データが読み込まれていません。")
    return plan


@any_role_required
def plan_tree(request):
    plan = _current_plan()
    listings = Listing.objects.select_related("measure").order_by("position")
    goals = (
        Goal.objects.filter(plan=plan)
        .annotate(
            measure_count=Count("areas__listings", filter=Q(areas__listings__relisted=False), distinct=True),
            relisting_count=Count("areas__listings", filter=Q(areas__listings__relisted=True), distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "areas",
                queryset=Area.objects.order_by("position")
                .annotate(
                    measure_count=Count("listings", filter=Q(listings__relisted=False)),
                    relisting_count=Count("listings", filter=Q(listings__relisted=True)),
                )
                .prefetch_related(Prefetch("listings", queryset=listings)),
            )
        )
    )
    return render(request, "plan/tree.html", {"plan": plan, "goals": goals})


@any_role_required
def measure_detail(request, number):
    plan = _current_plan()
    measure = get_object_or_404(
        Measure.objects.with_listings().select_related("heading_reviewed_by"), plan=plan, number=number
    )
    return render(request, "plan/measure_detail.html", {"plan": plan, "measure": measure})


@any_role_required
def measure_search(request):
    plan = _current_plan()
    form = SearchForm(request.GET or None)
    measures = None
    if form.is_valid() and form.cleaned_data["q"]:
        measures = Measure.objects.filter(plan=plan).search(form.cleaned_data["q"]).with_listings()
        if len(measures) == 1 and form.cleaned_data["q"].strip().isdigit():
            return redirect("plan:measure_detail", number=measures[0].number)
    return render(request, "plan/search.html", {"plan": plan, "form": form, "measures": measures})


@role_required(Role.PLAN_ADMIN)
def inferred_headings(request):
    plan = _current_plan()
    measures = (
        Measure.objects.filter(plan=plan, heading_inferred=True)
        .select_related("heading_reviewed_by")
        .with_listings()
    )
    return render(request, "plan/inferred_headings.html", {"plan": plan, "measures": measures})


@role_required(Role.PLAN_ADMIN)
def inferred_heading_review(request, number):
    plan = _current_plan()
    measure = get_object_or_404(
        Measure.objects.with_listings(), plan=plan, number=number, heading_inferred=True
    )
    neighbours = Measure.objects.filter(plan=plan, number__in=[number - 1, number + 1]).order_by("number")
    form = HeadingReviewForm(request.POST or None, instance=measure)
    if request.method == "POST" and form.is_valid():
        measure_review_heading(measure=measure, heading=form.cleaned_data["heading"], user=request.user)
        messages.success(request, f"No.{measure.number} の事項を確認済みにしました。")
        return redirect("plan:inferred_headings")
    return render(
        request,
        "plan/inferred_heading_review.html",
        {"plan": plan, "measure": measure, "form": form, "neighbours": neighbours},
    )
