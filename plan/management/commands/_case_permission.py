"""What grant_case_permission and revoke_case_permission share: the arguments and the checks."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from plan.models import CasePermissionChange, User


class CasePermissionCommand(BaseCommand):
    verb = ""  # 付与 / 取消, in the messages

    def add_arguments(self, parser):
        parser.add_argument("username", help="対象ユーザーのユーザー名")
        # Not required=True: argparse would refuse in English; handle() says it in Japanese.
        parser.add_argument("--reason", help="理由（必須。記録に残り、事務局も閲覧できます）")
        parser.add_argument(
            "--by",
            dest="operator",
            help="実施するシステム運用者（有効なスーパーユーザー）のユーザー名",
        )

    def change(self, *, user, operator, reason):
        raise NotImplementedError

    def handle(self, *args, username, reason=None, operator=None, verbosity=1, **options):
        if operator is None:
            raise CommandError(
                "--by に、実施するシステム運用者（有効なスーパーユーザー）のユーザー名を指定してください。"
            )
        if reason is None:
            raise CommandError(f"--reason に{self.verb}の理由を指定してください（必須・記録に残ります）。")
        # The operator is named, not inferred from the shell account, so the log says who acted.
        by = User.objects.filter(username=operator).first()
        if by is None:
            raise CommandError(f"--by に指定したユーザー「{operator}」は存在しません。")
        if not (by.is_active and by.is_superuser):
            raise CommandError(
                f"--by に指定したユーザー「{operator}」はシステム運用者（有効なスーパーユーザー）ではありません。"
                f"個別ケース記録の権限の{self.verb}ができるのはシステム運用者だけです。"
            )
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"ユーザー「{username}」は存在しません。")
        try:
            self.change(user=user, operator=by, reason=reason)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        if verbosity:
            self.stdout.write(
                f"{user}（{user.username}）の個別ケース記録の権限を{self.verb}しました（記録済み）。"
            )


VIA = CasePermissionChange.Via.COMMAND
