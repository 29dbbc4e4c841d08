from import_export import fields, resources

from municipalities.models import Municipality


class MunicipalityResource(resources.ModelResource):
    code = fields.Field(attribute="code", column_name="code6")
    code5 = fields.Field(attribute="code5", column_name="code5")
    name = fields.Field(attribute="name", column_name="name")
    kana = fields.Field(attribute="kana", column_name="kana")
    kind = fields.Field(attribute="kind", column_name="kind")
    region = fields.Field(attribute="region", column_name="region")

    class Meta:
        model = Municipality
        # The same columns as fixtures/municipalities.csv, so an export can replace it.
        import_id_fields = ["code"]
        fields = ["code", "code5", "name", "kana", "kind", "region"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
