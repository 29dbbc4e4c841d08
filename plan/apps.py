from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PlanConfig(AppConfig):
    default = True
    name = "plan"
    verbose_name = "計画"


class PlanAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "plan.adminsite.site.PlanAdminSite"
