from django.contrib import admin


class PlanAdminSite(admin.AdminSite):
    """The admin is for the plan secretariat (and system operators), never for other roles."""

    site_header = "困難女性支援基本計画 進捗管理 管理画面"
    site_title = "進捗管理 管理画面"
    index_title = "データの管理"

    def has_permission(self, request):
        from plan.roles import is_plan_admin

        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or is_plan_admin(user))
