"""A developer's ``.env`` changes the development settings, never the test settings. Each case imports the
settings in a fresh interpreter, with an env file of the test's own (``DJANGO_ENV_FILE``), so that nothing
is written to the checkout."""

import os
import subprocess
import sys

from django.conf import settings

ENV_FILE_LINES = [
    "WAGTAIL_SITE_NAME=Site name from the env file",
    "DATABASE_URL=postgres://someone@db.example.org:5432/their_own",
    "AUDIO_MAX_UPLOAD_BYTES=1234",
]


def settings_seen(settings_module: str, env_file) -> tuple[str, str, int]:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.WAGTAIL_SITE_NAME); print(s.DATABASES['default']['HOST']); print(s.AUDIO_MAX_UPLOAD_BYTES)"
    )
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "WAGTAIL_SITE_NAME", "AUDIO_MAX_UPLOAD_BYTES")
    }
    environment |= {"DJANGO_SETTINGS_MODULE": settings_module, "DJANGO_ENV_FILE": str(env_file)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    name, host, limit = done.stdout.splitlines()[-3:]
    return name, host, int(limit)


def test_the_development_settings_read_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(ENV_FILE_LINES) + "\n")

    assert settings_seen("website.settings.dev", env_file) == (
        "Site name from the env file",
        "db.example.org",
        1234,
    )


def test_the_test_settings_ignore_any_env_file(tmp_path):
    """Even one named in the environment: the test settings clear DJANGO_ENV_FILE before base reads it."""
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(ENV_FILE_LINES) + "\n")

    assert settings_seen("website.settings.test", env_file) == (
        "The Power of Coproduction",
        "",
        300 * 1024 * 1024,
    )


def test_this_run_and_the_processes_it_starts_read_no_env_file():
    assert os.environ["DJANGO_ENV_FILE"] == ""
