"""The sandbox's fault front (drctl/sandbox/fault_injector.py) on requests built in memory: a
service made unavailable in one region answers every call there with AWS's 503, and no call of
another region or service; a bad SERVICE@REGION is refused with the way to write it."""

from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from drctl.core.errors import InvalidInput
from drctl.sandbox.fault_injector import FaultInjector
from drctl.sandbox.faults import FaultSettings


def signed(service: str, region: str) -> Request:
    auth = (f"AWS4-HMAC-SHA256 Credential=testing/20261201/{region}/{service}/aws4_request, "
            "SignedHeaders=host, Signature=0")
    return Request(EnvironBuilder(method="POST", path="/", data="Action=DescribeAlarms",
                                  headers={"Authorization": auth}).get_environ())


def test_one_service_of_one_region_is_down_and_nothing_else() -> None:
    front = FaultInjector(seed=1)
    front.configure(FaultSettings.from_dict({"unavailable": ["monitoring@us-east-1"]}))
    refused = front(signed("monitoring", "us-east-1"))
    assert refused is not None and refused.status_code == 503
    assert b"<Code>ServiceUnavailable</Code>" in refused.get_data()
    assert front(signed("monitoring", "us-west-2")) is None
    assert front(signed("route53", "us-east-1")) is None
    assert front.document()["injected"]["unavailable"] == 1
    assert front.document()["unavailable"] == ("monitoring@us-east-1",)


@pytest.mark.parametrize("spec", ["monitoring", "@us-east-1", "monitoring@", "a b@c"])
def test_a_bad_service_at_region_is_refused_with_the_form_to_use(spec: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        FaultSettings.from_dict({"unavailable": [spec]})
    assert "SERVICE@REGION, e.g. monitoring@us-east-1" in refused.value.message
