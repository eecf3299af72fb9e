"""The reports folder: timestamped runs, latest/, history.json capped at N."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from report_sample import make_result

from auditor.report.history import load_history, publish_run, timestamp_name


def test_publish_writes_every_format_latest_and_history(tmp_path: Path) -> None:
    now = dt.datetime(2026, 11, 21, 8, 30, 0, tzinfo=dt.UTC)
    run = publish_run(make_result(), tmp_path, keep=3, now=now)
    assert run.folder.name == "2026-11-21T083000Z"
    names = sorted(p.name for p in run.folder.iterdir())
    assert names == ["report.cdx.json", "report.html", "report.json", "report.md",
                     "report.sarif"]  # fmt: skip
    assert sorted(p.name for p in run.latest.iterdir()) == names
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["runs"][0]["counts"]["critical"] == 1
    assert history["runs"][0]["folder"] == "2026-11-21T083000Z"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_history_keeps_the_last_n_and_same_second_runs_do_not_collide(tmp_path: Path) -> None:
    now = dt.datetime(2026, 11, 21, 8, 30, 0, tzinfo=dt.UTC)
    folders = [publish_run(make_result(), tmp_path, keep=3, now=now).folder.name for _ in range(5)]
    assert folders[1] == "2026-11-21T083000Z-1"
    assert len(set(folders)) == 5
    runs = load_history(tmp_path)
    assert [r["folder"] for r in runs] == folders[-3:]
    html = (tmp_path / "latest" / "report.html").read_text()
    assert "3 report(s) from" in html


def test_timestamp_name_is_utc() -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert timestamp_name(when) == "2026-01-02T010405Z"


def test_unreadable_history_starts_fresh(tmp_path: Path) -> None:
    (tmp_path / "history.json").write_text("not json")
    assert load_history(tmp_path) == []
