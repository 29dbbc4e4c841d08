from django.contrib import admin
from django.urls import include, path

from config import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("config.account_urls")),
    path("plan/", include("plan.urls")),
    path("meetings/", include("meetings.urls")),
    path("returns/", include("municipalities.urls")),
    path("indicators/", include("indicators.urls")),
    path("admin/", admin.site.urls),
]
