"""`manage.py restore backup.tar.gz`: the database and the uploaded files back from an archive
made by `manage.py backup` (config.backup; the procedure is in docs/operations.md).
`--verify-only` checks an archive without changing anything."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from config.backup import VENDOR_LABELS, BackupError, restore_backup, verify_backup


class Command(BaseCommand):
    help = (
        "manage.py backup で作成したバックアップファイルから、データベースとアップロードファイルを復元します。"
        "すべてのチェックサムを確かめてから復元し、復元先が空でなければ（--force がない限り）何もしません。"
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="バックアップファイル（.tar.gz）")
        parser.add_argument(
            "--force",
            action="store_true",
            help="復元先のデータベース・アップロードファイルが空でなくても、バックアップの内容で置き換える",
        )
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="バックアップファイルを検査するだけで、何も復元しない",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="復元先のデータベース（settings の別名、既定 default）",
        )

    def handle(self, *args, archive, force, verify_only, database, verbosity=1, **options):
        try:
            if verify_only:
                manifest = verify_backup(archive)
            else:
                manifest = restore_backup(archive, using=database, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if not verbosity:
            return
        app = manifest.get("app") or {}
        media = [entry for entry in manifest["files"] if entry["path"].startswith("media/")]
        summary = (
            f"作成日時 {manifest.get('created_at')}、版 {app.get('version') or '不明'}"
            f"（コミット {app.get('commit') or '不明'}）、"
            f"データベース：{VENDOR_LABELS.get(manifest['database']['vendor'], manifest['database']['vendor'])}、"
            f"アップロードファイル {len(media)} 件"
        )
        if verify_only:
            self.stdout.write(
                self.style.SUCCESS(f"{archive} は正常です（すべてのチェックサムが一致）：{summary}。")
            )
            return
        self.stdout.write(self.style.SUCCESS(f"{archive} から復元しました：{summary}。"))
        if manifest["media_left"]:
            self.stdout.write(
                f"バックアップになかったアップロードファイル {len(manifest['media_left'])} 件は、そのまま残しています。"
            )
        if manifest["pending_migrations"]:
            self.stdout.write(
                self.style.WARNING(
                    f"復元したデータベースには未適用のマイグレーションが {len(manifest['pending_migrations'])} 件あります。"
                    "manage.py migrate を実行してください。"
                )
            )
