from plan.accounts.services import case_permission_grant
from plan.management.commands._case_permission import VIA, CasePermissionCommand


class Command(CasePermissionCommand):
    help = (
        "個別ケース記録の権限を付与します（システム運用者専用）。付与できるのは有効な所管局職員"
        "（女性相談支援センターの職員）だけで、理由と実施者が記録されます。"
    )
    verb = "付与"

    def change(self, *, user, operator, reason):
        case_permission_grant(user=user, granted_by=operator, reason=reason, via=VIA)
