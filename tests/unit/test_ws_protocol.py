"""The lean websocket protocol's own frame writer against websockets' parser, and the
cases where it leaves the frame to uvicorn's `send` (which waits or refuses)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from websockets.frames import Frame, Opcode
from websockets.protocol import CLOSING, OPEN
from websockets.streams import StreamReader

from taskboard.ws_protocol import LeanWebSocketProtocol, Writable


class Transport:
    def __init__(self) -> None:
        self.data = b""
        self.closing = False

    def write(self, data: bytes) -> None:
        self.data += data

    def is_closing(self) -> bool:
        return self.closing


def fake(**overrides: Any) -> Any:
    values: dict[str, Any] = {"writable": Writable(), "close_sent": False, "transport": Transport(),
                              "conn": SimpleNamespace(state=OPEN, extensions=[])}
    values.update(overrides)
    return SimpleNamespace(**values)


def parse(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
        assert reader.at_eof(), "bytes left after the frame"
        return frame
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("size", [0, 5, 125, 126, 300, 65535, 65536, 70_000])
def test_frames_parse_as_one_text_frame(size: int) -> None:
    proto = fake()
    text = ("é" * size)[: size // 2] + "x" * (size - size // 2)
    assert LeanWebSocketProtocol.write_text(proto, text.encode())
    frame = parse(proto.transport.data)
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert bytes(frame.data).decode() == text


@pytest.mark.parametrize("state", [
    {"close_sent": True},
    {"conn": SimpleNamespace(state=CLOSING, extensions=[])},
    {"conn": SimpleNamespace(state=OPEN, extensions=["permessage-deflate"])},
])
def test_left_to_send_when_not_plainly_open(state: dict[str, Any]) -> None:
    proto = fake(**state)
    assert not LeanWebSocketProtocol.write_text(proto, b"{}")
    assert proto.transport.data == b""


def test_left_to_send_while_the_transport_is_paused_or_closing() -> None:
    paused = fake()
    paused.writable.clear()
    assert not LeanWebSocketProtocol.write_text(paused, b"{}")
    closing = fake()
    closing.transport.closing = True
    assert not LeanWebSocketProtocol.write_text(closing, b"{}")
