"""The published JSON schemas (docs/schemas/) against a command's real `--format json` output:
valid under the schema (which lets later versions add fields), and no key the schema does not
document, so a new field cannot ship without its documentation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "schemas"


def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{name}.v1.json").read_text("utf-8"))
    return loaded


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        resolved: dict[str, Any] = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            resolved = resolved[part]
        node = {**resolved, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def undocumented(value: Any, node: dict[str, Any], root: dict[str, Any], at: str = "") -> list[str]:
    """Paths of object keys in `value` that `node` (a subschema of `root`) does not name."""
    node = _resolve(node, root)
    if isinstance(value, list) and "items" in node:
        return [k for i, v in enumerate(value) for k in undocumented(v, node["items"], root, at)]
    if not isinstance(value, dict):
        return []
    props: dict[str, Any] = dict(node.get("properties", {}))
    for part in node.get("allOf", []) + node.get("oneOf", []):
        props.update(_resolve(part, root).get("properties", {}))
    # A map (`additionalProperties` with a schema) documents every other key by that schema.
    others = node.get("additionalProperties")
    if isinstance(others, dict):
        props.update({key: others for key in value if key not in props})
    found = [f"{at}.{key}" for key in value if key not in props]
    for key, sub in props.items():
        if key in value:
            found += undocumented(value[key], sub, root, f"{at}.{key}")
    return found


def assert_matches(name: str, document: dict[str, Any]) -> None:
    published = schema(name)
    jsonschema.Draft202012Validator(
        published, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(document)
    missing = undocumented(document, published, published)
    assert not missing, f"fields the {name} schema does not document: {missing}"
