"""Reading installer command lines and shell lines: what would be installed, from where."""

from __future__ import annotations

import shlex

import pytest

from auditor.guard.commands import parse_install, poetry_requirement
from auditor.guard.shell import find_installs


def _one(line: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    command = parse_install(shlex.split(line))
    assert command is not None, line
    return command.installer, command.requirements, command.files


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'pip install -U "flask>=2" requests[socks]',
            ("pip install", ("flask>=2", "requests[socks]"), ()),
        ),
        ("python3 -m pip install -r req.txt", ("pip install", (), ("req.txt",))),
        ("python -I -m pip install --user -rreq.txt x", ("pip install", ("x",), ("req.txt",))),
        (
            "/usr/bin/python3.12 -m pip install --index-url=http://127.0.0.1/simple y",
            ("pip install", ("y",), ()),
        ),
        (
            "pip3.11 install --no-deps -t out --platform linux_x86_64 z==1",
            ("pip install", ("z==1",), ()),
        ),
        ("uv pip install -p 3.12 --system httpx", ("uv pip install", ("httpx",), ())),
        ("uv add --dev pytest 'ruff>=0.5' --group lint", ("uv add", ("pytest", "ruff>=0.5"), ())),
        ("uv --quiet add -r requirements.txt", ("uv add", (), ("requirements.txt",))),
        (
            "poetry add flask@^2.0 requests@latest -G dev",
            ("poetry add", ("flask>=2.0,<3.0", "requests"), ()),
        ),
        ("pipx install --python python3.12 black", ("pipx install", ("black",), ())),
        ("pipx run cowsay -t hello", ("pipx run", ("cowsay",), ())),
        ("pipx inject myvenv extra-a extra-b", ("pipx inject", ("extra-a", "extra-b"), ())),
        ("uvx ruff check .", ("uvx", ("ruff",), ())),
        ("uvx --from httpie http GET x", ("uvx", ("httpie", "http"), ())),
        ("uv tool install --with rich black", ("uv tool install", ("rich", "black"), ())),
        ("%pip install numpy", ("pip install", ("numpy",), ())),
        ("!pip install -q pandas", ("pip install", ("pandas",), ())),
    ],
)
def test_install_command_lines(
    line: str, expected: tuple[str, tuple[str, ...], tuple[str, ...]]
) -> None:
    assert _one(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "pip list",
        "pip show flask",
        "python -m pip --version",
        "python script.py install x",
        "uv sync",
        "uv run pytest",
        "poetry install",
        "pipx list",
        "ls install",
        "python -c 'x'",
    ],
)
def test_other_commands_are_not_installs(line: str) -> None:
    assert parse_install(shlex.split(line)) is None


def test_paths_urls_indexes_and_constraints_are_told_apart() -> None:
    command = parse_install(
        shlex.split(
            "pip install -e . ./dist/a-1.0-py3-none-any.whl git+https://127.0.0.1/x.git "
            "'lib @ https://127.0.0.1/lib.tar.gz' -c constraints.txt --extra-index-url "
            "http://127.0.0.1:2/simple -i http://127.0.0.1:1/simple name"
        )
    )
    assert command is not None
    assert command.requirements == ("name",)
    assert command.local == (".", "./dist/a-1.0-py3-none-any.whl")
    assert command.remote == ("git+https://127.0.0.1/x.git", "lib @ https://127.0.0.1/lib.tar.gz")
    assert command.constraint_files == ("constraints.txt",)
    assert command.index_url == "http://127.0.0.1:1/simple"
    assert command.extra_index_urls == ("http://127.0.0.1:2/simple",)


def test_option_values_are_never_read_as_names() -> None:
    command = parse_install(
        shlex.split(
            "pip install --target build --python-version 3.11 --only-binary :all: --platform "
            "manylinux2014_x86_64 --cache-dir /tmp/c --log log.txt real-one"
        )
    )
    assert command is not None
    assert command.requirements == ("real-one",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("flask@^2.0", "flask>=2.0,<3.0"), ("x@latest", "x"), ("y", "y"), ("z@1.2 || 1.3", "z")],
)
def test_poetry_requirements(text: str, expected: str) -> None:
    assert poetry_requirement(text) == expected


def _installs(line: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(c.installer, c.requirements) for c in find_installs(line).commands]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("cd app && pip install flask; echo done", [("pip install", ("flask",))]),
        ("pip install a || pip install b", [("pip install", ("a",)), ("pip install", ("b",))]),
        ("yes | pip install c 2>&1 | tee log", [("pip install", ("c",))]),
        ("sudo -H -u root pip3 install d", [("pip install", ("d",))]),
        (
            "FOO=1 env -u BAR timeout 60 nice -n 5 python -m pip install e >/dev/null 2>&1",
            [("pip install", ("e",))],
        ),
        ('bash -lc "source .venv/bin/activate && uv pip install f"', [("uv pip install", ("f",))]),
        ("(cd x; poetry add g)", [("poetry add", ("g",))]),
        ("echo $(pip install h)", [("pip install", ("h",))]),
        (
            "pip install 'i[extra]>=1,<2' \"j ; python_version >= '3.8'\"",
            [("pip install", ("i[extra]>=1,<2", "j ; python_version >= '3.8'"))],
        ),
        ("pip install k \\\n  l", [("pip install", ("k", "l"))]),
        ("pip install m\npip install n", [("pip install", ("m",)), ("pip install", ("n",))]),
        ('echo "pip install not-run"', []),
        ("grep pip install.log", []),
        ("git commit -m 'pip install x'", []),
        ("ls -la # pip install hidden-in-comment", []),
    ],
)
def test_shell_lines(line: str, expected: list[tuple[str, tuple[str, ...]]]) -> None:
    assert _installs(line) == expected


def test_xargs_and_unreadable_lines_are_not_vetted_silently() -> None:
    fed = find_installs("cat names.txt | xargs pip install").commands
    assert fed[0].unknown == ("arguments read from standard input (xargs)",)
    broken = find_installs('pip install "unclosed')
    assert broken.commands == ()
    assert broken.unreadable == ('pip install "unclosed',)
    assert find_installs('echo "unclosed').unreadable == ()


def test_cd_in_the_line_moves_where_files_are_read() -> None:
    [command] = find_installs("cd app && python -m pip install -r req.txt").commands
    assert command.directory == "app"
    [command] = find_installs("cd /srv/x; cd ../y && pip install z").commands
    assert command.directory == "/srv/y"
    [command] = find_installs("pip install z").commands
    assert command.directory == ""


def test_an_unreadable_inner_script_is_reported_beside_readable_installs() -> None:
    found = find_installs("""pip install flask && bash -c "pip install 'broken" """)
    assert [c.requirements for c in found.commands] == [("flask",)]
    assert found.unreadable == ("pip install 'broken",)
