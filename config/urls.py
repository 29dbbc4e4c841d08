from django.contrib import admin
from django.urls import include, path

from config import accessibility_views, help_views, views
from config.briefing_views import briefing_download, briefing_print  # briefing workbook (issue 12)

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/keepalive/", views.keepalive, name="keepalive"),  # session-timeout.js
    path("accounts/", include("config.account_urls")),
    path("plan/", include("plan.urls")),
    path("meetings/", include("meetings.urls")),
    path("returns/", include("municipalities.urls")),
    path("indicators/", include("indicators.urls")),
    path("briefing/<int:year>/<str:form>.xlsx", briefing_download, name="briefing_download"),  # issue 12
    path("briefing/<int:year>/print/", briefing_print, name="briefing_print"),  # issue 12 item 4
    path("help/", help_views.help_index, name="help"),  # 操作ガイド (issue 15 item 7)
    path("help/<slug:topic>/", help_views.help_topic, name="help_topic"),
    path("accessibility/", accessibility_views.accessibility_policy, name="accessibility"),  # issue 14 item 8
    path("admin/", admin.site.urls),
]
