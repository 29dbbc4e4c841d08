"""The admin's import/export file formats, routed through the project's one spreadsheet writer.

django-import-export's own xlsx export would store text starting with "=" as a formula; ours
stores it as text. Imports read xlsx or CSV text unchanged (tablib does not alter cells).
"""

from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats

from plan.spreadsheets import Sheet, write_xlsx


class SafeXLSX(base_formats.XLSX):
    def export_data(self, dataset, **kwargs):
        sheet = Sheet(title=dataset.title or "データ", headers=list(dataset.headers), rows=list(dataset))
        return write_xlsx([sheet])


class SpreadsheetImportExportAdmin(ImportExportModelAdmin):
    """The admins with import/export: xlsx or CSV in, xlsx out through plan.spreadsheets."""

    import_formats = [SafeXLSX, base_formats.CSV]
    export_formats = [SafeXLSX]
