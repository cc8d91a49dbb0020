"""django-helpdesk's `get_email` on the same mails, as a side-by-side baseline for ingest.py.

Installs django-helpdesk from PyPI into a throwaway virtualenv (not a project dependency),
makes a minimal Django project on SQLite with one queue reading the given IMAP account
(outgoing mail to files, as mailbot's benchmark does), and times `manage.py get_email` in a
fresh process: it turns every mail into a ticket or a follow-up, stores attachments, mails
the submitter, and deletes the mail from the server. Any failure on the way is reported as
one line and the baseline skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SETTINGS = """
SECRET_KEY = "benchmark-only"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles",
    "django.contrib.sites", "django.contrib.humanize", "rest_framework", "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware",
              "django.contrib.auth.middleware.AuthenticationMiddleware",
              "django.contrib.messages.middleware.MessageMiddleware"]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": "{db}"}}}}
TEMPLATES = [{{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [],
              "APP_DIRS": True, "OPTIONS": {{"context_processors": [
                  "django.template.context_processors.request",
                  "django.contrib.auth.context_processors.auth",
                  "django.contrib.messages.context_processors.messages"]}}}}]
ROOT_URLCONF = "bench_urls"
STATIC_URL = "/static/"
MEDIA_ROOT = "{media}"
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = "{sent}"
DEFAULT_FROM_EMAIL = "help@school.example"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
LOGGING = {{"version": 1, "disable_existing_loggers": True}}
HELPDESK_TEAMS_MODE_ENABLED = False  # no pinax-teams: tickets go to the queue
"""

URLS = """
from django.urls import include, path
urlpatterns = [path("", include("helpdesk.urls", namespace="helpdesk"))]
"""

QUEUE = """
from helpdesk.models import Queue
Queue.objects.create(title="Help", slug="help", email_address="help@school.example",
    allow_email_submission=True, email_box_type="imap", email_box_host="127.0.0.1",
    email_box_port={port}, email_box_ssl=False, email_box_user="{user}",
    email_box_pass="{password}", email_box_imap_folder="INBOX", email_box_interval=0,
    logging_type="none")
"""


def _venv(folder: Path) -> Path | None:
    python = folder / "venv" / "bin" / "python"
    if python.exists():
        return python
    steps = [[sys.executable, "-m", "venv", str(folder / "venv")],
             [str(python), "-m", "pip", "install", "-q", "django-helpdesk"]]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            print(f"[django-helpdesk] skipped: {' '.join(step[:4])}: "
                  f"{lines[-1] if lines else done.returncode}")
            return None
    return python


def run(account: object, n: int, folder: Path, name: str = "project",
        ) -> tuple[float, float] | None:
    """Mails per second of `get_email` over the account's mailbox (wall clock, and per CPU
    second of its process, as ingest.py measures mailbot), or None if skipped. `name`: the
    project's folder (a fresh database) beside the shared virtualenv."""
    folder.mkdir(parents=True, exist_ok=True)
    python = _venv(folder)
    if python is None:
        return None
    project = folder / name
    project.mkdir()
    (project / "bench_settings.py").write_text(SETTINGS.format(
        db=project / "db.sqlite3", media=project / "media", sent=project / "sent"))
    (project / "bench_urls.py").write_text(URLS)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench_settings", "PYTHONPATH": str(project)}
    manage = [str(python), "-m", "django"]
    queue = QUEUE.format(port=account.port, user=account.username,  # type: ignore[attr-defined]
                         password=account.password)  # type: ignore[attr-defined]
    for step in (["migrate", "-v", "0"], ["shell", "-c", queue]):
        done = subprocess.run([*manage, *step], cwd=project, env=env, capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines()
            print(f"[django-helpdesk] skipped: {step[0]}: {lines[-1] if lines else '?'}")
            return None
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen([*manage, "get_email", "--quiet"], cwd=project, env=env,
                                stdout=subprocess.DEVNULL, stderr=errors)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            lines = errors.read().decode(errors="replace").strip().splitlines()
            print(f"[django-helpdesk] skipped: get_email: {lines[-1] if lines else '?'}")
            return None
    counting = ("from helpdesk.models import Ticket, FollowUp; "
                "print(Ticket.objects.count(), FollowUp.objects.count())")
    out = subprocess.run([*manage, "shell", "-c", counting], cwd=project, env=env,
                         capture_output=True, text=True, check=False).stdout.strip()
    count = out.splitlines()[-1].split() if out else []
    print(f"[django-helpdesk] get_email made {count[0] if count else '?'} tickets, "
          f"{count[1] if len(count) > 1 else '?'} follow-ups from {n} mails")
    return n / seconds, n / (usage.ru_utime + usage.ru_stime)
