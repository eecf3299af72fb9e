"""Read the license fields of one distribution from its metadata, whatever carried it.

Core metadata (``METADATA`` / ``PKG-INFO``, from the installed environment or a PEP 658 file)
and the index JSON API's ``info`` table give the same four fields: ``License-Expression``
(PEP 639), ``License``, the ``License ::`` classifiers and ``License-File``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from auditor.licenses.model import LicenseMetadata
from auditor.licenses.spdx import CLASSIFIER_PREFIX

if TYPE_CHECKING:
    from email.message import Message
    from importlib.metadata import Distribution

    from auditor.index.model import ProjectInfo

_MAX_FIELD = 100_000


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value[:_MAX_FIELD] if value else None


def from_message(message: Message | Any) -> LicenseMetadata:
    """Return the license fields of a parsed core-metadata message."""
    classifiers = tuple(
        c.strip()
        for c in (message.get_all("Classifier") or [])
        if isinstance(c, str) and c.strip().startswith(CLASSIFIER_PREFIX)
    )
    files = tuple(f.strip() for f in (message.get_all("License-File") or []) if isinstance(f, str))
    return LicenseMetadata(
        expression=_text(message.get("License-Expression")),
        license=_text(message.get("License")),
        classifiers=classifiers,
        license_files=files,
    )


def parse_metadata_text(text: str) -> LicenseMetadata:
    """Parse a ``METADATA`` / ``PKG-INFO`` file's text (headers only; the body is ignored)."""
    import email.parser
    import email.policy

    parser = email.parser.Parser(policy=email.policy.compat32)
    return from_message(parser.parsestr(text, headersonly=True))


_MAX_LICENSE_FILE = 200_000


def _headers(dist: Distribution) -> Message | None:
    """The core-metadata headers of an installed distribution, parsed without the body.

    The long description after the first blank line can be most of the file: cutting it off
    first makes reading a whole environment several times faster.
    """
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO")
    if text is None:
        return None
    head = text.replace("\r\n", "\n").split("\n\n", 1)[0]
    import email.parser
    import email.policy

    return email.parser.Parser(policy=email.policy.compat32).parsestr(head, headersonly=True)


def read_installed(dist: Distribution) -> tuple[str, str, LicenseMetadata] | None:
    """Return (name, version, license fields with the license files' texts) of a distribution.

    Nothing is imported. A license file is read from ``.dist-info/licenses/`` (PEP 639) or
    beside the metadata (older wheels); one that cannot be read leaves the texts empty. None
    when the distribution has no readable metadata or no name.
    """
    message = _headers(dist)
    if message is None or not message.get("Name"):
        return None
    meta = from_message(message)
    texts = []
    for name in meta.license_files[:10]:
        if ".." in name.replace("\\", "/").split("/"):
            break
        text = dist.read_text(f"licenses/{name}") or dist.read_text(name)
        if text is None or len(text) > _MAX_LICENSE_FILE:
            break
        texts.append(text)
    else:
        if texts:
            meta = replace(meta, license_texts=tuple(texts))
    return str(message["Name"]), str(message.get("Version") or ""), meta


def from_distribution(dist: Distribution) -> LicenseMetadata:
    """Return the license fields of an installed distribution (empty when unreadable)."""
    found = read_installed(dist)
    return found[2] if found is not None else LicenseMetadata()


def from_info(info: ProjectInfo) -> LicenseMetadata:
    """Return the license fields the index JSON API gave for a project or a version."""
    return LicenseMetadata(
        expression=_text(info.license_expression),
        license=_text(info.license),
        classifiers=tuple(c for c in info.classifiers if c.startswith(CLASSIFIER_PREFIX)),
    )


def from_json_info(info: Mapping[str, Any]) -> LicenseMetadata:
    """Return the license fields of a raw JSON API ``info`` table."""
    raw = info.get("classifiers")
    files = info.get("license_files")
    return LicenseMetadata(
        expression=_text(info.get("license_expression")),
        license=_text(info.get("license")),
        classifiers=tuple(c for c in raw if isinstance(c, str) and c.startswith(CLASSIFIER_PREFIX))
        if isinstance(raw, list)
        else (),
        license_files=tuple(f for f in files if isinstance(f, str))
        if isinstance(files, list)
        else (),
    )


__all__ = [
    "from_distribution",
    "from_info",
    "from_json_info",
    "from_message",
    "parse_metadata_text",
    "read_installed",
]
