from django.urls import path

from municipalities.views import exports, officer, reminders, secretariat, shared, workbook

app_name = "municipalities"
urlpatterns = [
    # --- officer pages (municipalities/views/officer.py) ---
    path("mine/", officer.my_returns, name="officer_returns"),
    path("<int:pk>/", officer.return_page, name="officer_return"),
    path("<int:pk>/withdraw/", officer.return_withdraw, name="officer_return_withdraw"),
    # --- end officer pages ---
    # --- secretariat pages (municipalities/views/secretariat.py) ---
    path("rounds/", secretariat.round_list, name="review_rounds"),
    path("rounds/<int:year>/", secretariat.round_detail, name="review_round"),
    path("rounds/<int:year>/close/", secretariat.round_close, name="review_round_close"),
    path("rounds/<int:year>/reopen/", secretariat.round_reopen, name="review_round_reopen"),
    path("rounds/<int:year>/accept/", secretariat.round_accept, name="review_round_accept"),
    path("rounds/<int:year>/matrix/", secretariat.round_matrix, name="review_round_matrix"),
    path("review/<int:pk>/", secretariat.return_review, name="review_return"),
    path("review/<int:pk>/send-back/", secretariat.return_send_back, name="review_send_back"),
    path("review/<int:pk>/accept/", secretariat.return_accept, name="review_accept"),
    path("review/<int:pk>/reopen/", secretariat.return_reopen, name="review_reopen"),
    path("municipalities/<str:code>/", secretariat.municipality_detail, name="review_municipality"),
    # --- end secretariat pages ---
    # --- Excel returns (municipalities/views/workbook.py) ---
    path("review/<int:pk>/template.xlsx", workbook.return_template, name="review_return_template"),
    path("review/<int:pk>/upload/", workbook.return_upload, name="review_return_upload"),
    # --- end Excel returns ---
    # --- reminders (municipalities/views/reminders.py) ---
    path("rounds/<int:year>/remind/", reminders.round_remind, name="review_round_remind"),
    # --- end reminders ---
    # --- sharing back with the municipalities (municipalities/views/shared.py) ---
    path("shared/status/", shared.status_latest, name="shared_status_latest"),
    path("shared/status/<int:year>/", shared.status, name="shared_status"),
    path("shared/practices/", shared.practices, name="shared_practices"),
    path("review/<int:pk>/practice/", shared.practice_create, name="review_practice_create"),
    path("practices/<int:pk>/edit/", shared.practice_edit, name="review_practice_edit"),
    # --- end sharing back ---
    # --- list exports (issue 12 item 6, municipalities/views/exports.py): ?format=xlsx|csv ---
    path("mine/export/", exports.officer_returns_export_view, name="officer_returns_export"),
    path("rounds/<int:year>/export/", exports.round_export_view, name="review_round_export"),
    # --- end list exports ---
]
