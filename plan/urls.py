from django.urls import path

from plan import export_views, views

app_name = "plan"
urlpatterns = [
    path("", views.plan_tree, name="tree"),
    path("measures/<int:number>/", views.measure_detail, name="measure_detail"),
    path("measures/<int:number>/history/", views.measure_history, name="measure_history"),
    path("search/", views.measure_search, name="search"),
    path("headings/", views.inferred_headings, name="inferred_headings"),
    path("headings/<int:number>/", views.inferred_heading_review, name="inferred_heading_review"),
    path("progress/", views.progress_list, name="progress_list"),
    path("progress/<int:year>/<int:number>/edit/", views.progress_edit, name="progress_edit"),
    path("progress/years/", views.progress_years, name="progress_years"),
    path("progress/<int:year>/export/", views.progress_export, name="progress_export"),
    # list export (issue 12 item 6): the list as read, ?format=xlsx|csv with the list's filters
    path("progress/list/export/", export_views.progress_list_export_view, name="progress_list_export"),
    path("progress/import/", views.progress_import, name="progress_import"),
    path("progress/import/confirm/", views.progress_import_confirm, name="progress_import_confirm"),
    path("responsibilities/", views.responsibilities, name="responsibilities"),
]
