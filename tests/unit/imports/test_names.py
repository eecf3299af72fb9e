"""Name similarity rules, and modules loaded by name (settings strings, entry points)."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.imports.loaded import entry_point_modules, loaded_modules, settings_modules
from auditor.imports.names import module_spellings, provides_by_name


@pytest.mark.parametrize(
    ("distribution", "module"),
    [
        ("python-dateutil", "dateutil"),
        ("django-environ", "environ"),
        ("argon2-cffi", "argon2"),
        ("pydantic-core", "pydantic_core"),
        ("psycopg2-binary", "psycopg2"),
        ("gevent-websocket", "geventwebsocket"),
        ("django-cors-headers", "corsheaders"),
        ("django-storages", "storages"),
        ("mysql-connector-python", "mysql.connector"),
        ("markdown-it-py", "markdown_it"),
        ("scikit-learn", "sklearn"),
        ("scikit-image", "skimage"),
        ("pyserial", "serial"),
        ("PyJWT", "jwt"),
        ("websocket-client", "websocket"),
        ("opentelemetry-api", "opentelemetry"),
        ("cyclonedx-python-lib", "cyclonedx"),
        ("ruamel.yaml", "ruamel.yaml"),
        ("google-cloud-storage", "google.cloud.storage"),
        ("Flask-SQLAlchemy", "flask_sqlalchemy"),
        ("a2a-sdk", "a2a"),
    ],
)
def test_usual_spellings(distribution: str, module: str) -> None:
    assert provides_by_name(distribution, module)


@pytest.mark.parametrize(
    ("distribution", "module"),
    [
        ("psycopg2", "psycopg"),  # trailing digits are never dropped
        ("psycopg", "psycopg2"),
        ("argon2-cffi", "cffi"),
        ("google-cloud-storage", "google"),  # a namespace alone names no distribution
        ("requests", "urllib3"),
        ("py-a", "a"),  # too short to mean anything
    ],
)
def test_not_spellings(distribution: str, module: str) -> None:
    assert not provides_by_name(distribution, module)


def test_spellings_are_squashed() -> None:
    assert "dateutil" in module_spellings("python-dateutil")
    assert all("-" not in s and "_" not in s and "." not in s for s in module_spellings("a-b_c.d"))


SETTINGS = b"""
import os
INSTALLED_APPS = [
    "django.contrib.admin",
    "rest_framework",
    "corsheaders",
    "myproject.apps.core",
]
MIDDLEWARE = ("corsheaders.middleware.CorsMiddleware",)
STORAGES = {"default": {"BACKEND": "storages.backends.s3boto3.S3Boto3Storage"}}
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "mydb"}}
ALLOWED_HOSTS = ["example.com", "localhost"]
LANGUAGE_CODE = "en-us"
INSTALLED_APPS += ["debug_toolbar"]
secret = "not.a_setting"
"""


def test_django_settings_strings() -> None:
    found = {s.module for s in settings_modules("myproject/settings.py", SETTINGS)}
    assert found >= {
        "rest_framework",
        "corsheaders",
        "corsheaders.middleware.CorsMiddleware",
        "storages.backends.s3boto3.S3Boto3Storage",
        "django.db.backends.postgresql",
        "debug_toolbar",
    }
    # bare names only count as list items; lower-case assignments are not settings
    assert "mydb" not in found
    assert "not.a_setting" not in found
    sites = settings_modules("myproject/settings.py", SETTINGS)
    assert all(site.dynamic for site in sites)
    assert {s.top for s in sites if s.module == "corsheaders.middleware.CorsMiddleware"} == {
        "corsheaders"
    }


def test_settings_found_by_marker_and_sphinx_conf(tmp_path: Path) -> None:
    (tmp_path / "proj" / "config").mkdir(parents=True)
    (tmp_path / "proj" / "config" / "common.py").write_bytes(SETTINGS)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "conf.py").write_text(
        'extensions = ["myst_parser", "sphinx.ext.autodoc"]\nhtml_theme = "furo"\n'
    )
    (tmp_path / "app.py").write_text('X = ["rest_framework"]\n')  # not a settings file
    sites = loaded_modules(tmp_path, ["proj/config/common.py", "docs/conf.py", "app.py"], [])
    by_file = {(s.path, s.top) for s in sites}
    assert ("proj/config/common.py", "rest_framework") in by_file
    assert {("docs/conf.py", "myst_parser"), ("docs/conf.py", "furo")} <= by_file
    assert not any(path == "app.py" for path, _ in by_file)


def test_entry_points_of_pyproject_and_setup_cfg(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[project.scripts]\nx = "x.cli:main"\n'
        '[project.entry-points."pytest11"]\nmine = "x_plugin.fixtures"\n'
        '[tool.poetry.plugins."flake8.extension"]\nABC = "flake8_abc:Checker"\n'
        '[tool.poetry.scripts]\nserve = { reference = "uvicorn_runner:run", type = "console" }\n'
    )
    (tmp_path / "setup.cfg").write_text(
        "[options.entry_points]\nconsole_scripts =\n    tool = celery_tool.main:run [extra]\n"
    )
    sites = entry_point_modules(tmp_path, ["pyproject.toml", "setup.cfg"])
    assert {s.module for s in sites} == {
        "x.cli",
        "x_plugin.fixtures",
        "flake8_abc",
        "uvicorn_runner",
        "celery_tool.main",
    }
    line = next(s.line for s in sites if s.module == "celery_tool.main")
    assert line == 3
