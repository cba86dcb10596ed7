"""OpenAPI documents of our APIs. Each operation's request parts (JSON body, query, multipart
form and its files) are described from the marshmallow schemas the endpoint itself loads, so
the document cannot drift from what the code accepts, and a fuzzer generates from it.

apispec's MarshmallowPlugin does the field-by-field translation (lengths, ranges, choices,
patterns, required fields, nested schemas, `unknown=RAISE` as `additionalProperties: false`);
this module only says where each schema goes and fills in what every operation shares."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

SchemaLike = type[Schema] | Schema | Mapping[str, Any]  # a marshmallow schema, or JSON Schema
OPENAPI_VERSION = "3.0.3"
MAX_IDEMPOTENCY_KEY = 200  # shared.web.idempotency.MAX_KEY_LENGTH (that module imports ours)
# Money travels as a decimal string ("45.50"); marshmallow also takes a JSON number.
DECIMAL_PATTERN = r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"

ERROR_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "a stable code, e.g. validation_error"},
        "message": {"description": "what went wrong: text, or the invalid fields"},
    },
}
_ERROR_RESPONSE = {
    "description": "Refused: nothing was stored",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY},
    "description": "The same key and body get the first answer again and cause one effect; "
    "keys are scoped to the caller.",
}
_PATH_PARAMETER = re.compile(r"{(\w+)}")
_PARTS = "x-cnnect-request"  # where `operation` leaves the marshmallow parts for `document`


@dataclass(frozen=True)
class Files:
    """The file field of a multipart form: how many files it takes."""

    name: str
    max_items: int
    min_items: int = 0


@dataclass(frozen=True)
class RequestParts:
    """The marshmallow schemas an operation loads its request with."""

    body: SchemaLike | None = None
    query: SchemaLike | None = None
    form: SchemaLike | None = None
    files: Files | None = None


def operation(
    summary: str,
    caller: str = "customer or staff",
    *,
    body: SchemaLike | None = None,
    query: SchemaLike | None = None,
    form: SchemaLike | None = None,
    files: Files | None = None,
    idempotent: bool = False,
) -> dict[str, Any]:
    """An OpenAPI operation object: what it does, who may call it, how it answers, and the
    marshmallow schemas it loads its JSON `body`, `query`, multipart `form` and `files` with
    (rendered when `document` builds the document); `idempotent` writes take
    `Idempotency-Key`."""
    result: dict[str, Any] = {
        "summary": summary,
        "description": f"Caller: {caller}.",
        "responses": {"2XX": {"description": "OK"}, "4XX": _ERROR_RESPONSE},
    }
    if idempotent:
        result["parameters"] = [_IDEMPOTENCY_KEY]
    if any(part is not None for part in (body, query, form, files)):
        result[_PARTS] = RequestParts(body, query, form, files)
    return result


def write(summary: str, caller: str = "customer or staff", **parts: Any) -> dict[str, Any]:
    """A write's operation: `operation` that takes `Idempotency-Key`."""
    return operation(summary, caller, idempotent=True, **parts)


def document(
    title: str, paths: Mapping[str, Mapping[str, dict[str, Any]]], version: str = "1"
) -> dict[str, Any]:
    """The OpenAPI document of `paths` (path -> method -> operation), schemas rendered."""
    plugin = MarshmallowPlugin()
    spec = APISpec(title, version, OPENAPI_VERSION, plugins=[plugin])
    converter = _converter(plugin)
    converter.add_attribute_function(_decimal)
    converter.add_attribute_function(_mapping_size)
    converter.map_to_openapi_type(fields.Url, "string", "uri")  # the JSON Schema format name
    spec.components.schema("Error", ERROR_BODY)
    for path, operations in paths.items():
        spec.path(
            path=path,
            operations={method: _rendered(path, op, plugin) for method, op in operations.items()},
        )
    rendered: dict[str, Any] = spec.to_dict()
    return rendered


def _rendered(path: str, op: Mapping[str, Any], plugin: MarshmallowPlugin) -> dict[str, Any]:
    """`op` with its request parts in apispec's form and every path parameter declared."""
    result = {k: copy.deepcopy(v) for k, v in op.items() if k != _PARTS}
    parameters: list[dict[str, Any]] = list(result.get("parameters", []))
    declared = {p.get("name") for p in parameters if p.get("in") == "path"}
    parameters += [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAMETER.findall(path)
        if name not in declared
    ]
    parts: RequestParts | None = op.get(_PARTS)
    if parts is not None:
        if parts.query is not None:
            parameters.append({"in": "query", "schema": parts.query})  # apispec expands it
        content: dict[str, Any] = {}
        if parts.body is not None:
            content["application/json"] = {"schema": parts.body}
        if parts.form is not None or parts.files is not None:
            content["multipart/form-data"] = {"schema": _form(parts.form, parts.files, plugin)}
        if content:
            result["requestBody"] = {"required": parts.body is not None, "content": content}
    if parameters:
        result["parameters"] = parameters
    return result


def _form(form: SchemaLike | None, files: Files | None, plugin: MarshmallowPlugin) -> Any:
    """A multipart form: the (flat) form schema inline, with its file field added."""
    converter = _converter(plugin)
    schema: dict[str, Any] = (
        converter.schema2jsonschema(form)
        if form is not None
        else {"type": "object", "properties": {}}
    )
    if files is not None:
        schema["properties"][files.name] = {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "minItems": files.min_items,
            "maxItems": files.max_items,
        }
        if files.min_items:
            schema.setdefault("required", []).append(files.name)
    return schema


def _converter(plugin: MarshmallowPlugin) -> Any:
    """The plugin's field converter (untyped in apispec), set once the plugin joined a spec."""
    converter = plugin.converter
    assert converter is not None
    return converter


def _decimal(
    self: Any, field: fields.Field[Any], ret: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    """A `Decimal` field: with `as_string`, the decimal string it is on the wire; else a number
    whose bounds are JSON numbers (apispec leaves them as Decimal, which JSON cannot hold)."""
    if not isinstance(field, fields.Decimal):
        return {}
    if not field.as_string:
        return {k: _number(ret[k]) for k in ("minimum", "maximum") if k in ret}
    # A JSON schema range does not apply to strings: the bounds move to the description.
    low, high = ret.pop("minimum", None), ret.pop("maximum", None)
    for key in ("type", "exclusiveMinimum", "exclusiveMaximum"):
        ret.pop(key, None)
    bounds = f" from {low} to {high}" if low is not None or high is not None else ""
    return {
        "type": "string",
        "pattern": DECIMAL_PATTERN,
        "description": f"a decimal amount{bounds}, as a string",
    }


def _mapping_size(
    self: Any, field: fields.Field[Any], ret: dict[str, Any], **kwargs: Any
) -> dict[str, Any]:
    """A `Dict` field's Length is how many keys it has (apispec says maxLength, for strings)."""
    if not isinstance(field, fields.Dict):
        return {}
    sizes = {"minLength": "minProperties", "maxLength": "maxProperties"}
    return {sizes[k]: ret.pop(k) for k in list(ret) if k in sizes}


def _number(value: Any) -> int | float:
    """A bound as a JSON number."""
    number = Decimal(value)
    return int(number) if number == number.to_integral_value() else float(number)
