"""The admin site every app's admin is registered on, and what their admins share.

- site.py: PlanAdminSite (only plan administrators and system operators get in; bad ids and
  lookups are answered once for every admin page) and ReadOnlyAdmin
- formats.py: import/export in the admin through the one upload guard, reader and writer

Each app's own admin classes stay in its admin.py, where Django looks for them.
"""
