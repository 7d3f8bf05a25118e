"""The errors mlopsctl reports as one line (`mlopsctl: error: ...`, exit 2): each says what is wrong and what to do."""

from __future__ import annotations


class ConfigError(ValueError):
    """A setting or an argument is wrong; the message names it and says what is accepted."""


class CommandError(RuntimeError):
    """A command failed; the message carries its tail and what to do next."""
