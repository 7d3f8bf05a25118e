"""The OS account DAG deploys log in as: a user name and the SSH public keys allowed to log in, checked before use."""

from __future__ import annotations

import base64
import binascii
import re

_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
# Key types OpenSSH accepts in authorized_keys without options; the base64 body holds the type name again.
_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
_COMMENT = re.compile(r"[\x20-\x7e]*")


def key_problem(key: object) -> str | None:
    """Why `key` is not one authorized_keys line of a public key without options, or None."""
    if not isinstance(key, str):
        return f"{key!r} is not a string"
    parts = key.split(" ", 2)
    if len(parts) < 2 or parts[0] not in _KEY_TYPES:
        return f"{key[:40]!r} does not start with a key type ({', '.join(_KEY_TYPES[:3])}, ...) and its base64 body"
    if len(parts) == 3 and not _COMMENT.fullmatch(parts[2]):
        return f"{key[:40]!r} has a line break or a control character in its comment"
    try:
        body = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return f"{key[:40]!r} has a body that is not base64"
    if body[4 : 4 + len(parts[0])] != parts[0].encode():
        return f"{key[:40]!r} has a body that is not a {parts[0]} key"
    return None


def problems(user: object, keys: object, reserved: list[str]) -> list[str]:
    """Everything wrong with the deploy account (`user`, its authorized `keys`); an empty list means usable.

    No keys means no account: the deploy then logs in as the inventory's SSH user.
    """
    found: list[str] = []
    if not isinstance(keys, list):
        return [f"airflow_deploy_authorized_keys must be a list of SSH public keys, not {type(keys).__name__}"]
    if not keys:
        return found
    if not isinstance(user, str) or not _USER.fullmatch(user):
        found.append(f"airflow_deploy_user {user!r} must be a user name (lowercase letters, digits, _ and -)")
    elif user in reserved:
        found.append(f"airflow_deploy_user {user!r} must be an account of its own, not one of {', '.join(reserved)}")
    found.extend(f"airflow_deploy_authorized_keys: {p}" for p in map(key_problem, keys) if p)
    return found
