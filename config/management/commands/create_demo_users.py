from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from municipalities.models import Municipality, MunicipalOfficer
from plan.accounts.roles import Role, holds_case_permission
from plan.accounts.services import case_permission_grant, user_set_role
from plan.models import CasePermissionChange, Department, User

DEMO_PASSWORD = "demo-pass-2024"

# The system operator who grants the case permission (a superuser; only operators may grant it).
DEMO_OPERATOR = ("operator", "システム", "運用者")

# username, last name, first name, role, case permission, department (bureau, division) or municipality name
DEMO_USERS = [
    ("admin", "事務局", "花子", Role.PLAN_ADMIN, False, None),
    ("bureau", "福祉局", "一郎", Role.BUREAU_STAFF, False, ("福祉局", "子供・子育て支援部 育成支援課")),
    ("officer", "新宿区", "担当", Role.MUNICIPAL_OFFICER, False, "新宿区"),
    ("officer2", "八王子市", "担当", Role.MUNICIPAL_OFFICER, False, "八王子市"),
    ("viewer", "推進委員", "閲覧", Role.VIEWER, False, None),
    ("center", "相談センター", "職員", Role.BUREAU_STAFF, True, ("福祉局", "子供・子育て支援部 育成支援課")),
]


class Command(BaseCommand):
    help = "デモ用アカウントを役割ごとに1つ作成します（開発・デモ環境専用。本番環境では実行できません）。"

    @transaction.atomic
    def handle(self, *args, verbosity=1, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("本番環境（DJANGO_ENV=production）ではデモ用アカウントを作成できません。")
        operator = self.demo_operator(verbosity)
        for username, last_name, first_name, role, handles_cases, place in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"last_name": last_name, "first_name": first_name, "email": f"{username}@example.jp"},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user_set_role(user=user, role=role)
            if role == Role.BUREAU_STAFF:
                bureau, division = place
                user.departments.set([Department.objects.get(parent__name=bureau, name=division)])
            if handles_cases and not holds_case_permission(user):
                # Through the one path there is, as an operator would (and logged like it).
                case_permission_grant(
                    user=user, granted_by=operator, reason="デモ用", via=CasePermissionChange.Via.COMMAND
                )
            if role == Role.MUNICIPAL_OFFICER:
                MunicipalOfficer.objects.update_or_create(
                    user=user, defaults={"municipality": Municipality.objects.get(name=place)}
                )
            if verbosity:
                self.stdout.write(f"{'作成' if created else '既存'}: {username}（{role.label}）")
        if verbosity:
            self.stdout.write(f"パスワードはすべて {DEMO_PASSWORD} です。")

    def demo_operator(self, verbosity):
        username, last_name, first_name = DEMO_OPERATOR
        operator, created = User.objects.get_or_create(
            username=username,
            defaults={"last_name": last_name, "first_name": first_name, "email": f"{username}@example.jp"},
        )
        if created:
            operator.set_password(DEMO_PASSWORD)
        if created or not (operator.is_superuser and operator.is_staff and operator.is_active):
            operator.is_superuser = operator.is_staff = operator.is_active = True
            operator.save()
        if verbosity:
            self.stdout.write(f"{'作成' if created else '既存'}: {username}（システム運用者・スーパーユーザー）")
        return operator
