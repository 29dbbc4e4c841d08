"""Backup and restore: the database and the uploaded files in one archive (docs/operations.md).

Why not dumpdata/loaddata: loading rows through the models fires django-simple-history's
signals, so a restore would add history entries that never happened, and the uploaded files
(MEDIA_ROOT: meeting minutes) would be left out. Here the database is copied by the database's
own tools (pg_dump/pg_restore on PostgreSQL, SQLite's online backup API), which write no history,
and the files go into the same archive.

The archive is a .tar.gz holding
- `database/db.dump` (PostgreSQL, pg_dump's custom format) or `database/db.sqlite3` (SQLite),
- `media/<path under MEDIA_ROOT>` for every uploaded file,
- `manifest.json`: when and from which version it was made, the database vendor, the migrations
  applied per app, and every other member's size and SHA-256.

A restore reads and checks the whole archive (every checksum, the vendor, the migrations, that the
target is empty) before it changes anything.
"""

import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "tokyo-women-support-plan-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
DATABASE_MEMBERS = {"postgresql": "database/db.dump", "sqlite": "database/db.sqlite3"}
VENDOR_LABELS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# A manifest lists files, not their contents: anything larger is not one of ours.
MANIFEST_MAX_BYTES = 50 * 1024 * 1024
CHUNK = 1024 * 1024

DAMAGED = (
    "バックアップファイル {path} が壊れているか、途中までしかありません（{detail}）。何も変更していません。"
)


class BackupError(Exception):
    """A backup or restore refused or failed; the message is for the operator, in Japanese."""


# --- Backup -------------------------------------------------------------------------------------


def create_backup(output, *, using: str = DEFAULT_DB_ALIAS) -> dict:
    """Write the database and MEDIA_ROOT into the archive `output` and return its manifest.

    The archive is written under a temporary name and renamed when complete, so a failed backup
    never leaves a half-written archive under the name asked for. It holds personal data: it is
    created readable by its owner only (0600)."""
    connection = connections[using]
    vendor = _supported_vendor(connection.vendor)
    output = Path(output)
    if output.exists():
        raise BackupError(f"{output} は既にあります。上書きしないよう、別のファイル名を指定してください。")
    if not output.parent.is_dir():
        raise BackupError(f"書き出し先のフォルダ {output.parent} がありません。")
    migrations = _applied_migrations(connection)
    partial = output.with_name(output.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(prefix=".backup-", dir=output.parent) as staging:
            database_file = _dump_database(connection, Path(staging))
            files = []
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                files.append(_add_file(tar, database_file, DATABASE_MEMBERS[vendor]))
                # After the database: a file uploaded meanwhile is in the archive without its row
                # (harmless); see docs/operations.md for running the backup at a quiet time.
                for path, relative in _media_files():
                    files.append(_add_file(tar, path, MEDIA_PREFIX + relative))
                manifest = _manifest(connection, vendor, migrations, files)
                content = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
                tar.addfile(_member_info(MANIFEST, len(content)), io.BytesIO(content))
        os.replace(partial, output)
    except OSError as error:
        raise BackupError(f"バックアップを書き出せませんでした（{error}）。") from error
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def _supported_vendor(vendor: str) -> str:
    if vendor not in DATABASE_MEMBERS:
        raise BackupError(
            f"このデータベース（{vendor}）のバックアップには対応していません（PostgreSQL と SQLite のみ）。"
        )
    return vendor


def _applied_migrations(connection) -> dict[str, list[str]]:
    if connection.vendor == "sqlite" and not _sqlite_path(connection).is_file():
        raise BackupError(f"データベースファイル {_sqlite_path(connection)} がありません。")
    try:
        recorded = MigrationRecorder(connection).applied_migrations()
    except DatabaseError as error:
        raise BackupError(f"データベースに接続できません（{error}）。") from error
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(recorded):
        applied.setdefault(app_label, []).append(name)
    return applied


def _dump_database(connection, staging: Path) -> Path:
    target = staging / PurePosixPath(DATABASE_MEMBERS[connection.vendor]).name
    if connection.vendor == "sqlite":
        # The online backup API copies a consistent snapshot even while the app is writing.
        try:
            with _sqlite(_sqlite_path(connection)) as source_db, _sqlite(target) as target_db:
                source_db.backup(target_db)
        except sqlite3.Error as error:
            raise BackupError(f"SQLite データベースをコピーできませんでした（{error}）。") from error
    else:
        _run_postgres_tool("pg_dump", connection.settings_dict, ["--format=custom", "--file", str(target)])
    return target


def _media_files():
    """(path, path relative to MEDIA_ROOT in POSIX form) for every regular file, in a fixed order.
    Symbolic links are not followed: MEDIA_ROOT holds only what the app stored."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    found = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                found.append((path, path.relative_to(root).as_posix()))
    return found


class _HashingReader:
    """Hashes what tarfile reads, so the checksum is that of the bytes archived even if the file
    changes while it is being read."""

    def __init__(self, file):
        self.file = file
        self.sha256 = hashlib.sha256()

    def read(self, size=-1):
        data = self.file.read(size)
        self.sha256.update(data)
        return data


def _member_info(name: str, size: int, mtime: float | None = None) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(mtime if mtime is not None else datetime.datetime.now().timestamp())
    return info


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> dict:
    with open(path, "rb") as file:
        status = os.fstat(file.fileno())
        reader = _HashingReader(file)
        tar.addfile(_member_info(name, status.st_size, status.st_mtime), reader)
    return {"path": name, "size": status.st_size, "sha256": reader.sha256.hexdigest()}


def _manifest(connection, vendor: str, migrations: dict, files: list[dict]) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "app": {"version": _app_version(), "commit": _app_commit()},
        "database": {"vendor": vendor, "name": str(connection.settings_dict["NAME"])},
        "migrations": migrations,
        "files": files,
    }


def _app_version() -> str | None:
    try:
        return metadata.version("tokyo-women-support-plan")
    except metadata.PackageNotFoundError:
        return None


def _app_commit() -> str | None:
    """The deployed commit: APP_COMMIT when the deployment sets it, else asked of git."""
    if os.environ.get("APP_COMMIT"):
        return os.environ["APP_COMMIT"]
    if not (settings.BASE_DIR / ".git").exists() or shutil.which("git") is None:
        return None
    try:
        result = subprocess.run(
            ["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (result.stdout.strip() or None) if result.returncode == 0 else None


# --- Restore ------------------------------------------------------------------------------------


def verify_backup(archive) -> dict:
    """Read the whole archive and check every checksum; change nothing. Returns the manifest."""
    with tempfile.TemporaryDirectory(prefix="restore-") as staging:
        return _extract_and_verify(Path(archive), Path(staging))


def restore_backup(archive, *, using: str = DEFAULT_DB_ALIAS, force: bool = False) -> dict:
    """Restore the database and the uploaded files from `archive`; returns its manifest with
    `pending_migrations` (the code's migrations the restored database has not applied) and
    `media_left` (files in MEDIA_ROOT that were not in the archive and were left as they are).

    Everything is checked before anything is changed: the archive's integrity and every
    checksum, that it comes from the same database vendor and from a version of the system whose
    migrations this code knows, and that the target database and MEDIA_ROOT are empty (unless
    `force`: then the database's tables are replaced and the archive's files overwrite theirs)."""
    connection = connections[using]
    vendor = _supported_vendor(connection.vendor)
    with tempfile.TemporaryDirectory(prefix="restore-") as staging:
        staging = Path(staging)
        manifest = _extract_and_verify(Path(archive), staging)
        archived_vendor = manifest["database"]["vendor"]
        if archived_vendor != vendor:
            raise BackupError(
                f"このバックアップは {VENDOR_LABELS.get(archived_vendor, archived_vendor)} のものです。"
                f"{VENDOR_LABELS[vendor]} のデータベースには復元できません。何も変更していません。"
            )
        _check_migrations_known(manifest)
        database_tables = _existing_tables(connection)
        media_present = [relative for _, relative in _media_files()]
        if not force and (database_tables or media_present):
            raise BackupError(_not_empty_message(connection, database_tables, media_present))
        _restore_database(connection, staging / DATABASE_MEMBERS[vendor], replace=bool(database_tables))
        archived_media = _restore_media(staging, manifest)
    manifest["pending_migrations"] = _pending_migrations(manifest)
    manifest["media_left"] = sorted(set(media_present) - archived_media)
    return manifest


def _extract_and_verify(archive: Path, staging: Path) -> dict:
    if not archive.is_file():
        raise BackupError(f"バックアップファイル {archive} が見つかりません。")
    extracted: dict[str, tuple[int, str]] = {}
    manifest_content = None
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                name = _checked_member_name(member.name)
                if member.isdir():
                    continue
                if not member.isfile():
                    raise BackupError(
                        f"バックアップファイルに想定外の項目（{member.name}）があります。何も変更していません。"
                    )
                if name in extracted or (name == MANIFEST and manifest_content is not None):
                    raise BackupError(
                        f"バックアップファイルに同じ名前の項目（{name}）が2つあります。何も変更していません。"
                    )
                source = tar.extractfile(member)
                if name == MANIFEST:
                    if member.size > MANIFEST_MAX_BYTES:
                        raise BackupError(
                            "バックアップファイルの目録（manifest.json）が大きすぎます。何も変更していません。"
                        )
                    manifest_content = source.read()
                    continue
                extracted[name] = _copy_hashing(source, staging / name)
            # tarfile stops at the first header it cannot read as if the archive ended there; reading
            # the compressed stream to its end makes gzip check its CRC and length, so damage
            # anywhere is found, not only where a member is.
            while tar.fileobj.read(CHUNK):
                pass
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(DAMAGED.format(path=archive, detail=error)) from error
    if manifest_content is None:
        raise BackupError(
            f"バックアップファイル {archive} に目録（manifest.json）がありません。何も変更していません。"
        )
    manifest = _parsed_manifest(manifest_content, archive)
    _check_files(manifest, extracted)
    return manifest


def _checked_member_name(name: str) -> str:
    """Only names this module writes: no absolute paths, no `..`, nothing outside media/ and
    database/ (an archive must never write outside the folders the restore chooses)."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        raise BackupError(
            f"バックアップファイルに不正な名前の項目（{name}）があります。何も変更していません。"
        )
    normalised = path.as_posix()
    if normalised != MANIFEST and path.parts[0] not in ("media", "database"):
        raise BackupError(f"バックアップファイルに想定外の項目（{name}）があります。何も変更していません。")
    return normalised


def _copy_hashing(source, destination: Path) -> tuple[int, str]:
    destination.parent.mkdir(parents=True, exist_ok=True)
    sha256, size = hashlib.sha256(), 0
    with open(destination, "wb") as target:
        while chunk := source.read(CHUNK):
            sha256.update(chunk)
            size += len(chunk)
            target.write(chunk)
    return size, sha256.hexdigest()


def _parsed_manifest(content: bytes, archive: Path) -> dict:
    try:
        manifest = json.loads(content.decode("utf-8"))
        if manifest.get("format") != FORMAT:
            raise ValueError("format")
        files = {entry["path"]: (int(entry["size"]), str(entry["sha256"])) for entry in manifest["files"]}
        vendor = manifest["database"]["vendor"]
        migrations = {app: list(names) for app, names in manifest["migrations"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupError(
            f"バックアップファイル {archive} の目録（manifest.json）が読めません。何も変更していません。"
        ) from error
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"このバックアップの形式（第{manifest.get('format_version')}版）には対応していません"
            f"（対応：第{FORMAT_VERSION}版）。何も変更していません。"
        )
    if vendor not in DATABASE_MEMBERS or DATABASE_MEMBERS[vendor] not in files:
        raise BackupError(
            f"バックアップファイル {archive} にデータベースが入っていません。何も変更していません。"
        )
    manifest["_files"] = files
    manifest["migrations"] = migrations
    return manifest


def _check_files(manifest: dict, extracted: dict[str, tuple[int, str]]) -> None:
    listed = manifest.pop("_files")
    missing = sorted(set(listed) - set(extracted))
    if missing:
        raise BackupError(
            f"目録にあるファイルがバックアップファイルにありません：{', '.join(missing[:5])}。何も変更していません。"
        )
    unlisted = sorted(set(extracted) - set(listed))
    if unlisted:
        raise BackupError(
            f"目録にないファイルがバックアップファイルに入っています：{', '.join(unlisted[:5])}。何も変更していません。"
        )
    mismatched = sorted(name for name, checksum in listed.items() if extracted[name] != checksum)
    if mismatched:
        raise BackupError(
            "チェックサムが一致しません（バックアップ後に内容が変わっています）："
            f"{', '.join(mismatched[:5])}。何も変更していません。"
        )


def _check_migrations_known(manifest: dict) -> None:
    """A backup from a newer version (migrations this code does not have) cannot be run by this
    code; one from an older version can, after `migrate`."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in names
        if (app, name) not in known
    )
    if unknown:
        app = manifest.get("app") or {}
        made_by = " / ".join(str(value) for value in (app.get("version"), app.get("commit")) if value)
        raise BackupError(
            f"このバックアップには、このシステムの版にないマイグレーションが適用されています（{', '.join(unknown[:5])}"
            f"{' ほか' if len(unknown) > 5 else ''}）。バックアップを作成した版"
            f"{f'（{made_by}）' if made_by else ''}のシステムで復元してください。何も変更していません。"
        )


def _pending_migrations(manifest: dict) -> list[str]:
    applied = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.graph.nodes if (app, name) not in applied)


def _existing_tables(connection) -> list[str]:
    if connection.vendor == "sqlite":
        path = _sqlite_path(connection)
        if not path.parent.is_dir():
            raise BackupError(f"復元先のフォルダ {path.parent} がありません。何も変更していません。")
        if not path.exists():
            return []  # not created yet: connecting would create it, and nothing may change before the checks pass
    try:
        with connection.cursor() as cursor:
            return connection.introspection.table_names(cursor)
    except DatabaseError as error:
        raise BackupError(
            f"復元先のデータベースに接続できません（{error}）。何も変更していません。"
        ) from error


def _not_empty_message(connection, tables: list[str], media: list[str]) -> str:
    parts = []
    if tables:
        parts.append(
            f"データベース（{connection.settings_dict['NAME']}）にテーブルが {len(tables)} 個あります"
        )
    if media:
        parts.append(
            f"アップロードファイルの保存先（{settings.MEDIA_ROOT}）にファイルが {len(media)} 件あります"
        )
    return (
        f"復元先が空ではありません：{'、'.join(parts)}。"
        "新しく作成した空のデータベースに復元してください（manage.py migrate も実行しないでください）。"
        "今ある内容をバックアップの内容で置き換える場合は --force を指定してください。何も変更していません。"
    )


def _restore_database(connection, dump: Path, *, replace: bool) -> None:
    if connection.vendor == "sqlite":
        target = _sqlite_path(connection)
        connection.close()
        # The backup API replaces the target's whole content, in one step, under SQLite's lock.
        try:
            with _sqlite(dump) as source_db, _sqlite(target) as target_db:
                source_db.backup(target_db)
        except sqlite3.Error as error:
            raise BackupError(f"SQLite データベースを復元できませんでした（{error}）。") from error
        return
    connection.close()
    options = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if replace:
        # Drops what the dump is about to create, in the same transaction as the restore.
        options += ["--clean", "--if-exists"]
    _run_postgres_tool("pg_restore", connection.settings_dict, [*options, str(dump)])


def _restore_media(staging: Path, manifest: dict) -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    restored = set()
    for entry in manifest["files"]:
        if not entry["path"].startswith(MEDIA_PREFIX):
            continue
        relative = entry["path"][len(MEDIA_PREFIX) :]
        destination = root / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staging / entry["path"], destination)
        restored.add(relative)
    return restored


# --- The databases' own tools -------------------------------------------------------------------


def _sqlite_path(connection) -> Path:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("メモリ上の SQLite データベースはバックアップ・復元できません。")
    return Path(name)


class _sqlite:
    """A plain sqlite3 connection, closed on leaving (sqlite3's own context manager only commits)."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.connection = sqlite3.connect(self.path)
        return self.connection

    def __exit__(self, *exc):
        self.connection.close()


# Connection settings passed to PostgreSQL's tools through their environment, as libpq reads them.
_LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
}


def _run_postgres_tool(tool: str, settings_dict: dict, arguments: list[str]) -> None:
    """Run pg_dump or pg_restore against the database of `settings_dict`. The password goes
    through PGPASSWORD, never on the command line (where `ps` would show it); --no-password so
    that a scheduled job fails rather than waits for a prompt."""
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            f"{tool} が見つかりません。PostgreSQL のクライアント（Debian では postgresql-client）を"
            "サーバーと同じか新しい版でインストールしてください。"
        )
    command = [executable, "--no-password"]
    if settings_dict.get("HOST"):
        command += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        command += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        command += ["--username", str(settings_dict["USER"])]
    command += [f"--dbname={settings_dict['NAME']}", *arguments]
    environment = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    for option, variable in _LIBPQ_OPTIONS.items():
        if (settings_dict.get("OPTIONS") or {}).get(option):
            environment[variable] = str(settings_dict["OPTIONS"][option])
    try:
        result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    except OSError as error:
        raise BackupError(f"{tool} を実行できませんでした（{error}）。") from error
    if result.returncode != 0:
        detail = result.stderr.strip() or result.stdout.strip()
        raise BackupError(f"{tool} が失敗しました（終了コード {result.returncode}）：{detail}")
