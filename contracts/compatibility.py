"""Is a new JSON Schema of a released message still compatible with the old one?

Which changes break depends on who reads the message:
- what the service consumes (commands and their properties): every message the old schema
  accepted must still be accepted, so producers written against it keep working. A field
  removed (or renamed: unknown fields are refused), a type narrowed, an optional field
  made required, a new required field, an enum value removed or a tighter constraint
  breaks them.
- what the service produces (events and their properties): every message the new schema
  allows must still fit the old one, so consumers written against it keep working. A
  field removed or renamed, a required field made optional, a type widened, an enum
  value added or removed, or a looser constraint breaks them.
Adding an optional field breaks neither. Each break is named with the field's path.
"""

from typing import Any

Schema = dict[str, Any]

_TYPES = ("string", "number", "integer", "boolean", "null", "object", "array")
# Constraints, and which direction tightens them.
_AT_MOST = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")
_AT_LEAST = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")


def breaking_changes(old: Schema, new: Schema, *, consumed: bool) -> list[str]:
    """What in ``new`` breaks the users of ``old`` (empty: compatible)."""
    problems: list[str] = []
    _compare(_Node(old, old), _Node(new, new), "", consumed, problems)
    return problems


class _Node:
    """A schema node with its document, so that ``$ref``s can be followed."""

    def __init__(self, schema: Schema, root: Schema) -> None:
        self.root = root
        self.schema = self._resolve(schema)

    def _resolve(self, schema: Schema) -> Schema:
        seen = 0
        while "$ref" in schema and seen < 32:
            ref = schema["$ref"]
            if not ref.startswith("#/"):
                msg = f"only local $refs are supported, got {ref!r}"
                raise ValueError(msg)
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target[part]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            seen += 1
        return schema

    def child(self, schema: Schema) -> "_Node":
        return _Node(schema, self.root)

    def members(self) -> list["_Node"]:
        """The alternatives of a union, or the node itself."""
        for key in ("anyOf", "oneOf"):
            if key in self.schema:
                return [m for part in self.schema[key] for m in self.child(part).members()]
        return [self]

    def types(self) -> set[str]:
        kinds: set[str] = set()
        for member in self.members():
            schema = member.schema
            declared = schema.get("type")
            if isinstance(declared, str):
                kinds.add(declared)
            elif isinstance(declared, list):
                kinds.update(declared)
            elif "const" in schema or "enum" in schema:
                kinds.update(_type_of(v) for v in schema.get("enum", [schema.get("const")]))
            else:
                kinds.update(_TYPES)  # no type: anything
        if "number" in kinds:
            kinds.add("integer")  # an integer is a number
        return kinds

    def enum(self) -> set[Any] | None:
        """The values allowed, when the node allows only listed values."""
        values: set[Any] = set()
        for member in self.members():
            schema = member.schema
            if "enum" in schema:
                values.update(_hashable(v) for v in schema["enum"])
            elif "const" in schema:
                values.add(_hashable(schema["const"]))
            else:
                return None
        return values

    def member_of_type(self, kind: str) -> "_Node | None":
        for member in self.members():
            if kind in member.types():
                return member
        return None


def _compare(old: _Node, new: _Node, path: str, consumed: bool, problems: list[str]) -> None:
    where = path or "(the message)"
    old_types, new_types = old.types(), new.types()
    if consumed and not old_types <= new_types:
        problems.append(
            f"{where}: type narrowed, {_show(old_types - new_types)} no longer accepted "
            f"(was {_show(old_types)}, now {_show(new_types)})"
        )
    if not consumed and not new_types <= old_types:
        problems.append(
            f"{where}: type widened, consumers may now get {_show(new_types - old_types)} "
            f"(was {_show(old_types)}, now {_show(new_types)})"
        )
    _compare_enums(old, new, where, consumed, problems)
    for kind in sorted(old_types & new_types):
        old_member, new_member = old.member_of_type(kind), new.member_of_type(kind)
        if old_member is None or new_member is None:
            continue
        _compare_constraints(old_member, new_member, where, consumed, problems)
        if kind == "object":
            _compare_objects(old_member, new_member, path, consumed, problems)
        elif kind == "array":
            _compare_items(old_member, new_member, path, consumed, problems)


def _compare_enums(old: _Node, new: _Node, where: str, consumed: bool, problems: list[str]) -> None:
    old_values, new_values = old.enum(), new.enum()
    if old_values is None and new_values is None:
        return
    if old_values is not None and new_values is not None:
        if removed := old_values - new_values:
            problems.append(f"{where}: enum value(s) removed: {_show(removed)}")
        if not consumed and (added := new_values - old_values):
            problems.append(f"{where}: enum value(s) added, unknown to consumers: {_show(added)}")
    elif consumed and new_values is not None:
        problems.append(f"{where}: now restricted to the values {_show(new_values)}")
    elif not consumed and old_values is not None:
        problems.append(f"{where}: no longer restricted to the values {_show(old_values)}")


def _compare_objects(
    old: _Node, new: _Node, path: str, consumed: bool, problems: list[str]
) -> None:
    old_fields: dict[str, Any] = old.schema.get("properties", {})
    new_fields: dict[str, Any] = new.schema.get("properties", {})
    old_required = set(old.schema.get("required", []))
    new_required = set(new.schema.get("required", []))
    for name, old_field in old_fields.items():
        field = f"{path}.{name}" if path else name
        if name not in new_fields:
            renamed = sorted(set(new_fields) - set(old_fields))
            hint = f" (renamed to {', '.join(renamed)}?)" if renamed else ""
            problems.append(f"{field}: field removed{hint}")
            continue
        if consumed and name in new_required and name not in old_required:
            problems.append(f"{field}: optional field made required")
        if not consumed and name in old_required and name not in new_required:
            problems.append(f"{field}: required field made optional (consumers rely on it)")
        _compare(old.child(old_field), new.child(new_fields[name]), field, consumed, problems)
    for name in sorted(new_required - set(old_fields)):
        field = f"{path}.{name}" if path else name
        if consumed:
            problems.append(f"{field}: new required field (old producers do not send it)")
    if consumed and old.schema.get("additionalProperties", True) is not False:
        if new.schema.get("additionalProperties", True) is False:
            problems.append(f"{path or '(the message)'}: unknown fields are now refused")


def _compare_items(old: _Node, new: _Node, path: str, consumed: bool, problems: list[str]) -> None:
    old_items, new_items = old.schema.get("items"), new.schema.get("items")
    if isinstance(old_items, dict) and isinstance(new_items, dict):
        _compare(old.child(old_items), new.child(new_items), f"{path}[]", consumed, problems)


def _compare_constraints(
    old: _Node, new: _Node, where: str, consumed: bool, problems: list[str]
) -> None:
    for key in (*_AT_MOST, *_AT_LEAST):
        before, after = old.schema.get(key), new.schema.get(key)
        if before == after:
            continue
        at_most = key in _AT_MOST
        if after is None or before is None:
            tighter = after is not None  # a limit added tightens; one removed loosens
        else:
            tighter = after < before if at_most else after > before
        if tighter == consumed:
            change = "tightened" if tighter else "loosened"
            problems.append(f"{where}: {key} {change} ({before} -> {after})")
    before, after = old.schema.get("pattern"), new.schema.get("pattern")
    if before != after:
        # A pattern added or changed may refuse what passed; one removed or changed may
        # let through what did not.
        if (consumed and after is not None) or (not consumed and before is not None):
            problems.append(f"{where}: pattern changed ({before!r} -> {after!r})")


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, dict | list) else value


def _show(values: set[Any]) -> str:
    return ", ".join(sorted(str(v) for v in values)) or "nothing"
