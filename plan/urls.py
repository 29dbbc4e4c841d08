from django.urls import path

from plan import views

app_name = "plan"
urlpatterns = [
    path("", views.plan_tree, name="tree"),
    path("measures/<int:number>/", views.measure_detail, name="measure_detail"),
    path("search/", views.measure_search, name="search"),
    path("headings/", views.inferred_headings, name="inferred_headings"),
    path("headings/<int:number>/", views.inferred_heading_review, name="inferred_heading_review"),
]
