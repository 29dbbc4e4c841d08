"""`manage.py backup -o backup.tar.gz`: the database and the uploaded files in one archive with a
manifest and checksums (config.backup; the procedure is in docs/operations.md)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from config.backup import VENDOR_LABELS, BackupError, create_backup


class Command(BaseCommand):
    help = (
        "データベースとアップロードファイル（議事録など）を1つのバックアップファイル（.tar.gz）に書き出します。"
        "目録（manifest.json）に各ファイルの大きさと SHA-256 を記録します。手順は docs/operations.md を参照。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-o", "--output", required=True, help="書き出すファイル（例：backup-20250401.tar.gz）"
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="バックアップするデータベース（settings の別名、既定 default）",
        )

    def handle(self, *args, output, database, verbosity=1, **options):
        try:
            manifest = create_backup(output, using=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if verbosity:
            media = [entry for entry in manifest["files"] if entry["path"].startswith("media/")]
            total = sum(entry["size"] for entry in manifest["files"])
            self.stdout.write(
                self.style.SUCCESS(
                    f"バックアップを {output} に作成しました（データベース：{VENDOR_LABELS[manifest['database']['vendor']]}、"
                    f"アップロードファイル {len(media)} 件、合計 {total:,} バイト）。"
                )
            )
