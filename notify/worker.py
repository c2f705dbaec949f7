"""The local stand-in for the mail Lambda: long-polls the SQS queue that the bus
rule targets and runs the very same `mailer.handle_event` on each EventBridge
event.  A message is deleted only after it was handled; a failure leaves it to
the queue (it comes back after the visibility timeout, and after
maxReceiveCount receives the redrive policy moves it to the DLQ)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import boto3
from botocore.config import Config

from notify import mailer

Handler = Callable[..., dict[str, int]]


class MailWorker:
    def __init__(
        self,
        *,
        aws_session: Any,
        queue_url: str | None,
        table: str,
        mail_from: str,
        endpoint_url: str | None,
        region: str,
        boto_session: boto3.session.Session | None = None,
        wait_time_seconds: int = 20,
        max_messages: int = 10,
        visibility_timeout: int | None = None,
        handler: Handler = mailer.handle_event,
        error_pause: float = 5.0,
        logger: logging.Logger | None = None,
        queue_name: str | None = None,
    ) -> None:
        if not queue_url and not queue_name:
            raise ValueError("MailWorker needs a queue_url or a queue_name")
        self._aws_session = aws_session
        self.queue_url = queue_url or ""
        self.queue_name = queue_name
        self.table = table
        self.mail_from = mail_from
        self._endpoint_url = endpoint_url
        self._region = region
        self.wait_time_seconds = wait_time_seconds
        self.max_messages = max_messages
        self.visibility_timeout = visibility_timeout
        self._handler = handler
        self._error_pause = error_pause
        self._log = logger or logging.getLogger("taskboard.notify.worker")
        boto = boto_session or boto3.session.Session()
        config = Config(connect_timeout=5, read_timeout=30, retries={"mode": "standard", "max_attempts": 3})
        kw = {"endpoint_url": endpoint_url, "region_name": region}
        # Sync clients for the handler (run in a thread); boto3 clients are thread-safe.
        # The sending clients never retry on their own (mailer.SEND_CONFIG).
        self._ses = boto.client("ses", config=mailer.SEND_CONFIG, **kw)
        self._sns = boto.client("sns", config=mailer.SEND_CONFIG, **kw)
        self._dynamodb = boto.client("dynamodb", config=config, **kw)
        self._stopping = False
        self._stack: AsyncExitStack | None = None
        self._sqs: Any = None
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(
        cls,
        *,
        queue_name: str | None,
        queue_url: str | None,
        table: str,
        mail_from: str,
        endpoint_url: str | None,
        region: str,
        aws_session: Any = None,
        **kw: Any,
    ) -> MailWorker:
        """A worker with its own sessions (default credential chain); the queue URL
        is looked up by name on first use when not given."""
        if aws_session is None:
            import aioboto3

            aws_session = aioboto3.Session(region_name=region)
        return cls(
            aws_session=aws_session,
            queue_url=queue_url,
            queue_name=queue_name,
            table=table,
            mail_from=mail_from,
            endpoint_url=endpoint_url,
            region=region,
            **kw,
        )

    async def _queue(self) -> Any:
        if self._sqs is None:
            stack = AsyncExitStack()
            config = Config(
                connect_timeout=5,
                read_timeout=self.wait_time_seconds + 10,
                retries={"mode": "standard", "max_attempts": 3},
            )
            self._sqs = await stack.enter_async_context(
                self._aws_session.client(
                    "sqs", endpoint_url=self._endpoint_url, region_name=self._region, config=config
                )
            )
            self._stack = stack
        if not self.queue_url:
            self.queue_url = (await self._sqs.get_queue_url(QueueName=self.queue_name))["QueueUrl"]
        return self._sqs

    async def run_once(self) -> int:
        """One receive (long poll) and the handling of what came; the number of
        messages handled and deleted."""
        sqs = await self._queue()
        params: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": self.max_messages,
            "WaitTimeSeconds": self.wait_time_seconds,
            "AttributeNames": ["ApproximateReceiveCount"],
        }
        if self.visibility_timeout is not None:
            params["VisibilityTimeout"] = self.visibility_timeout
        resp = await sqs.receive_message(**params)
        # The messages of one receive are handled side by side: each is mostly waiting
        # on DynamoDB and SES, and one at a time the worker fell behind a busy board
        # (~5 events/s against ~7 in the soak on a 2-core machine).  Different events
        # never share a mail marker, so this changes no outcome.
        done = await asyncio.gather(*(self._handle(sqs, m) for m in resp.get("Messages", [])),
                                    return_exceptions=True)
        for outcome in done:
            if isinstance(outcome, BaseException):
                raise outcome  # a delete that failed: the message comes back (mailing is idempotent)
        return sum(d for d in done if isinstance(d, int))

    async def _handle(self, sqs: Any, message: dict[str, Any]) -> int:
        """Mail one message's event and delete it; 1 if it was, 0 if it stays queued."""
        try:
            event = json.loads(message["Body"])
            result = await asyncio.to_thread(
                self._handler,
                event,
                ses=self._ses,
                sns=self._sns,
                dynamodb=self._dynamodb,
                table=self.table,
                mail_from=self.mail_from,
            )
        except mailer.DeliveryInProgress as exc:
            self._log.info("mail for message %s waits for another attempt's claim, left on the queue: %s",
                           message.get("MessageId"), exc)
            return 0
        except Exception as exc:
            self._log.warning(
                "mail for message %s failed (receive %s), left on the queue: %s",
                message.get("MessageId"),
                message.get("Attributes", {}).get("ApproximateReceiveCount"),
                exc,
            )
            return 0
        await sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        self._log.info("event %s mailed: %s", (event.get("detail") or {}).get("eventId"), result)
        return 1

    async def run(self) -> None:
        """Poll until stopped.  Never raises (other than cancellation)."""
        self._task = asyncio.current_task()
        try:
            while not self._stopping:
                try:
                    await self.run_once()
                except asyncio.CancelledError:
                    if self._stopping:
                        break
                    raise
                except Exception as exc:
                    self._log.warning("mail worker poll failed (retry in %.1fs): %s", self._error_pause, exc)
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.sleep(self._error_pause)
        finally:
            self._task = None
            await self._close()

    async def stop(self) -> None:
        """Stop polling: an in-flight long poll is cancelled (nothing it received
        is lost: an undeleted message returns to the queue)."""
        self._stopping = True
        task = self._task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close()
        for client in (self._ses, self._sns, self._dynamodb):
            client.close()

    async def _close(self) -> None:
        stack, self._stack, self._sqs = self._stack, None, None
        if stack is not None:
            with contextlib.suppress(Exception):
                await stack.aclose()
