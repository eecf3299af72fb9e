"""The HTML report in a real headless Chromium: no script errors, the filter works, it draws.

Chromium is driven with ``--dump-dom`` after a ``--virtual-time-budget``: the page reads a
filter from the URL hash, applies it, and writes what it did into its own DOM (``data-errors``
counts window errors and console.error calls; ``data-visible-rows`` counts the rows left;
``data-ready`` says the script ran to the end). A second run takes a screenshot. Skipped when
/usr/bin/chromium is missing (`.ci/run` installs it when it can).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.report.html import HtmlReporter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "report"))
from report_sample import make_result  # the shared sample result of the unit tests

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="headless browser test needs /usr/bin/chromium "
        "(apt-get install chromium; .ci/run tries to install it)",
    ),
]


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage",
         f"--user-data-dir={profile}", "--virtual-time-budget=5000", *args],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def _html_attrs(dom: str) -> dict[str, str]:
    tag = re.search(r"<html\b([^>]*)>", dom)
    assert tag is not None, dom[:500]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', tag.group(1)))


@pytest.fixture
def page(tmp_path: Path) -> Path:
    history = [{"timestamp": f"2026-11-{d:02d}T08:00:00Z",
                "counts": {"critical": d % 2, "high": d, "medium": 2, "low": 1, "info": 0}}
               for d in range(1, 6)]  # fmt: skip
    path = tmp_path / "report.html"
    path.write_text(HtmlReporter(history=history).render(make_result()), encoding="utf-8")
    return path


def test_page_runs_without_errors(page: Path, tmp_path: Path) -> None:
    done = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    attrs = _html_attrs(done.stdout)
    assert attrs["data-ready"] == "1"
    assert attrs["data-errors"] == "0"
    assert attrs["data-visible-rows"] == "4"
    assert attrs["data-findings"] == "4"
    assert "<script>alert(1)</script>" not in done.stdout


@pytest.mark.parametrize(
    ("fragment", "visible"),
    [("q=requests", "1"), ("severity=high", "2"), ("q=aud201&severity=critical", "1"),
     ("q=no-such-thing", "0")],
)  # fmt: skip
def test_filter_from_the_url_hides_rows(
    page: Path, tmp_path: Path, fragment: str, visible: str
) -> None:
    done = _chromium(tmp_path, "--dump-dom", f"{page.as_uri()}#{fragment}")
    assert done.returncode == 0, done.stderr[-2000:]
    attrs = _html_attrs(done.stdout)
    assert attrs["data-errors"] == "0"
    assert attrs["data-visible-rows"] == visible
    rows = re.findall(r'<tr class="finding"[^>]*>', done.stdout)
    assert len(rows) == 4
    assert sum(1 for row in rows if " hidden" in row) == 4 - int(visible)


def test_screenshot_is_produced(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    done = _chromium(tmp_path, "--window-size=1280,2000", "--hide-scrollbars",
                     f"--screenshot={shot}", page.as_uri())  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000  # a drawn page, not a blank one
