"""The GraphQL HTTP endpoint: JSON POSTs only, bounded bodies, bearer auth,
every error with a contract code."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
from graphql import GraphQLError, OperationType
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from auth.tokens import InvalidToken, TokenService, bearer
from models.errors import ErrorCode
from resolvers.context import Ctx, Services
from schema.execution import Operations, Prepared
from schema.persisted import PersistedStore, Resolved, is_not_found
from taskboard import logs
from taskboard.admission import QueryGate
from taskboard.cache import ResponseCache
from taskboard.clientaddr import Network, connection_address
from taskboard.session_cookie import set_session_cookie, wants_cookie

log = logging.getLogger("taskboard.http")


def error_response(status: int, code: ErrorCode, message: str, headers: dict[str, str] | None = None) -> Response:
    logs.note(outcome=code.value)
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code.value}}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


class TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def viewer_from(tokens: TokenService, header: str | None) -> tuple[str | None, bool]:
    """(viewer id, token was bad)."""
    token = bearer(header)
    if token is None:
        return None, header is not None and header.strip() != ""
    try:
        return tokens.verify_access(token).user_id, False
    except InvalidToken:
        return None, True




def _get_fields(request: Request) -> tuple[Any, Any, Any, Any] | Response:
    """(query, variables, operationName, extensions) of a GET: persisted queries only
    (the contract's operations are POSTs; a hash in the URL is what a CDN can cache)."""
    params = request.query_params
    decoded: list[Any] = []
    for name in ("variables", "extensions"):
        text = params.get(name)
        try:
            decoded.append(orjson.loads(text) if text else None)
        except orjson.JSONDecodeError:
            return error_response(400, ErrorCode.BAD_USER_INPUT, f"`{name}` is not valid JSON")
    variables, extensions = decoded
    if not isinstance(extensions, dict) or "persistedQuery" not in extensions:
        return error_response(405, ErrorCode.BAD_USER_INPUT, "Use POST with a JSON body (GET: persisted queries only)",
                              {"Allow": "POST"})
    return params.get("query"), variables, params.get("operationName"), extensions


class GraphQLEndpoint:
    def __init__(self, operations: Operations, services: Services, *, max_body: int, graphiql: bool,
                 cache: ResponseCache | None = None, query_gate: QueryGate | None = None,
                 trusted_proxies: Sequence[Network] = (), persisted: PersistedStore | None = None) -> None:
        self.operations = operations
        self.services = services
        self.max_body = max_body
        self.graphiql = graphiql
        self.cache = cache
        self.query_gate = query_gate
        self.trusted_proxies = trusted_proxies
        self.persisted = persisted

    async def __call__(self, request: Request) -> Response:
        """One operation, and its log line (taskboard.logs)."""
        op = logs.begin("http", request.headers.get("x-request-id", "")[:64] or None)
        try:
            response = await self._handle(request, op)
            op.status = response.status_code
            return response
        except Exception:
            op.outcome, op.status = ErrorCode.INTERNAL_SERVER_ERROR.value, 500
            raise
        finally:
            logs.finish(op)

    async def _handle(self, request: Request, op: logs.Operation) -> Response:
        if request.method == "GET":
            if self.graphiql and "text/html" in request.headers.get("accept", ""):
                return HTMLResponse(_GRAPHIQL)
            fields = _get_fields(request)
            if isinstance(fields, Response):
                return fields
            return await self._operation(request, op, *fields, over_get=True)
        if request.method != "POST":
            return error_response(405, ErrorCode.BAD_USER_INPUT, "Use POST with a JSON body", {"Allow": "POST"})
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            return error_response(415, ErrorCode.BAD_USER_INPUT, "Only application/json requests are accepted")
        try:
            raw = await read_body(request, self.max_body)
        except TooLarge:
            return error_response(413, ErrorCode.BAD_USER_INPUT, f"The request body is over {self.max_body} bytes")
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return error_response(400, ErrorCode.BAD_USER_INPUT, "The body is not valid JSON")
        if not isinstance(body, dict):
            return error_response(400, ErrorCode.BAD_USER_INPUT, "Send one operation as a JSON object (no batches)")
        return await self._operation(request, op, body.get("query"), body.get("variables"),
                                     body.get("operationName"), body.get("extensions"), over_get=False)

    async def _operation(self, request: Request, op: logs.Operation, query: Any, variables: Any, op_name: Any,
                         extensions: Any, *, over_get: bool) -> Response:
        if self.persisted is None or (extensions is None and not self.persisted.only):
            if not isinstance(query, str) or not query.strip():
                return error_response(400, ErrorCode.BAD_USER_INPUT, "`query` must be a non-empty string")
            resolved: Resolved | list[GraphQLError] = Resolved(query)
        else:
            resolved = await self.persisted.resolve(query, extensions)
        if variables is not None and not isinstance(variables, dict):
            return error_response(400, ErrorCode.BAD_USER_INPUT, "`variables` must be an object")
        if op_name is not None and not isinstance(op_name, str):
            return error_response(400, ErrorCode.BAD_USER_INPUT, "`operationName` must be a string")
        if isinstance(resolved, list):
            # Not found is Apollo's cue to resend with the document: a 200, never stored by a cache.
            return self._refused(resolved, op.request_id, 200 if is_not_found(resolved) else 400)
        query = resolved.query

        viewer_id, bad_token = viewer_from(self.services.tokens, request.headers.get("authorization"))
        if bad_token:
            return error_response(401, ErrorCode.UNAUTHENTICATED, "Invalid or expired access token",
                                  {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        request_id = op.request_id
        op.user_id = viewer_id
        # Parsed and validated once per document text; refused here when over the cost limit.
        prepared = self.operations.prepare(query, op_name, variables, persisted=resolved.hash is not None)
        if isinstance(prepared, list):  # the document itself was refused
            return self._refused(prepared, request_id, 400)
        if self.persisted is not None:
            await self.persisted.register(resolved)
        operation = prepared.operation.operation
        if over_get and operation != OperationType.QUERY:
            return error_response(405, ErrorCode.BAD_USER_INPUT, "Mutations are never accepted over GET",
                                  {"Allow": "POST"})
        op.operation_type = operation.value
        op.operation = op_name or (prepared.operation.name.value if prepared.operation.name else None)
        if operation == OperationType.SUBSCRIPTION:
            return error_response(400, ErrorCode.BAD_USER_INPUT, "Subscriptions are served over websockets")
        ip = connection_address(request, self.trusted_proxies)
        ctx = Ctx(self.services, viewer_id=viewer_id, client_ip=ip, request_id=request_id)
        if operation == OperationType.MUTATION:
            ctx.session_cookie = wants_cookie(request)
            response = await self._respond(prepared, ctx, query, variables, op_name)
            if ctx.issued_refresh:
                set_session_cookie(response, request, ctx.issued_refresh, self.services.tokens.refresh_ttl)
            return response
        if self.query_gate is None:
            return await self._respond(prepared, ctx, query, variables, op_name)
        async with self.query_gate.query():
            return await self._respond(prepared, ctx, query, variables, op_name)

    def _refused(self, errors: list[GraphQLError], request_id: str, status: int) -> Response:
        formatted = self.operations.format(errors, request_id)
        logs.note_errors(formatted)
        return Response(orjson.dumps({"errors": formatted, "data": None}), status_code=status,
                        media_type="application/json",
                        headers={"x-request-id": request_id, "cache-control": "no-store"})

    async def _respond(self, prepared: Prepared, ctx: Ctx, query: str, variables: dict[str, Any] | None,
                       op_name: str | None) -> Response:
        request_id = ctx.request_id
        found = None
        if self.cache is not None:
            found = await self.cache.lookup(ctx.viewer_id, query, op_name, variables,
                                            orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS),
                                            prepared.operation)
            if found is not None and (hit := self.cache.get(found[0])) is not None:
                return Response(hit, media_type="application/json",
                                headers={"x-request-id": request_id, "x-cache": "hit"})
        if found is None or self.cache is None:
            body, status, _ = await self._run(prepared, ctx, variables, op_name)
            return Response(body, status_code=status, media_type="application/json",
                            headers={"x-request-id": request_id})
        key, board = found
        ctx.loaders.boards.prime(board.id, board)  # read with the key: no second lookup
        outcome: list[tuple[bytes, int]] = []

        async def compute() -> bytes | None:
            body, status, clean = await self._run(prepared, ctx, variables, op_name)
            outcome.append((body, status))
            return body if clean else None  # a response with errors is neither stored nor shared

        shared, joined = await self.cache.flight(key, compute)
        if joined and shared is not None:
            return Response(shared, media_type="application/json",
                            headers={"x-request-id": request_id, "x-cache": "joined"})
        body, status = outcome[-1]
        return Response(body, status_code=status, media_type="application/json",
                        headers={"x-request-id": request_id})

    async def _run(self, prepared: Prepared, ctx: Ctx, variables: dict[str, Any] | None,
                   op_name: str | None) -> tuple[bytes, int, bool]:
        """The response body, its HTTP status, and whether it is free of errors."""
        out = await self.operations.run(prepared, ctx, variables, op_name)
        errors = out.get("errors")
        logs.note_errors(errors)
        status = 200
        if out["data"] is None and errors and all(
            e.get("extensions", {}).get("code") == ErrorCode.BAD_USER_INPUT.value and "path" not in e for e in errors
        ):
            status = 400  # variables that do not fit the document
        return orjson.dumps(out), status, not errors


_GRAPHIQL = """<!doctype html><html><head><title>Taskboard GraphiQL</title>
<link rel="stylesheet" href="https://unpkg.com/graphiql@3/graphiql.min.css"/></head>
<body style="margin:0"><div id="g" style="height:100vh"></div>
<script src="https://unpkg.com/react@18/umd/react.production.min.js"></script>
<script src="https://unpkg.com/react-dom@18/umd/react-dom.production.min.js"></script>
<script src="https://unpkg.com/graphiql@3/graphiql.min.js"></script>
<script>ReactDOM.createRoot(document.getElementById('g')).render(React.createElement(GraphiQL,
{fetcher: GraphiQL.createFetcher({url: '/graphql'})}));</script></body></html>"""
