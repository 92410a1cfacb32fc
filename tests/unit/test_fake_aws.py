"""The fake `Aws` (drctl/aws/fake.py) keeps to the real adapters' interface: mypy checks each
override's types; this checks the same at run time, and that an unmodelled call is refused."""

from __future__ import annotations

import inspect

import pytest

from drctl.aws import fake, fake_tables
from drctl.aws.estate import Aws
from drctl.aws.fake import FakeAws, NotFaked

FAKES = (fake.__name__, fake_tables.__name__)


def fake_adapters() -> list[type]:
    """Every fake adapter: a class of the fake modules whose base is a real adapter."""
    found = [cls for module in (fake, fake_tables)
             for _, cls in inspect.getmembers(module, inspect.isclass)
             if cls.__module__ == module.__name__ and cls is not FakeAws]
    return [cls for cls in found if cls.__mro__[1].__module__.startswith("drctl.aws.")
            and cls.__mro__[1].__module__ not in FAKES]


@pytest.mark.parametrize("cls", fake_adapters(), ids=lambda c: c.__name__)
def test_every_faked_method_has_the_real_adapters_signature(cls: type) -> None:
    real = cls.__mro__[1]
    for name, method in vars(cls).items():
        if name.startswith("_") or not callable(method):
            continue
        assert hasattr(real, name), f"{cls.__name__}.{name} fakes nothing the real one has"
        assert inspect.signature(method) == inspect.signature(getattr(real, name)), name


def test_every_adapter_the_fake_aws_hands_out_is_checked_here() -> None:
    assert len(fake_adapters()) == 9


def test_fake_aws_is_an_aws_and_hands_out_fake_adapters() -> None:
    aws = FakeAws()
    assert isinstance(aws, Aws)
    assert type(aws.route53()).__name__ == "FakeRoute53"
    assert aws.rds("us-west-2").region == "us-west-2"


def test_a_call_the_fake_does_not_model_is_refused_by_name() -> None:
    with pytest.raises(NotFaked, match=r"FakeAws does not fake rds\.modify_db_instance"):
        FakeAws().rds("us-east-1").rename("a", "b")
    with pytest.raises(NotFaked):
        FakeAws().api()
