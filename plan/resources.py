"""django-import-export resources for the plan's reference data (admin import/export)."""

from import_export import fields, resources
from import_export.widgets import CharWidget, ForeignKeyWidget

from plan.models import Department, Measure, Plan


class MeasureResource(resources.ModelResource):
    number = fields.Field(attribute="number", column_name="No.")
    # An empty cell reads as blank text, so the model's own "must not be empty" message is shown.
    heading = fields.Field(attribute="heading", column_name="事項", widget=CharWidget(allow_blank=True))
    heading_inferred = fields.Field(attribute="heading_inferred", column_name="事項は推定", readonly=True)
    content = fields.Field(attribute="content", column_name="内容", widget=CharWidget(allow_blank=True))

    class Meta:
        model = Measure
        import_id_fields = ["number"]
        fields = ["number", "heading", "heading_inferred", "content"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def get_queryset(self):
        return Measure.objects.filter(plan=Plan.objects.current()).order_by("number")

    def get_or_init_instance(self, instance_loader, row):
        # The plan's 120 measures come from the source document; an import corrects them, never adds.
        instance = self.get_instance(instance_loader, row)
        if instance is None:
            raise ValueError(f"No.「{row.get('No.')}」の施策は計画にありません。施策の追加はできません。")
        return instance, False


class BureauWidget(ForeignKeyWidget):
    def get_queryset(self, value, row, *args, **kwargs):
        return Department.objects.filter(parent__isnull=True)


class DepartmentResource(resources.ModelResource):
    parent = fields.Field(attribute="parent", column_name="上位の局", widget=BureauWidget(Department, field="name"))
    name = fields.Field(attribute="name", column_name="名称")
    level = fields.Field(attribute="level", column_name="区分（bureau=局, division=部・課）")
    position = fields.Field(attribute="position", column_name="表示順")
    is_active = fields.Field(attribute="is_active", column_name="有効")

    class Meta:
        model = Department
        import_id_fields = ["parent", "name"]
        fields = ["parent", "name", "level", "position", "is_active"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True

    def get_queryset(self):
        return Department.objects.select_related("parent")
