from django.contrib import admin

from meetings.models import Body, Tier


class TierInline(admin.TabularInline):
    model = Tier
    fields = ["position", "code", "name", "tmg_name", "purpose", "schedule_note"]
    extra = 0


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):
    list_display = ["short_name", "kind", "also_serves_as"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]
    inlines = [TierInline]


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["__str__", "body"]
    list_select_related = ["body"]
    list_filter = ["body"]
    search_fields = ["name", "tmg_name"]
