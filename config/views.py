from django.shortcuts import render

from plan.models import Plan


def home(request):
    plan = Plan.objects.current()
    return render(request, "home.html", {"plan": plan})
