"""Accounts: users, roles and the case permission. The models (User, CasePermissionChange) are in
plan.models.

- roles.py: the roles (Django groups), who holds which, and the case permission's checks; every
  app decides a role's access through these functions
- services.py: the writes on accounts (user_set_role, user_deactivate) and the one way in and out
  of the case permission (case_permission_grant, case_permission_revoke), each logged
- admin.py: the account, role-group and case-permission-log pages of the admin
- admin_axes.py: the login-throttling pages of the admin (django-axes), in Japanese
"""
