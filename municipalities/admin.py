from django.contrib import admin

from municipalities.models import Municipality, MunicipalOfficer
from municipalities.resources import MunicipalityResource
from plan.accounts.admin import UserAdmin
from plan.adminsite.formats import SpreadsheetImportExportAdmin
from plan.models import User


@admin.register(Municipality)
class MunicipalityAdmin(SpreadsheetImportExportAdmin):
    resource_classes = [MunicipalityResource]
    list_display = ["code", "name", "kana", "kind", "region"]
    list_filter = ["kind", "region"]
    search_fields = ["code", "code5", "name", "kana"]


@admin.register(MunicipalOfficer)
class MunicipalOfficerAdmin(admin.ModelAdmin):
    list_display = ["municipality", "user", "user_active"]
    list_select_related = ["municipality", "user"]
    list_filter = ["municipality__region", "user__is_active"]
    search_fields = ["municipality__name", "user__username", "user__last_name", "user__first_name"]
    autocomplete_fields = ["user", "municipality"]

    @admin.display(description="有効", boolean=True)
    def user_active(self, officer):
        return officer.user.is_active


class MunicipalOfficerInline(admin.StackedInline):
    model = MunicipalOfficer
    fields = ["municipality"]
    autocomplete_fields = ["municipality"]
    can_delete = True
    verbose_name = "担当する区市町村（区市町村担当者のみ）"
    verbose_name_plural = verbose_name


# The account page gains the municipality link here, so that plan (below us) need not know about it.
admin.site.unregister(User)


@admin.register(User)
class UserWithMunicipalityAdmin(UserAdmin):
    inlines = [MunicipalOfficerInline]
    list_display = [*UserAdmin.list_display[:4], "municipality", *UserAdmin.list_display[4:]]
    list_select_related = ["municipal_officer__municipality"]
    list_filter = [*UserAdmin.list_filter, "municipal_officer__municipality__region"]

    @admin.display(description="区市町村", ordering="municipal_officer__municipality__code")
    def municipality(self, user):
        officer = getattr(user, "municipal_officer", None)
        return officer.municipality.name if officer else ""
