from plan.accounts.roles import can_handle_case_records, role_of


def user_role(request):
    """The role shown in the header, and whether to show the case-record links."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = role_of(user)
    return {
        "user_role": role,
        "user_role_label": role.label if role else "役割未設定",
        "user_can_handle_cases": can_handle_case_records(user),
    }
