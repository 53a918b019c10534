"""What a role may do, read from the synthesized policies (no AWS policy simulator offline):
an action is allowed on a resource if some Allow statement of a policy attached to the role
names a matching action (IAM wildcards) and a resource built from that resource's logical id."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any


def statements(resources: dict[str, dict[str, Any]], role_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for res in resources.values():
        if res["Type"] != "AWS::IAM::Policy":
            continue
        if {"Ref": role_id} not in res["Properties"].get("Roles", []):
            continue
        found.extend(res["Properties"]["PolicyDocument"]["Statement"])
    return found


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed(resources: dict[str, dict[str, Any]], role_id: str, action: str, resource_id: str) -> bool:
    for st in statements(resources, role_id):
        if st["Effect"] != "Allow":
            continue
        if not any(fnmatchcase(action.lower(), a.lower()) for a in _listed(st["Action"])):
            continue
        if any(r == "*" or resource_id in json.dumps(r) for r in _listed(st["Resource"])):
            return True
    return False


def actions(resources: dict[str, dict[str, Any]], role_id: str) -> set[str]:
    return {a for st in statements(resources, role_id) for a in _listed(st["Action"])}


def role_of(resources: dict[str, dict[str, Any]], prefix: str) -> str:
    roles = [k for k, v in resources.items() if v["Type"] == "AWS::IAM::Role" and k.startswith(prefix)]
    assert len(roles) == 1, (prefix, roles)
    return roles[0]
