"""botocore errors become drctl errors here, at the boundary (`raise … from exc`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from drctl.core.errors import AwsError, ResourceMissing

NOT_FOUND = {
    "NoSuchHostedZone", "ResourceNotFound", "ResourceNotFoundException", "DBInstanceNotFound",
    "DBInstanceNotFoundFault", "ClusterNotFoundException", "ServiceNotFoundException",
    "NotFound", "NotFoundException", "NoSuchChange", "ValidationError.NotFound",
}


@contextmanager
def aws_call(what: str, region: str | None = None) -> Iterator[None]:
    """Translate botocore failures of `what` into AwsError, or ResourceMissing for not-found."""
    # Imported here so that importing an adapter does not import botocore (a command's
    # --help imports adapters); a call has a client, so botocore is loaded by then.
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
    from botocore.parsers import ResponseParserError

    where = f" in {region}" if region else ""
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        message = exc.response.get("Error", {}).get("Message", str(exc))
        if code in NOT_FOUND:
            raise ResourceMissing(f"{what}{where}: {message}") from exc
        raise AwsError(f"{what}{where} failed: {code}: {message}", code=code) from exc
    except NoCredentialsError as exc:
        raise AwsError(
            f"{what}{where}: no AWS credentials",
            hint="configure credentials (or `eval \"$(drctl sandbox env)\"` for the sandbox)",
        ) from exc
    except BotoCoreError as exc:
        raise AwsError(f"{what}{where} failed: {exc}") from exc
    except KeyError as exc:  # a 200 answer without the fields AWS always sends
        raise AwsError(f"{what}{where} failed: the answer lacks {exc}: not an AWS response",
                       hint="check AWS_ENDPOINT_URL / the endpoint you point drctl at") from exc
    except ResponseParserError as exc:  # not a BotoCoreError: an endpoint that is not AWS
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise AwsError(f"{what}{where} failed: the answer was not an AWS response ({first})",
                       hint="check AWS_ENDPOINT_URL / the endpoint you point drctl at") from exc


def absent_as_none(what: str, region: str | None, call: Callable[[], Any],
                   absent: set[str]) -> Any:
    """`call()`, or None when AWS answers one of the `absent` codes ("there is none");
    any other failure is translated as `aws_call` does."""
    from botocore.exceptions import ClientError

    with aws_call(what, region):
        try:
            return call()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in absent:
                return None
            raise
