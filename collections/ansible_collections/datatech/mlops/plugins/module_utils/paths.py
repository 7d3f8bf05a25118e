"""Path variables of the roles, checked before anything changes: a role that chowns or empties a directory must
never be pointed at / or at a system directory by a typo."""

from __future__ import annotations

# Directories the roles must never own, empty or write below as if they were theirs.
SYSTEM_DIRS = frozenset(
    [
        "/",
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/home",
        "/lib",
        "/lib32",
        "/lib64",
        "/media",
        "/mnt",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/tmp",
        "/usr",
        "/usr/bin",
        "/usr/lib",
        "/usr/local",
        "/usr/sbin",
        "/usr/share",
        "/var",
        "/var/lib",
        "/var/log",
        "/var/tmp",
    ]
)


def path_problem(name: str, value: object) -> str:
    """Why value cannot be the path variable name, or an empty string."""
    if not isinstance(value, str) or not value:
        return f"{name} must be an absolute path, not {value!r}"
    if any(char in value for char in "\n\r\0"):
        return f"{name} {value!r} holds a line break or NUL"
    if not value.startswith("/"):
        return f"{name} {value!r} must be an absolute path (it starts with /)"
    parts = [part for part in value.split("/") if part]
    if any(part in (".", "..") for part in parts):
        return f"{name} {value!r} must not have . or .. parts"
    normal = "/" + "/".join(parts)
    if normal in SYSTEM_DIRS:
        return f"{name} {value!r} is a system directory: give the role a directory of its own (e.g. {normal}/NAME)"
    return ""


def path_problems(paths: dict) -> list:
    """One line per path variable (name to value) that is not an absolute path of the role's own."""
    return [problem for problem in (path_problem(name, value) for name, value in paths.items()) if problem]


def certificate_problems(names: object, valid_days: object, renew_days: object) -> list:
    """What keeps a host certificate from being made: names it cannot carry, a validity it cannot have."""
    found = []
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(n, str) and n and n.split() == [n] and "," not in n for n in names)
    ):
        found.append("platform_ca_cert_names must list DNS names or addresses (no spaces, commas or line breaks)")
    try:
        valid, renew = int(valid_days), int(renew_days)
    except (TypeError, ValueError):
        valid, renew = 0, -1
    if not valid > renew >= 0:
        found.append(
            "platform_ca_cert_valid_days must be more than platform_ca_cert_renew_days, both whole days, 0 or more"
        )
    return found
