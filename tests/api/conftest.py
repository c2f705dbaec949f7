"""Every response of every test in this package is checked against the error
contract: JSON, a contract code on each error, no stack trace, SQL or path."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import check_contract_body


@pytest.fixture(autouse=True)
def _contract_checked_responses(request: pytest.FixtureRequest) -> None:
    if "api" not in request.fixturenames:
        return
    api: Any = request.getfixturevalue("api")

    async def check(response: httpx.Response) -> None:
        await response.aread()
        if response.request.url.path == "/graphql":
            check_contract_body(response.content, response.headers.get("content-type", ""))

    hooks = api.client.event_hooks
    hooks["response"] = [*hooks.get("response", []), check]
    api.client.event_hooks = hooks
