from django.urls import path

from meetings import export_views, views

app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="meeting_list"),
    path("calendar/", views.meeting_calendar, name="meeting_calendar"),
    path("counts/", views.meeting_counts, name="meeting_counts"),
    path("counts/download/", views.meeting_counts_download, name="meeting_counts_download"),
    path("new/", views.meeting_create, name="meeting_create"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("<int:pk>/minutes/", views.minutes_file, name="minutes_file"),
    path("follow-ups/", views.follow_up_list, name="follow_up_list"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("measures/<int:number>/", views.measure_meetings, name="measure_meetings"),
    path("bodies/<slug:code>/", views.body_detail, name="body_detail"),
    path("organizations/", views.organization_list, name="organization_list"),
    # --- list exports (issue 12 item 6): ?format=xlsx|csv with the list's filters ---
    path("export/", export_views.meeting_list_export_view, name="meeting_list_export"),
    path("organizations/export/", export_views.organization_list_export_view, name="organization_list_export"),
    # --- end list exports ---
    # the meeting form's organisation search (issue 13)
    path("organizations/search.json", views.organization_search_json, name="organization_search"),
    path("organizations/new/", views.organization_create, name="organization_create"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("organizations/<int:pk>/edit/", views.organization_edit, name="organization_edit"),
    path("organizations/<int:pk>/merge/", views.organization_merge_view, name="organization_merge"),
    path("case-reviews/", views.case_review_list, name="case_review_list"),
    path("case-reviews/new/", views.case_review_create, name="case_review_create"),
    path("case-reviews/<int:pk>/edit/", views.case_review_edit, name="case_review_edit"),
    path("case-reviews/download/", views.case_review_download, name="case_review_download"),
]
