from django.contrib import admin
from django.urls import include, path

from config import views
from config.briefing_views import briefing_download  # briefing workbook (issue 12)

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/keepalive/", views.keepalive, name="keepalive"),  # session-timeout.js
    path("accounts/", include("config.account_urls")),
    path("plan/", include("plan.urls")),
    path("meetings/", include("meetings.urls")),
    path("returns/", include("municipalities.urls")),
    path("indicators/", include("indicators.urls")),
    path("briefing/<int:year>/<str:form>.xlsx", briefing_download, name="briefing_download"),  # issue 12
    path("admin/", admin.site.urls),
]
