"""What every app shares: it imports nothing from the rest of the project, so any app may use it.

- fiscal_year.py: Japanese fiscal years (年度), labelled by era
- text.py: normalising text (NFKC and the source document's quirks)
- spreadsheets.py: the one spreadsheet writer and reader (formula-safe cells, print setup, CSV)
- uploads.py: the one upload guard (size caps, content types, zip and XML bombs)
- form_fields.py: form fields every app's forms share
"""
