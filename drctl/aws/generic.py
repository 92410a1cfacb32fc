"""Any AWS API by name, for runbooks: `aws.call` with `service` as boto3 names it and `api` in
AWS's PascalCase (`DescribeContinuousBackups` -> `describe_continuous_backups`).

The operation is looked up in botocore's service model first, so an unknown service or API is
an InvalidInput naming it, never an AttributeError; responses are made JSON-safe (times as
ISO 8601, bytes as text) because they are journaled and selected from with JSONPath.
"""

from __future__ import annotations

import base64
from datetime import datetime
from functools import cache
from typing import Any

from drctl.aws.clients import ClientFactory
from drctl.aws.errors import aws_call
from drctl.core.clock import iso
from drctl.core.errors import InvalidInput


@cache
def _models() -> Any:
    """botocore's service models, loaded on first use (importing this module stays
    botocore-free: `drctl runbook --help` imports it)."""
    import botocore.session

    return botocore.session.get_session()


def operation_names(service: str) -> list[str]:
    """The PascalCase API names of `service`. InvalidInput for a service boto3 does not know."""
    from botocore.exceptions import DataNotFoundError, UnknownServiceError

    try:
        return list(_models().get_service_model(service).operation_names)
    except (UnknownServiceError, DataNotFoundError):
        raise InvalidInput(f"unknown AWS service {service!r} (name it as boto3 does, "
                           "e.g. dynamodb, ecs, route53)") from None


def check_operation(service: str, api: str) -> None:
    """InvalidInput unless `service` has the operation `api` (PascalCase)."""
    if api not in operation_names(service):
        raise InvalidInput(f"{service} has no API {api!r} (AWS's PascalCase name, e.g. "
                           f"{operation_names(service)[0]})")


class GenericApi:
    """`call(service, api, region, args)`: one AWS API call, errors translated at the boundary."""

    def __init__(self, factory: ClientFactory) -> None:
        self._factory = factory

    def call(self, service: str, api: str, region: str, args: dict[str, Any]) -> dict[str, Any]:
        check_operation(service, api)
        client = self._factory.client(service, region)
        from botocore import xform_name

        method = getattr(client, xform_name(api))
        with aws_call(f"{service} {api}", region):
            response = method(**args)
        response.pop("ResponseMetadata", None)
        return json_safe(response)


def json_safe(value: Any) -> Any:
    """The response as plain JSON values: datetimes as ISO 8601 UTC, bytes as text/base64."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii")
    if hasattr(value, "read"):  # a streaming body
        return json_safe(value.read())
    return value


# SSM Automation output types, from botocore's shape of the selected value.
_SSM_TYPES = {"string": "String", "integer": "Integer", "long": "Integer",
              "boolean": "Boolean", "timestamp": "String", "float": "String",
              "double": "String", "map": "StringMap", "structure": "StringMap"}


def output_type(service: str, api: str, selector: str) -> str:
    """The SSM output Type of `selector` over `api`'s response, walked through botocore's
    output shape (`$.Table.TableStatus` -> String); String when it cannot be told."""
    from jsonpath_ng import Child, Fields, Index, Root, Slice, parse  # only the export
    from jsonpath_ng.jsonpath import Wildcard

    shape = _models().get_service_model(service).operation_model(api).output_shape
    steps: list[Any] = []
    node = parse(selector)
    while isinstance(node, Child):
        steps.insert(0, node.right)
        node = node.left
    steps.insert(0, node)
    many = False  # through a [*]: SSM gets a list of what is selected
    for step in steps:
        if shape is None:
            return "String"
        if isinstance(step, Root):
            continue
        if isinstance(step, Fields) and shape.type_name == "structure" and \
                len(step.fields) == 1 and step.fields[0] in shape.members:
            shape = shape.members[step.fields[0]]
        elif isinstance(step, Index | Slice | Wildcard) and shape.type_name == "list":
            many, shape = many or not isinstance(step, Index), shape.member
        else:
            return "String"
    if shape is None:
        return "String"
    if many:
        return "MapList" if shape.type_name == "structure" else "StringList"
    if shape.type_name == "list":
        return "MapList" if shape.member.type_name == "structure" else "StringList"
    return _SSM_TYPES.get(shape.type_name, "String")
