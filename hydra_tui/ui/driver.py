"""Textual's terminal driver (Linux and macOS) with an Esc key that answers within its escape delay.

A lone ESC is the Esc key only once the escape delay has passed with nothing after it, but Textual's input thread
looks at the clock only when `select` returns, at most every 100 ms; so Esc ("back") took 100 ms more than the
delay itself. Here the thread waits no longer than the parser's own deadline while one is pending. Everything else
is Textual's `LinuxDriver.run_input_thread` as of the pinned version.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder

from textual._loop import loop_last
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

#: How long the input thread blocks when no escape sequence is pending (Textual's own figure).
IDLE_WAIT = 0.1


def input_wait(parser: XTermParser) -> float:
    """How long the input thread may block: until the parser's pending escape sequence times out, if any."""
    deadline = parser._timeout_time
    if deadline is None:
        return IDLE_WAIT
    return min(IDLE_WAIT, max(0.0, deadline - get_time()))


class PromptEscDriver(LinuxDriver):
    """LinuxDriver whose input thread wakes when a pending escape sequence times out."""

    def run_input_thread(self) -> None:
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def process(events: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            for last, (_key, mask) in loop_last(events):
                if mask & selectors.EVENT_READ:
                    data = decode(os.read(fileno, 1024 * 4), final=final and last)
                    if not data:
                        break
                    for event in parser.feed(data):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process(selector.select(input_wait(parser)))
            selector.unregister(self.fileno)
            process(selector.select(IDLE_WAIT), final=True)
        finally:
            selector.close()
            try:
                for _ in parser.feed(""):
                    pass
            except (EOFError, ParseError):
                pass
