"""LLM backends behind one Protocol, spoken over Auditor's own HTTP layer (no SDKs).

Two wire formats cover the field: OpenAI-compatible chat completions (OpenAI, vLLM, Ollama,
llama.cpp servers: ``POST {base}/chat/completions``) and the Anthropic Messages API
(``POST {base}/v1/messages``). Which one, the base URL and the model come from
``[tool.auditor.llm]`` (``backend``, ``base-url``, ``model``, ``api-key-env``) or the
``AUDITOR_LLM_*`` variables; the key only ever from the environment. The key is kept out of
``repr``, logs, errors and reports (`scrub` removes it from any text a server sends back), and
the sandbox never sees the environment at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import requests

from auditor.errors import AuditorError, ConfigError

if TYPE_CHECKING:
    from auditor.http import AuditorSession

log = logging.getLogger(__name__)

ANTHROPIC_VERSION = "2023-06-01"
_DEFAULT_BASES = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}
_KEY_ENVS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


class LlmError(AuditorError):
    """The model could not be asked, or answered in a form that cannot be read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One turn of the conversation (``user`` or ``assistant``)."""

    role: str
    content: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """The model's answer and what it cost."""

    text: str
    input_tokens: int
    output_tokens: int
    model: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LlmSettings:
    """Which backend, where, which model; the key stays out of repr and every output."""

    backend: str
    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    timeout: float = 120.0

    def describe(self) -> dict[str, str]:
        """What a report may say about the model (never the key)."""
        return {
            "backend": self.backend,
            "base_url": self.base_url,
            "model": self.model,
            "api_key": "set" if self.api_key else "none",
        }

    def scrub(self, text: str) -> str:
        """Remove the key from text that came back from a server."""
        return text.replace(self.api_key, "***") if self.api_key else text


class Backend(Protocol):
    """An LLM that completes a conversation."""

    name: str
    settings: LlmSettings

    def complete(self, system: str, messages: Sequence[Message], *, max_tokens: int) -> Reply:
        """Return the model's reply to `messages` under `system`."""
        ...


def _post(
    session: AuditorSession,
    settings: LlmSettings,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
) -> dict[str, Any]:
    log.debug("asking %s model %s at %s", settings.backend, settings.model, url)
    try:
        response = session.post(url, json=body, headers=headers, timeout=settings.timeout)
    except requests.RequestException as exc:
        raise LlmError(
            f"{settings.backend} at {settings.base_url}: unreachable ({type(exc).__name__})"
        ) from None
    if response.status_code != 200:
        text = settings.scrub(response.text[:300])
        raise LlmError(
            f"{settings.backend} at {settings.base_url}: HTTP {response.status_code}: {text}"
        )
    try:
        data = response.json()
    except (ValueError, RecursionError):
        raise LlmError(f"{settings.backend}: the answer is not JSON") from None
    if not isinstance(data, dict):
        raise LlmError(f"{settings.backend}: the answer is not a JSON object")
    return data


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class _ChatBackend:
    """What both wire formats share: one POST through `_post`, the reply read as hostile text.

    A wire format names its path, its fixed headers, the header that carries the key, where the
    token counts stand in ``usage``, how the system prompt travels (`_conversation`) and where
    the answer's text stands (`_text`).
    """

    name: str
    path: str
    fixed_headers: tuple[tuple[str, str], ...] = ()
    key_header: str
    key_prefix: str = ""
    usage_keys: tuple[str, str]

    def __init__(self, settings: LlmSettings, session: AuditorSession) -> None:
        self.settings = settings
        self.session = session

    def _conversation(self, system: str, messages: Sequence[Message]) -> dict[str, Any]:
        raise NotImplementedError

    def _text(self, data: dict[str, Any]) -> str:
        raise NotImplementedError

    def complete(self, system: str, messages: Sequence[Message], *, max_tokens: int) -> Reply:
        """POST the conversation and read the answer's text and token counts."""
        body = {
            "model": self.settings.model,
            **self._conversation(system, messages),
            "max_tokens": max_tokens,
            "temperature": 0,
        }
        headers = {"Content-Type": "application/json", **dict(self.fixed_headers)}
        if self.settings.api_key:
            headers[self.key_header] = f"{self.key_prefix}{self.settings.api_key}"
        url = f"{self.settings.base_url.rstrip('/')}{self.path}"
        data = _post(self.session, self.settings, url, body, headers)
        text = self._text(data)
        usage = data.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        input_key, output_key = self.usage_keys
        return Reply(
            text=self.settings.scrub(text),
            input_tokens=_int(usage.get(input_key)),
            output_tokens=_int(usage.get(output_key)),
            model=str(data.get("model") or self.settings.model)[:100],
        )


def _turns(messages: Sequence[Message]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in messages]


class OpenAIChatBackend(_ChatBackend):
    """OpenAI-compatible chat completions (also vLLM, Ollama, llama.cpp servers).

    POST /chat/completions and read ``choices[0].message.content``.
    """

    name = "openai"
    path = "/chat/completions"
    key_header = "Authorization"
    key_prefix = "Bearer "
    usage_keys = ("prompt_tokens", "completion_tokens")

    def _conversation(self, system: str, messages: Sequence[Message]) -> dict[str, Any]:
        return {"messages": [{"role": "system", "content": system}, *_turns(messages)]}

    def _text(self, data: dict[str, Any]) -> str:
        try:
            text = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise LlmError("openai: no choices[0].message.content in the answer") from None
        if not isinstance(text, str):
            raise LlmError("openai: the message content is not text")
        return text


class AnthropicMessagesBackend(_ChatBackend):
    """The Anthropic Messages API: POST /v1/messages and join the ``text`` blocks of ``content``."""

    name = "anthropic"
    path = "/v1/messages"
    fixed_headers = (("anthropic-version", ANTHROPIC_VERSION),)
    key_header = "x-api-key"
    usage_keys = ("input_tokens", "output_tokens")

    def _conversation(self, system: str, messages: Sequence[Message]) -> dict[str, Any]:
        return {"system": system, "messages": _turns(messages)}

    def _text(self, data: dict[str, Any]) -> str:
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise LlmError("anthropic: no content list in the answer")
        return "".join(
            str(b.get("text", ""))
            for b in blocks
            if isinstance(b, dict) and b.get("type") == "text"
        )


BACKENDS: dict[str, Callable[[LlmSettings, AuditorSession], Backend]] = {
    "openai": OpenAIChatBackend,
    "anthropic": AnthropicMessagesBackend,
}


def llm_settings(
    table: Mapping[str, Any],
    env: Mapping[str, str],
    *,
    backend: str | None = None,
    model: str | None = None,
    base_url: str | None = None,
) -> LlmSettings | None:
    """Read the LLM settings (CLI values, then ``AUDITOR_LLM_*``, then the config table).

    Returns None when no model is configured: `auditor replace` then proposes the slicer's
    draft. Raises ConfigError for an unknown backend.
    """
    chosen = backend or env.get("AUDITOR_LLM_BACKEND") or table.get("backend") or "openai"
    chosen = str(chosen).lower()
    if chosen not in BACKENDS:
        raise ConfigError(f"llm.backend: unknown {chosen!r} (known: {', '.join(sorted(BACKENDS))})")
    name = model or env.get("AUDITOR_LLM_MODEL") or table.get("model")
    if not name:
        return None
    url = base_url or env.get("AUDITOR_LLM_BASE_URL") or table.get("base-url")
    key_env = str(table.get("api-key-env") or "")
    key = env.get("AUDITOR_LLM_API_KEY") or (env.get(key_env) if key_env else None)
    key = key or env.get(_KEY_ENVS[chosen]) or ""
    return LlmSettings(
        backend=chosen,
        base_url=str(url or _DEFAULT_BASES[chosen]).rstrip("/"),
        model=str(name),
        api_key=key,
        timeout=float(table.get("timeout", 120.0)),
    )


def make_backend(settings: LlmSettings, session: AuditorSession) -> Backend:
    """Build the backend `settings` names."""
    return BACKENDS[settings.backend](settings, session)


__all__ = [
    "BACKENDS",
    "AnthropicMessagesBackend",
    "Backend",
    "LlmError",
    "LlmSettings",
    "Message",
    "OpenAIChatBackend",
    "Reply",
    "llm_settings",
    "make_backend",
]
