"""The slicer on small real packages: closure, re-exports, license notice, refusals."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest
from replace_setup import install
from replacekit import TINYCASE, make_distribution

from auditor.replace.license import judge_license
from auditor.replace.slicer import SliceError, slice_package
from auditor.replace.source import SourceNotFound, find_installed, find_source, unpack_wheel

ALLOWED = ("MIT", "BSD-3-Clause", "Apache-2.0")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_distribution(tmp_path / "site", "tinycase", TINYCASE)


def _defined(text: str) -> set[str]:
    tree = ast.parse(text)
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)} | {
        t.id
        for n in tree.body
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }


def _loaded(text: str, name: str) -> Callable[..., object]:
    """Run a slice on its own (it must not need the package) and return its function `name`."""
    namespace: dict[str, object] = {}
    exec(compile(text, "slice", "exec"), namespace)  # noqa: S102 - our own test slice
    function = namespace[name]
    assert callable(function)
    return function


def test_closure_follows_reexports_helpers_and_constants(site: Path) -> None:
    source = find_installed("tinycase", [str(site)])
    sliced = slice_package(source, ["tinycase.snake"])
    defined = _defined(sliced.text)
    assert {"snake", "_words", "_SPLIT", "SEPARATOR"} <= defined
    assert "camel" not in defined
    assert "never_used" not in defined
    assert "shout" not in defined
    assert "import re" in sliced.imports
    assert sliced.modules == ("tinycase._core",)
    assert sliced.symbols[0].kind == "function"
    assert sliced.symbols[0].params[0].annotation == "str"
    # The module is self-contained: it runs without the package.
    snake = _loaded(sliced.text, "snake")
    assert snake("HelloWorld") == "hello_world"


def test_alias_and_star_reexports(site: Path) -> None:
    source = find_installed("tinycase", [str(site)])
    sliced = slice_package(source, ["tinycase.camelize", "tinycase.shout"])
    assert "camelize = camel" in sliced.text
    assert {"camel", "shout", "SUFFIX"} <= _defined(sliced.text)
    assert sliced.used_lines < sliced.package_lines
    assert sliced.complexity >= 3


def test_license_notice_is_kept(site: Path) -> None:
    source = find_installed("tinycase", [str(site)])
    verdict = judge_license(source, ALLOWED)
    assert verdict.allows_copy
    sliced = slice_package(source, ["tinycase.snake"], notice=verdict.notice)
    assert "# Copyright (c) 2024 Ada Example" in sliced.text
    assert "licensed MIT" in sliced.text


@pytest.mark.parametrize(
    ("expression", "allowed", "why"),
    [
        ("GPL-3.0-only", False, "GPL-3.0-only is not on the copy-allowed list"),
        ("GPL-3.0-only OR MIT", True, "MIT allows copying"),
        ("MIT AND GPL-2.0-only", False, "is not on the copy-allowed list"),
        (None, False, "declares no license"),
    ],
)
def test_license_refuses_where_copying_is_not_allowed(
    tmp_path: Path, expression: str | None, allowed: bool, why: str
) -> None:
    site = make_distribution(tmp_path / "s", "tinycase", TINYCASE, license_expression=expression)
    verdict = judge_license(find_installed("tinycase", [str(site)]), ALLOWED)
    assert verdict.allows_copy is allowed
    assert why in verdict.reason


def test_classifier_license_is_read(tmp_path: Path) -> None:
    site = make_distribution(tmp_path / "s", "tinycase", TINYCASE, license_expression=None)
    meta = next(site.glob("*.dist-info")) / "METADATA"
    meta.write_text(
        meta.read_text().replace(
            "Author:", "Classifier: License :: OSI Approved :: BSD License\nAuthor:"
        )
    )
    verdict = judge_license(find_installed("tinycase", [str(site)]), ALLOWED)
    assert verdict.allows_copy
    assert "BSD-3-Clause" in verdict.reason


def test_module_namespace_uses_are_flattened(tmp_path: Path) -> None:
    files = {
        "nsdemo/__init__.py": "from . import helpers\nimport nsdemo.maths as m\n\n"
        "def run(x):\n    return helpers.twice(x) + m.ONE\n",
        "nsdemo/helpers.py": "def twice(x):\n    return 2 * x\n",
        "nsdemo/maths.py": "ONE = 1\n",
    }
    sliced = slice_package(install(tmp_path / "s", "nsdemo", files), ["nsdemo.run"])
    assert "return twice(x) + ONE" in sliced.text
    assert {"run", "twice", "ONE"} <= _defined(sliced.text)
    run = _loaded(sliced.text, "run")
    assert run(4) == 9


def test_module_used_as_object_is_refused(tmp_path: Path) -> None:
    files = {
        "nsdemo/__init__.py": "from . import helpers\n\n"
        "def run(x):\n    return getattr(helpers, 'twice')(x)\n",
        "nsdemo/helpers.py": "def twice(x):\n    return 2 * x\n",
    }
    with pytest.raises(SliceError, match=r"needs the module helpers as an object"):
        slice_package(install(tmp_path / "s", "nsdemo", files), ["nsdemo.run"])


def test_name_collision_across_modules_is_refused(tmp_path: Path) -> None:
    files = {
        "clash/__init__.py": "from .a import f\nfrom .b import g\n",
        "clash/a.py": "def h():\n    return 1\n\ndef f():\n    return h()\n",
        "clash/b.py": "def h():\n    return 2\n\ndef g():\n    return h()\n",
    }
    with pytest.raises(SliceError, match="h is defined in both"):
        slice_package(install(tmp_path / "s", "clash", files), ["clash.f", "clash.g"])


def test_compiled_package_is_refused(tmp_path: Path) -> None:
    files = {"fastthing/__init__.py": "x = 1\n", "fastthing/_speed.so": ""}
    with pytest.raises(SliceError, match="ships compiled code"):
        slice_package(install(tmp_path / "s", "fastthing", files), ["fastthing.x"])


def test_unknown_symbol_and_missing_distribution(site: Path) -> None:
    source = find_installed("tinycase", [str(site)])
    with pytest.raises(SliceError, match="not a function, class or value"):
        slice_package(source, ["elsewhere.thing"])
    with pytest.raises(SourceNotFound, match="not installed"):
        find_installed("no-such-dist", [str(site)])


def test_slices_from_a_wheel_in_the_cache(tmp_path: Path, site: Path) -> None:
    import zipfile

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    with zipfile.ZipFile(wheels / "tinycase-1.0-py3-none-any.whl", "w") as archive:
        for path in site.rglob("*"):
            if path.is_file():
                archive.write(path, path.relative_to(site).as_posix())
    source = find_source(
        "tinycase", paths=[str(tmp_path / "empty")], wheels=wheels, unpack_to=tmp_path / "unpacked"
    )
    assert source.origin == "wheel:tinycase-1.0-py3-none-any.whl"
    assert "snake" in _defined(slice_package(source, ["tinycase.snake"]).text)


def test_wheel_with_unsafe_member_is_refused(tmp_path: Path) -> None:
    import zipfile

    wheel = tmp_path / "evil-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("../escape.py", "x = 1\n")
    with pytest.raises(SourceNotFound, match="unsafe member"):
        unpack_wheel(wheel, tmp_path / "out")
    assert not (tmp_path / "escape.py").exists()


@pytest.mark.parametrize(
    ("package", "symbols", "defines"),
    [
        (
            "inflection",
            ["inflection.underscore", "inflection.camelize"],
            {"underscore", "camelize"},
        ),
        ("toolz", ["toolz.itertoolz.partition_all"], {"partition_all", "no_pad"}),
        ("six", ["six.ensure_str"], {"ensure_str"}),
    ],
)
def test_real_installed_packages(package: str, symbols: list[str], defines: set[str]) -> None:
    try:
        source = find_installed(package)
    except SourceNotFound:
        pytest.skip(f"{package} is not installed")
    sliced = slice_package(source, symbols)
    compile(sliced.text, package, "exec")
    assert defines <= _defined(sliced.text)
    assert sliced.used_lines < sliced.package_lines / 4


def test_third_party_imports_of_the_used_part_are_named(tmp_path: Path) -> None:
    files = {
        "uses_attr/__init__.py": "import re\nimport attr\n\n\n"
        "def f(x):\n    return attr.s(re.escape(x))\n"
    }
    sliced = slice_package(install(tmp_path / "s", "uses-attr", files), ["uses_attr.f"])
    assert sliced.third_party == ("attr",)


def test_local_imports_are_inlined(tmp_path: Path) -> None:
    files = {
        "lazy/__init__.py": "def run(x):\n    from .impl import twice as double, ONE\n"
        "    return double(x) + ONE\n",
        "lazy/impl.py": "ONE = 1\n\n\ndef twice(x):\n    return 2 * x\n",
    }
    sliced = slice_package(install(tmp_path / "s", "lazy", files), ["lazy.run"])
    assert "    double = twice\n" in sliced.text
    run = _loaded(sliced.text, "run")
    assert run(3) == 7
