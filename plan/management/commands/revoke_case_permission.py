from plan.accounts.services import case_permission_revoke
from plan.management.commands._case_permission import VIA, CasePermissionCommand


class Command(CasePermissionCommand):
    help = "個別ケース記録の権限を取り消します（システム運用者専用）。理由と実施者が記録されます。"
    verb = "取消"

    def change(self, *, user, operator, reason):
        case_permission_revoke(user=user, revoked_by=operator, reason=reason, via=VIA)
