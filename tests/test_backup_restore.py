"""Backup and restore, as an operator runs them (docs/operations.md; config.backup).

Each step is a real `manage.py` run in its own process against a database of its own (a SQLite
file in tmp_path, or scratch databases on the PostgreSQL server of DATABASE_URL): populate it
through the services (progress records with their history, an accepted return, organisations,
meetings with attached minutes files), `backup`, `restore` into an empty database, then compare
`dumpdata` of both — every row of every model, every history entry of every simple-history table,
no more and no fewer — the applied migrations, and every uploaded file byte for byte.
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# The simple-history tables the populated database must have entries in, so that "every history
# entry" is not checked on empty tables.
HISTORY_WITH_ENTRIES = [
    "plan.historicalmeasureprogress",
    "municipalities.historicalannualreturn",
    "meetings.historicalmeeting",
    "meetings.historicalorganization",
]


def populate():
    """Run inside `manage.py shell` against the source database: the demo data, which is written
    through the services (history entries with their users and reasons), plus minutes files."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from openpyxl import Workbook

    from meetings.models import Meeting
    from meetings.services import meeting_record_minutes
    from plan.models import User

    for command in (
        "load_reference_data",
        "create_demo_users",
        "create_demo_returns",
        "create_demo_meetings",
    ):
        call_command(command, verbosity=0)
    secretariat = User.objects.get(username="admin")
    workbook = io.BytesIO()
    Workbook().save(workbook)
    first, second = Meeting.objects.order_by("pk")[:2]
    meeting_record_minutes(
        meeting=first, minutes_upload=SimpleUploadedFile("第1回 議事録.pdf", PDF), user=secretariat
    )
    meeting_record_minutes(
        meeting=second,
        minutes_upload=SimpleUploadedFile("出席者一覧.xlsx", workbook.getvalue()),
        user=secretariat,
    )


def manage(*arguments, env, check=True):
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,  # a hang fails the run instead of blocking CI; no test measures time
        check=False,
    )
    if check:
        assert result.returncode == 0, f"manage.py {' '.join(arguments)}:\n{result.stdout}\n{result.stderr}"
    return result


def environment(database_url: str, media_root: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(media_root),
        "DJANGO_ENV": "development",
    }


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def snapshot(env) -> dict:
    """Everything a restore must bring back: rows by model, applied migrations, files by path."""
    rows: dict[str, list] = {}
    for row in json.loads(manage("dumpdata", "--format=json", env=env).stdout):
        rows.setdefault(row["model"], []).append(row)
    media_root = Path(env["MEDIA_ROOT"])
    files = {
        path.relative_to(media_root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(media_root.rglob("*"))
        if path.is_file()
    }
    migrations = manage("showmigrations", "--list", env=env).stdout
    return {"rows": rows, "files": files, "migrations": migrations}


def assert_same(restored: dict, original: dict) -> None:
    history = sorted(model for model in original["rows"] if ".historical" in model)
    for model in HISTORY_WITH_ENTRIES:
        assert original["rows"].get(model), f"the populated database has no {model} entries to compare"
    # Every simple-history table: the same number of entries (none added, none lost) and the same
    # entries (who, when, why, what).
    assert {m: len(restored["rows"].get(m, [])) for m in history} == {
        m: len(original["rows"][m]) for m in history
    }
    for model in history:
        assert restored["rows"][model] == original["rows"][model], model
    # Every row of every model.
    assert sorted(restored["rows"]) == sorted(original["rows"])
    assert {m: len(r) for m, r in restored["rows"].items()} == {
        m: len(r) for m, r in original["rows"].items()
    }
    for model, rows in original["rows"].items():
        assert restored["rows"][model] == rows, model
    assert restored["migrations"] == original["migrations"]
    # Every attachment, byte for byte, and every stored file name points at one.
    assert restored["files"] == original["files"]
    stored = [row["fields"]["minutes_file"] for row in original["rows"]["meetings.meeting"]]
    assert len([name for name in stored if name]) == 2
    assert {name for name in stored if name} <= set(original["files"])


def make_populated(database_url: str, media_root: Path) -> dict:
    env = environment(database_url, media_root)
    manage("migrate", "--noinput", env=env)
    manage("shell", "-c", "from tests.test_backup_restore import populate; populate()", env=env)
    return env


# --- SQLite -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory):
    """A populated SQLite database, its snapshot and its backup archive (made once: populating
    takes a while, and the refusal tests only need an archive)."""
    folder = tmp_path_factory.mktemp("backup-source")
    env = make_populated(sqlite_url(folder / "source.sqlite3"), folder / "media")
    archive = folder / "backup.tar.gz"
    result = manage("backup", "-o", str(archive), env=env)
    assert "バックアップを" in result.stdout
    return {"env": env, "archive": archive, "snapshot": snapshot(env), "database": folder / "source.sqlite3"}


def empty_target(tmp_path) -> dict:
    return environment(sqlite_url(tmp_path / "restored.sqlite3"), tmp_path / "restored-media")


def assert_untouched(tmp_path) -> None:
    assert not (tmp_path / "restored.sqlite3").exists()
    assert not (tmp_path / "restored-media").exists()


def assert_refused(result, message: str) -> None:
    assert result.returncode != 0
    assert message in result.stderr
    assert "何も変更していません" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_sqlite_backup_restores_into_an_empty_database_exactly(sqlite_source, tmp_path):
    archive = sqlite_source["archive"]
    manifest = json.loads(tarfile.open(archive).extractfile("manifest.json").read())
    assert manifest["database"]["vendor"] == "sqlite"
    assert manifest["created_at"]
    assert "0001_initial" in manifest["migrations"]["plan"]
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert "database/db.sqlite3" in listed
    for path, checksum in sqlite_source["snapshot"]["files"].items():
        assert listed[f"media/{path}"]["sha256"] == checksum
    assert oct(archive.stat().st_mode & 0o777) == "0o600"  # personal data: readable by its owner only

    env = empty_target(tmp_path)
    result = manage("restore", str(archive), env=env)
    assert "から復元しました" in result.stdout

    assert_same(snapshot(env), sqlite_source["snapshot"])
    assert_carries_on(env, sqlite_source["snapshot"])


def assert_carries_on(env, original: dict) -> None:
    """New rows after a restore get new ids (the sequences came back too) and write history."""
    manage(
        "shell",
        "-c",
        "from meetings.models import Organization; from meetings.services import organization_create; "
        "from plan.models import User; "
        "organization_create(organization=Organization(name='復元後の団体', kind=Organization.objects.first().kind), "
        "roles=[], user=User.objects.get(username='admin'))",
        env=env,
    )
    after = snapshot(env)["rows"]
    before = original["rows"]
    assert len(after["meetings.organization"]) == len(before["meetings.organization"]) + 1
    assert len(after["meetings.historicalorganization"]) == len(before["meetings.historicalorganization"]) + 1


def test_verify_only_checks_an_archive_and_changes_nothing(sqlite_source, tmp_path):
    result = manage("restore", "--verify-only", str(sqlite_source["archive"]), env=empty_target(tmp_path))
    assert "正常です" in result.stdout
    assert_untouched(tmp_path)


def repack(source: Path, target: Path, change) -> None:
    """Copy an archive, passing each member's name and bytes through `change`."""
    with tarfile.open(source) as original, tarfile.open(target, "w:gz") as copy:
        for member in original:
            name, content = change(member.name, original.extractfile(member).read())
            info = tarfile.TarInfo(name)
            info.size = len(content)
            copy.addfile(info, io.BytesIO(content))


@pytest.mark.parametrize("member", ["media", "database"])
def test_a_tampered_archive_is_refused_before_anything_changes(sqlite_source, tmp_path, member):
    tampered = tmp_path / "tampered.tar.gz"

    def change(name, content):
        if name.startswith(member + "/") and not change.done:
            change.done = True
            return name, content[:-1] + bytes([content[-1] ^ 1])
        return name, content

    change.done = False
    repack(sqlite_source["archive"], tampered, change)
    assert change.done

    result = manage("restore", str(tampered), env=empty_target(tmp_path), check=False)

    assert_refused(result, "チェックサムが一致しません")
    assert_untouched(tmp_path)
    assert_refused(
        manage("restore", "--verify-only", str(tampered), env=empty_target(tmp_path), check=False),
        "チェックサムが一致しません",
    )


@pytest.mark.parametrize("damage", ["truncated", "corrupted", "not an archive"])
def test_a_damaged_archive_is_refused_before_anything_changes(sqlite_source, tmp_path, damage):
    content = sqlite_source["archive"].read_bytes()
    damaged = tmp_path / "damaged.tar.gz"
    if damage == "truncated":
        damaged.write_bytes(content[: len(content) // 2])
    elif damage == "corrupted":
        middle = len(content) // 2
        damaged.write_bytes(
            content[:middle] + bytes(b ^ 0xFF for b in content[middle : middle + 64]) + content[middle + 64 :]
        )
    else:
        damaged.write_bytes(gzip.compress(b"this is not a tar archive" * 100))

    result = manage("restore", str(damaged), env=empty_target(tmp_path), check=False)

    assert_refused(result, "壊れているか、途中までしかありません")
    assert_untouched(tmp_path)


def test_an_archive_from_another_database_vendor_is_refused(sqlite_source, tmp_path):
    from_postgresql = tmp_path / "postgresql.tar.gz"

    def change(name, content):
        if name == "manifest.json":
            manifest = json.loads(content)
            manifest["database"]["vendor"] = "postgresql"
            for entry in manifest["files"]:
                entry["path"] = entry["path"].replace("database/db.sqlite3", "database/db.dump")
            return name, json.dumps(manifest).encode()
        return name.replace("database/db.sqlite3", "database/db.dump"), content

    repack(sqlite_source["archive"], from_postgresql, change)

    result = manage("restore", str(from_postgresql), env=empty_target(tmp_path), check=False)

    assert_refused(result, "このバックアップは PostgreSQL のものです")
    assert_untouched(tmp_path)


def test_an_archive_whose_members_escape_the_restore_folders_is_refused(sqlite_source, tmp_path):
    escaping = tmp_path / "escaping.tar.gz"
    repack(
        sqlite_source["archive"],
        escaping,
        lambda name, content: (name.replace("media/", "media/../../", 1), content),
    )

    result = manage("restore", str(escaping), env=empty_target(tmp_path), check=False)

    assert_refused(result, "不正な名前の項目")
    assert_untouched(tmp_path)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_database_that_is_not_empty_is_refused_without_force_and_replaced_with_it(sqlite_source, tmp_path):
    # A database in use: a copy of the source, then changed after the backup.
    database = tmp_path / "in-use.sqlite3"
    shutil.copyfile(sqlite_source["database"], database)
    with sqlite3.connect(database) as db:
        db.execute(
            "DELETE FROM plan_historicalmeasureprogress WHERE history_id IN "
            "(SELECT history_id FROM plan_historicalmeasureprogress LIMIT 5)"
        )
        db.execute("UPDATE meetings_organization SET note = '変更後' ")
    db.close()
    before = sha256_of(database)
    env = environment(sqlite_url(database), tmp_path / "restored-media")

    result = manage("restore", str(sqlite_source["archive"]), env=env, check=False)

    assert_refused(result, "復元先が空ではありません")
    assert "--force" in result.stderr
    assert sha256_of(database) == before
    assert not (tmp_path / "restored-media").exists()

    manage("restore", "--force", str(sqlite_source["archive"]), env=env)
    assert_same(snapshot(env), sqlite_source["snapshot"])


def test_uploaded_files_already_in_place_are_refused_without_force(sqlite_source, tmp_path):
    env = empty_target(tmp_path)
    (tmp_path / "restored-media").mkdir()
    (tmp_path / "restored-media" / "left-over.pdf").write_bytes(PDF)

    result = manage("restore", str(sqlite_source["archive"]), env=env, check=False)

    assert_refused(result, "アップロードファイルの保存先")
    assert not (tmp_path / "restored.sqlite3").exists()
    assert [p.name for p in (tmp_path / "restored-media").iterdir()] == ["left-over.pdf"]


def test_backup_does_not_overwrite_an_existing_archive(sqlite_source, tmp_path):
    existing = tmp_path / "backup.tar.gz"
    existing.write_bytes(b"yesterday's backup")

    result = manage("backup", "-o", str(existing), env=sqlite_source["env"], check=False)

    assert result.returncode != 0
    assert "既にあります" in result.stderr
    assert "Traceback" not in result.stderr
    assert existing.read_bytes() == b"yesterday's backup"


# --- PostgreSQL ---------------------------------------------------------------------------------


@pytest.fixture
def scratch_databases(django_db_blocker):
    """Two databases of their own on the server the test run uses, dropped afterwards."""
    import psycopg

    if connection.vendor != "postgresql":
        pytest.skip(
            "PostgreSQL's backup (pg_dump/pg_restore): run with DATABASE_URL=postgres://… (CI's PostgreSQL run does)."
        )
    server = connection.settings_dict
    names = [f"backup_src_{os.getpid()}", f"backup_dst_{os.getpid()}"]
    parameters = {
        "host": server["HOST"] or None,
        "port": server["PORT"] or None,
        "user": server["USER"] or None,
        "password": server["PASSWORD"] or None,
        # Only to send CREATE/DROP DATABASE: the database DATABASE_URL names (or the test run's copy
        # of it, once pytest-django has made one); both exist while the tests run.
        "dbname": server["NAME"],
        "autocommit": True,
    }
    with django_db_blocker.unblock(), psycopg.connect(**parameters) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            credentials = quote(server["USER"] or "", safe="")
            if server["PASSWORD"]:
                credentials += ":" + quote(server["PASSWORD"], safe="")
            address = f"{server['HOST'] or '127.0.0.1'}:{server['PORT'] or 5432}"
            yield [f"postgres://{credentials}@{address}/{name}" for name in names]
        finally:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_a_postgresql_backup_restores_into_an_empty_database_exactly(scratch_databases, tmp_path):
    source_url, target_url = scratch_databases
    source = make_populated(source_url, tmp_path / "media")
    archive = tmp_path / "backup.tar.gz"
    manage("backup", "-o", str(archive), env=source)
    original = snapshot(source)
    manifest = json.loads(tarfile.open(archive).extractfile("manifest.json").read())
    assert manifest["database"]["vendor"] == "postgresql"
    assert "database/db.dump" in {entry["path"] for entry in manifest["files"]}

    target = environment(target_url, tmp_path / "restored-media")
    manage("restore", str(archive), env=target)
    assert_same(snapshot(target), original)

    # A second restore into the now filled database needs --force, and gives the same result.
    assert_refused(manage("restore", str(archive), env=target, check=False), "復元先が空ではありません")
    manage("restore", "--force", str(archive), env=target)
    assert_same(snapshot(target), original)
    assert_carries_on(target, original)
