"""Progress: a rich bar on a terminal; nothing on a pipe, in CI, or when switched off."""

from __future__ import annotations

import io

import pytest

from auditor.cli.progress import RichProgress, progress_for, wants_progress


class FakeTty(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_terminal_gets_a_rich_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("AUDITOR_NO_PROGRESS", raising=False)
    stream = FakeTty()
    assert wants_progress(stream)
    with progress_for(stream) as progress:
        assert isinstance(progress, RichProgress)
        progress.start("checks", 3)
        progress.advance("checks")
        progress.advance("unknown-task")
        progress.finish("checks")
    assert "\x1b[" in stream.getvalue()  # the bar was drawn (and cleared: transient)


@pytest.mark.parametrize("env", [{}, {"CI": "true"}, {"AUDITOR_NO_PROGRESS": "1"}])
def test_pipe_ci_or_switch_gets_nothing(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("AUDITOR_NO_PROGRESS", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    stream: io.StringIO = FakeTty() if env else io.StringIO()
    assert not wants_progress(stream)
    with progress_for(stream) as progress:
        assert not isinstance(progress, RichProgress)
        progress.start("checks", 1)
        progress.advance("checks")
        progress.finish("checks")
    assert stream.getvalue() == ""


def test_scan_on_a_terminal_draws_and_keeps_stdout_clean(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    from auditor.cli.main import main

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("AUDITOR_NO_PROGRESS", raising=False)
    out, err = io.StringIO(), FakeTty()
    code = main(["scan", str(tmp_path), "--format", "json", "--offline"], out=out, err=err)
    assert code == 0
    assert out.getvalue().startswith("{")
    assert "\x1b[" in err.getvalue()
