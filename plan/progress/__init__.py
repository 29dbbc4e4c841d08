"""Measure progress (施策の進捗): who may see and edit it, the rules a save must meet, the writes,
the reads behind the pages, and the spreadsheet round trip. The models are in plan.models.

- access.py: who may see and edit progress, and do the secretariat's work on it
- validation.py: the values' rules and the version check (conflicts), shared by every path
- services.py: the writes (progress_update, progress_year_start, plan_set_reporting_year,
  responsibility_confirm), each with its history entry
- selectors.py: the reads for the progress list, the years page and the measure page
- spreadsheet.py: the Excel export and import (preview, then apply)
"""
