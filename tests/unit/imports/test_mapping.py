"""Module -> distribution mapping: sources in order, namespaces, the curated map's accuracy."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
import yaml
from conftest import shared_data

from auditor.config import rules_dir
from auditor.imports.mapping import (
    DistributionMapper,
    environment_distributions,
    load_import_map,
    name_variants,
)
from auditor.model import normalize_name


def _mapper(
    known: tuple[str, ...] = (),
    env: Mapping[str, tuple[str, ...]] | None = None,
    *,
    project_env: bool = False,
) -> DistributionMapper:
    return DistributionMapper(
        known=known,
        environment=(lambda: env) if env is not None else None,
        environment_is_project=project_env,
    )


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("yaml", ("pyyaml", "ruamel-yaml")),
        ("cv2", ("opencv-python", "opencv-python-headless", "opencv-contrib-python",
                 "opencv-contrib-python-headless")),
        ("sklearn", ("scikit-learn",)),
        ("PIL", ("pillow", "pillow-simd")),
        ("bs4", ("beautifulsoup4",)),
        ("jwt", ("pyjwt",)),
        ("dateutil", ("python-dateutil",)),
        ("dotenv", ("python-dotenv",)),
        ("google.protobuf", ("protobuf",)),
        ("attr", ("attrs",)),
        ("Crypto", ("pycryptodome", "pycrypto")),
        ("magic", ("python-magic",)),
        ("serial", ("pyserial",)),
        ("usb", ("pyusb",)),
        ("zmq", ("pyzmq",)),
        ("OpenSSL", ("pyopenssl",)),
        # met on real repositories (real-repo review)
        ("opentelemetry.trace", ("opentelemetry-api",)),
        ("opentelemetry.sdk.trace.export", ("opentelemetry-sdk",)),
        ("grpc_health.v1.health_pb2", ("grpcio-health-checking",)),
        ("vcr", ("vcrpy",)),
        ("fastapi_cache", ("fastapi-cache2",)),
        ("upath", ("universal-pathlib",)),
        ("opensearchpy", ("opensearch-py",)),
        ("pydispatch", ("pydispatcher", "pypydispatcher")),
        ("backports.zoneinfo", ("backports-zoneinfo",)),
    ],
)  # fmt: skip
def test_curated_map_when_nothing_is_declared(module: str, expected: tuple[str, ...]) -> None:
    result = _mapper().resolve(module)
    assert result.distributions == expected
    assert result.source == "import-map"


def test_declared_name_wins_and_is_attributed_to_the_source_that_knew() -> None:
    result = _mapper(known=("opencv-python-headless",)).resolve("cv2")
    assert result.distributions == ("opencv-python-headless",)
    assert result.source == "import-map"
    named = _mapper(known=("flask-babel",)).resolve("flask_babel")
    assert (named.distributions, named.source) == (("flask-babel",), "name-match")


@pytest.mark.parametrize(
    ("module", "declared"),
    [
        ("dateutil", "python-dateutil"),
        ("ldap3", "python-ldap3"),
        ("magic", "magic-python"),
        ("serial", "pyserial"),
        ("ruamel.yaml", "ruamel-yaml"),
    ],
)
def test_name_heuristics_match_declared_names(module: str, declared: str) -> None:
    assert declared in _mapper(known=(declared,)).resolve(module).distributions


def test_namespace_packages_resolve_by_the_deepest_declared_prefix() -> None:
    mapper = _mapper(known=("google-cloud-storage", "protobuf"))
    storage = mapper.resolve("google.cloud", ["google.cloud.storage"])
    assert storage.distributions == ("google-cloud-storage",)
    assert storage.matched == "google.cloud.storage"
    assert mapper.resolve("google.protobuf").distributions == ("protobuf",)
    assert mapper.resolve("google.cloud.storage").distributions == ("google-cloud-storage",)


def test_deeper_prefix_does_not_invent_an_undeclared_dependency() -> None:
    result = _mapper(known=("flask",)).resolve("flask", ["flask.json"])
    assert result.distributions == ("flask",)


def test_heuristic_fallback_is_the_normalised_module_name() -> None:
    result = _mapper().resolve("Some_Thing.sub")
    assert (result.distributions, result.source, result.matched) == (
        ("some-thing",),
        "heuristic",
        "Some_Thing",
    )


def test_project_environment_decides_outright() -> None:
    env = {"weird": ("totally-other-dist",)}
    result = _mapper(env=env, project_env=True).resolve("weird.sub")
    assert (result.distributions, result.source) == (("totally-other-dist",), "environment")


def test_foreign_environment_lists_declared_names_and_names_providers() -> None:
    provides = {"declared-one": (("weird",), "environment")}
    mapper = DistributionMapper(known=("declared-one",), provides=provides)
    hint = mapper.resolve("weird")
    assert (hint.distributions, hint.source) == (("declared-one",), "environment")
    # an undeclared import: a distribution installed here is known to provide it
    env = {"argon2": ("argon2-cffi",), "shared": ("one", "two")}
    known = _mapper(env=env).resolve("argon2")
    assert (known.distributions, known.source) == (("argon2-cffi",), "environment")
    # a top-level several distributions share (a namespace) says nothing precise
    assert _mapper(env=env).resolve("shared").source == "heuristic"


def test_environment_table_comes_from_installed_metadata() -> None:
    table = environment_distributions()
    assert "pyyaml" in table["yaml"]  # PyYAML is one of Auditor's own dependencies


def test_extra_map_from_policy_overrides() -> None:
    mapper = DistributionMapper(extra_map={"yaml": "my-yaml", "corp": ["corp-a", "corp-b"]})
    assert mapper.resolve("yaml").distributions == ("my-yaml",)
    assert mapper.resolve("corp").distributions == ("corp-a", "corp-b")


def test_name_variants() -> None:
    assert name_variants("dateutil") == (
        "dateutil", "python-dateutil", "dateutil-python", "pydateutil", "dateutil-py",
    )  # fmt: skip
    assert "serial" in name_variants("pyserial")


def test_import_map_file_is_well_formed() -> None:
    data = yaml.safe_load((rules_dir() / "import-map.yaml").read_text(encoding="utf-8"))
    assert data["schema"] == 1
    assert len(data["map"]) >= 40
    for key, value in data["map"].items():
        assert all(part.isidentifier() for part in key.split(".")), key
        names = value if isinstance(value, list) else [value]
        assert names, key
        assert all(isinstance(n, str) for n in names), key
        # identity entries add nothing: the heuristic already finds them (except for dotted
        # namespace paths, where the heuristic falls back to the bare namespace)
        assert names != [key] or "." in key or key in {"psycopg2", "psycopg", "tensorflow"}, key


def test_import_map_agrees_with_pipreqs_where_they_overlap() -> None:
    """Every curated entry that pipreqs also maps names one of pipreqs' distributions."""
    path = shared_data("pypi", "import-to-dist-mapping.txt")
    pipreqs: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        module, _, dist = line.partition(":")
        if dist:
            pipreqs.setdefault(module, set()).add(normalize_name(dist))
    ours = load_import_map()
    overlap = [m for m in ours if m in pipreqs]
    assert len(overlap) >= 20
    disagree = {m for m in overlap if not set(ours[m]) & pipreqs[m]}
    # Deliberate: pipreqs names long-dead forks here; the curated map names the maintained
    # distribution people install today (oauth2_provider: a vendor's fork of
    # django-oauth-toolkit).
    assert disagree == {"mysql", "ruamel", "snappy", "socks", "oauth2_provider"}


def test_namespace_symbol_picks_the_precise_distribution() -> None:
    # ``from google.cloud import storage``: the namespace alone names no distribution.
    result = _mapper().resolve("google.cloud", ["google.cloud.storage"])
    assert result.distributions == ("google-cloud-storage",)


def test_importable_looks_without_importing() -> None:
    from auditor.imports.mapping import importable

    assert importable("json")
    assert not importable("zz_surely_not_installed_module")
    assert not importable("a/b")
    assert not importable("")


def test_the_environment_table_is_not_read_for_a_module_not_installed() -> None:
    read: list[bool] = []

    def environment() -> dict[str, tuple[str, ...]]:
        read.append(True)
        return {"zzmod": ("zz-dist",), "yaml": ("pyyaml",)}

    mapper = DistributionMapper(environment=environment, installed=lambda top: top == "yaml")
    assert mapper.resolve("zzmod").source == "heuristic"
    assert read == []
    assert mapper.resolve("yaml").distributions == ("pyyaml",)
    assert read == [True]
