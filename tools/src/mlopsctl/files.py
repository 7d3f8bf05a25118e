"""The files a user hands mlopsctl (settings, recorded outputs): read whole, or refused in one line saying why."""

from __future__ import annotations

from pathlib import Path

from mlopsctl.errors import ConfigError

# Far above any settings file or terraform output; /dev/zero or a wrong file is refused before it fills memory.
MAX_BYTES = 4 * 1024 * 1024


def read_text_file(path: Path, what: str) -> str:
    """The UTF-8 text of a regular file of at most MAX_BYTES; `what` names it in the error (e.g. "--config")."""
    if not path.exists():
        raise ConfigError(f"{what} {path} does not exist; give the path of an existing file")
    if not path.is_file():
        raise ConfigError(f"{what} {path} is not a regular file (a directory or a device); give a file")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{what} {path} cannot be read: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(f"{what} {path} is larger than {MAX_BYTES // (1024 * 1024)} MiB; is it the right file?")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
