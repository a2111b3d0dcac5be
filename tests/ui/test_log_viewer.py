"""The log viewer against the demo: opens at the end, keeps colours, drops hostile sequences, follows."""

from __future__ import annotations

import contextlib

from hydra_tui.demo.runner import DemoServer
from hydra_tui.logs.sanitize import clean, to_text
from hydra_tui.logs.source import FileLines, MemoryLines
from hydra_tui.ui.screens.log import LogScreen, SearchBox, merge_tail
from hydra_tui.ui.widgets.log_view import LogView
from tests.ui.helpers import make_app, screen_ready, wait_for

HOSTILE = [
    "\x1b[31mred text\x1b[0m plain",
    "title\x1b]0;PWNED\x07 here",
    "title2\x1b]2;PWNED\x1b\\ there",
    "clip\x1b]52;c;aGVsbG8=\x07board",
    "link \x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ end",
    "reset\x1bc done",
    "dcs\x1bP1$qm\x1b\\ gone",
    "move\x1b[2J\x1b[H\x1b[10;10H here",
    "[bold]not bold[/bold] [/x] [@click=app.quit]no click[/] [$accent]",
    "bell\x07 nul\x00 del\x7f c1\x9b2J end",
]


def failed_build(demo: DemoServer) -> int:
    return 101586  # the showcase evaluation's failed hello.x86_64-darwin


def hostile_log(world) -> None:
    build = world.build(101586)
    original = world.log

    def log(b):
        yield from original(b)
        if b.id == build.id:
            yield from HOSTILE

    world.log = log


def test_sanitizer_keeps_colour_and_drops_the_rest() -> None:
    red = to_text(HOSTILE[0])
    assert red.plain == "red text plain" and any("red" in str(s.style) or "color(1)" in str(s.style) for s in red.spans)
    for line in HOSTILE[1:]:
        text = to_text(line)
        assert "\x1b" not in text.plain and "\x07" not in text.plain and "\x9b" not in text.plain
        assert not any(ord(c) < 32 and c not in "\t" for c in text.plain)
        assert not any(getattr(s.style, "link", None) for s in text.spans)
    assert to_text(HOSTILE[1]).plain == "title here"
    assert to_text(HOSTILE[3]).plain == "clipboard"
    assert to_text(HOSTILE[4]).plain == "link click end"
    assert to_text(HOSTILE[5]).plain == "reset done"
    assert to_text(HOSTILE[6]).plain == "dcs gone"
    assert to_text(HOSTILE[7]).plain == "move here"
    assert to_text(HOSTILE[8]).plain == HOSTILE[8]
    assert clean("a\rb\rc") == "c"
    # Bidi overrides and isolates cannot reorder a log line; zero-width characters (emoji joiners) stay.
    assert clean("if \u202eadmin\u2066 ok\u2069\u202c \u200d") == "if admin ok \u200d"


def test_merge_tail() -> None:
    current = MemoryLines(["a", "b", "c"], complete=False)
    assert merge_tail(current, ["b", "c", "d", "e"]) == ["d", "e"]
    assert merge_tail(current, ["b", "c"]) == []
    assert merge_tail(current, ["x", "y"]) is None


def test_file_lines_index_a_stream() -> None:
    source = FileLines()
    source.append(b"one\ntw")
    source.append(b"o\nthree")
    source.finish()
    assert [source.line(i) for i in range(len(source))] == ["one", "two", "three"]
    assert source.search("THR", 0) == 2
    source.close()


async def test_log_opens_at_the_end_with_colours_and_no_escapes(clock) -> None:
    with DemoServer(clock=clock, start=clock.now(), configure=hostile_log) as demo:
        app = make_app(demo.url, clock)
        async with app.run_test(size=(100, 30)) as pilot:
            app.open_log(failed_build(demo))
            await wait_for(pilot, lambda: screen_ready(app, LogScreen) and app.screen.loaded)
            view = app.screen.query_one(LogView)
            await wait_for(pilot, lambda: len(view.source) > view.size.height)
            # At the end: scrolled to the bottom, following, and the log's last line is the last one on screen.
            # (once laid out: the first frames may come before the view has its height)
            await wait_for(pilot, lambda: view.max_scroll_y > 0 and view.scroll_y == view.max_scroll_y)
            assert view.follow
            last = clean(view.source.line(len(view.source) - 1))
            shown = [line.rstrip() for line in view.visible_plain() if line.strip()]
            assert last.startswith("bell") and shown[-1] == to_text(last).plain.rstrip()
            on_screen = "\n".join(view.visible_plain())
            assert "\x1b" not in on_screen and "PWNED" not in on_screen and "aGVsbG8" not in on_screen
            assert "[bold]not bold[/bold] [/x] [@click=app.quit]no click[/] [$accent]" in on_screen
            red_line = next(y for y in range(view.size.height) if "red text" in view.render_line(y).text)
            styles = [seg.style for seg in view.render_line(red_line) if "red" in seg.text]
            assert any(s is not None and s.color is not None for s in styles)
            await pilot.click(LogView)
            assert app.is_running


async def test_search_next_previous_and_first_error(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_log(failed_build(demo))
        await wait_for(pilot, lambda: screen_ready(app, LogScreen) and app.screen.loaded)
        view = app.screen.query_one(LogView)
        await pilot.press("slash")
        assert isinstance(app.focused, SearchBox)
        await pilot.press(*"warning", "enter")
        await wait_for(pilot, lambda: view.current is not None)
        first = view.current
        assert first is not None and "warning" in view.source.line(first)
        await pilot.press("n")
        await wait_for(pilot, lambda: view.current != first)
        second = view.current
        assert second is not None and second != first and "warning" in view.source.line(second)
        await pilot.press("N")
        await wait_for(pilot, lambda: view.current == first)
        await pilot.press("e")
        await wait_for(pilot, lambda: view.current is not None and "error" in view.source.line(view.current))
        await pilot.press("w")
        assert view.wrap
        await pilot.press("w")
        assert not view.wrap


async def test_follow_a_growing_log(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    running = next(b.id for b in demo.world.builds.values() if b.phase(clock.now()) == "running")
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_log(running)
        await wait_for(pilot, lambda: screen_ready(app, LogScreen) and app.screen.loaded)
        screen = app.screen
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: screen.running)
        before = len(view.source)
        assert view.follow and "following" in str(screen.query_one("#head").render())
        clock.advance(120)
        screen.follow_once()
        await wait_for(pilot, lambda: len(view.source) > before)
        assert view.scroll_y == view.max_scroll_y  # still at the bottom
        await pilot.press("k", "k")
        assert not view.follow and "paused" in str(screen.query_one("#head").render())
        top = view.scroll_y
        grown = len(view.source)
        clock.advance(120)
        screen.follow_once()
        await wait_for(pilot, lambda: len(view.source) > grown)
        assert view.scroll_y == top  # scrolled up: stays put
        await pilot.press("end")
        assert view.follow and view.scroll_y == view.max_scroll_y


async def test_whole_log_on_demand(clock) -> None:
    def long_log(world) -> None:
        world.build(101584).log_lines = 10_000

    with DemoServer(clock=clock, start=clock.now(), configure=long_log) as demo:
        app = make_app(demo.url, clock)
        async with app.run_test(size=(100, 30)) as pilot:
            app.open_log(101584)
            await wait_for(pilot, lambda: screen_ready(app, LogScreen) and app.screen.loaded)
            view = app.screen.query_one(LogView)
            assert not view.source.complete and len(view.source) == 2000
            await pilot.press("g")
            await wait_for(pilot, lambda: view.source.complete)
            assert isinstance(view.source, FileLines) and len(view.source) > 9_000
            assert view.scroll_y == 0 and "building" in view.visible_plain()[0]


async def test_browser_key_shows_url_without_a_browser(demo: DemoServer, clock, monkeypatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        app.open_log(101586)
        await wait_for(pilot, lambda: screen_ready(app, LogScreen) and app.screen.loaded)
        await pilot.press("b")
        assert any(f"{demo.url}/build/101586" in n.message for n in app._notifications)


async def test_pager_gets_a_clean_log(demo: DemoServer, clock, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PAGER", f"cp -t {tmp_path}")

    app = make_app(demo.url, clock)
    # A headless test has no terminal to hand over; everything else is real.
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_log(101586)
        await wait_for(pilot, lambda: screen_ready(app, LogScreen) and app.screen.loaded)
        await pilot.press("o")
        await wait_for(pilot, lambda: any(tmp_path.iterdir()))
    copied = next(tmp_path.iterdir())
    text = copied.read_text()
    assert "failed with exit code" in text and "\x1b]" not in text


def test_file_search_and_first_error_match_the_memory_search() -> None:
    lines = [f"line {n} \x1b[32mok\x1b[0m" for n in range(5000)]
    lines[1234] = "\x1b[31mERROR\x1b[0m: it broke"
    lines[4000] = "another error here"
    lines[2000] = "no \x1b[1merr\x1b[0mor in colours"  # "error" only with escapes removed
    memory = MemoryLines(lines, complete=True)
    source = FileLines()
    source.append(("\n".join(lines) + "\n").encode())
    source.finish()
    try:
        for needle, start, back in [
            ("error", 0, False),
            ("error", 1234, False),
            ("error", 1234, True),
            ("error", 0, True),
            ("it broke", 4999, False),
            ("nope", 10, False),
            ("LINE 4", 4000, False),
        ]:
            assert source.search(needle, start, backwards=back) == memory.search(needle, start, backwards=back)
        assert source.first_error() == memory.first_error() == 1234
    finally:
        source.close()


LONG = [
    *(f"L{n:02d}:" + "abcdefghij" * 15 + f"END{n:02d}" for n in range(40)),
    "\x1b[32m" + "g" * 150 + "\x1b[0m" + "ENDG",
    "tab\there" + "t" * 140 + "ENDT",
    "宽" * 70 + "ENDW",
    "LAST",
]


def long_lines_log(world) -> None:
    original = world.log

    def log(b):
        if b.id == 101586:
            yield from LONG
        else:
            yield from original(b)

    world.log = log


async def test_wrap_keeps_every_character_and_line_and_l_scrolls_right(clock) -> None:
    from tests.ui.helpers import screen_lines

    with DemoServer(clock=clock, start=clock.now(), configure=long_lines_log) as demo:
        app = make_app(demo.url, clock)
        async with app.run_test(size=(80, 24)) as pilot:
            app.open_log(101586)
            await wait_for(pilot, lambda: screen_ready(app, LogScreen) and app.screen.loaded)
            view = app.screen.query_one(LogView)
            await wait_for(pilot, lambda: len(view.source) == len(LONG))
            # Not wrapped: l scrolls right as h scrolls left.
            await pilot.press("l", "l")
            assert view.scroll_x == 16
            await pilot.press("h")
            assert view.scroll_x == 8
            await pilot.press("w")
            await pilot.pause()
            assert view.wrap and view.scroll_x == 0

            def rows() -> list[str]:
                region = view.scrollable_content_region
                return [row[region.x : region.right].rstrip() for row in screen_lines(app)[region.y : region.bottom]]

            def shown() -> str:
                return "".join(rows())

            # The end of the log, as the user sees it: every character of the last lines, the very last one too.
            text = shown()
            for line in ("g" * 150 + "ENDG", "t" * 140 + "ENDT", "宽" * 70 + "ENDW", "LAST"):
                assert line in text, (line, text)
            assert text.endswith("LAST")
            # Scrolled up through the whole log, every line is there whole.
            by_row: dict[int, str] = {}
            height = view.scrollable_content_region.height
            for top in range(0, int(view.max_scroll_y) + 1, height):
                view.scroll_to(y=top, animate=False, immediate=True)
                await pilot.pause()
                by_row.update((top + n, row) for n, row in enumerate(rows()))
            seen = "".join(by_row[n] for n in sorted(by_row))
            for n in range(40):
                assert f"L{n:02d}:" + "abcdefghij" * 15 + f"END{n:02d}" in seen


def test_pager_less_gets_colours_and_opens_at_the_end(tmp_path) -> None:
    """`o` with PAGER=less: LESS=R (unless the user set LESS) and +G; the pager really runs with them."""
    import os
    import stat

    from hydra_tui.logs.pager import pager_command, run_pager

    record = tmp_path / "record"
    fake = tmp_path / "less"  # a "less" that writes down how it was started
    fake.write_text(f'#!/bin/sh\nprintf "%s|" "LESS=$LESS" "$@" > {record}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "log.txt"
    log.write_text("\x1b[32mgreen\x1b[0m\n")
    base = {"PATH": os.environ["PATH"]}

    command = pager_command(str(log), {**base, "PAGER": str(fake)})
    asked: list[str] = []
    run_pager(command, ask=asked.append)
    assert record.read_text() == f"LESS=R|+G|{log}|" and not asked
    # The user's own LESS is theirs; PAGER unset means less.
    assert pager_command(str(log), {**base, "PAGER": str(fake), "LESS": "FX"}).env["LESS"] == "FX"
    unset = pager_command(str(log), base)
    assert unset.argv == ["less", "+G", str(log)] and unset.env["LESS"] == "R" and not unset.prompt


def test_pager_cat_prints_the_log_and_waits_for_enter(tmp_path) -> None:
    import subprocess

    from hydra_tui.logs.pager import pager_command, run_pager

    log = tmp_path / "log.txt"
    log.write_text("line one\nline two\n")
    command = pager_command(str(log), {"PAGER": "cat", "PATH": "/usr/bin:/bin"})
    assert command.argv == ["cat", str(log)] and "LESS" not in command.env and command.prompt
    out: list[bytes] = []
    asked: list[str] = []

    def run(argv, **kwargs):
        out.append(subprocess.run(argv, capture_output=True, **kwargs).stdout)

    run_pager(command, run=run, ask=asked.append)
    assert out == [b"line one\nline two\n"] and asked and "Enter" in asked[0]


def head_text(app) -> str:
    return str(app.screen.query_one("#head").render())


async def test_search_says_which_match_of_how_many_and_the_line(demo: DemoServer, clock) -> None:
    app = make_app(demo.url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_log(failed_build(demo))
        await wait_for(pilot, lambda: screen_ready(app, LogScreen) and app.screen.loaded)
        screen, view = app.screen, app.screen.query_one(LogView)
        total = len(view.source)
        expected = [i for i in range(total) if "warning" in view.source.line(i).lower()]
        assert len(expected) >= 3
        assert f"line {view.top_line + 1:,} of {total:,}" in head_text(app)
        await pilot.press("g")  # from the top: the first match is 1/N
        await pilot.press("slash", *"warning", "enter")
        await wait_for(pilot, lambda: view.current is not None and screen.matches is not None)
        assert view.current == expected[0]
        assert f'search "warning" 1/{len(expected)}' in head_text(app)
        await pilot.press("n", "n")
        assert view.current == expected[2] and f"3/{len(expected)}" in head_text(app)
        assert f"line {view.top_line + 1:,} of {total:,}" in head_text(app)
        await pilot.press("N")
        assert view.current == expected[1] and f"2/{len(expected)}" in head_text(app)
        await pilot.press("N", "N")  # round to the last
        assert view.current == expected[-1] and f"{len(expected)}/{len(expected)}" in head_text(app)
        # Scrolling moves the line position.
        await pilot.press("g")
        await pilot.pause()
        assert "line 1 of" in head_text(app)
        await pilot.press("slash", *"zzzq", "enter")
        await wait_for(pilot, lambda: screen.matches == [])
        assert 'search "zzzq" no match' in head_text(app)


async def test_line_numbers_can_be_switched_on(demo: DemoServer, clock) -> None:
    from tests.ui.helpers import screen_lines

    app = make_app(demo.url, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_log(failed_build(demo))
        await wait_for(pilot, lambda: screen_ready(app, LogScreen) and app.screen.loaded)
        view = app.screen.query_one(LogView)
        region = view.scrollable_content_region
        await pilot.pause()

        def rows() -> list[str]:
            return [line[region.x : region.right] for line in screen_lines(app)[region.y : region.bottom]]

        plain = rows()
        await pilot.press("number_sign")
        width = len(str(len(view.source)))
        # The numbers narrow the text, which may take the horizontal scrollbar away and show one line more: the
        # view settles at the end again a frame later.
        await wait_for(pilot, lambda: rows()[0][:width].strip() == str(view.top_line + 1))
        numbered = rows()
        top = view.top_line
        for n, line in enumerate(numbered):
            assert line[:width].strip() == str(top + n + 1)
            assert line[width + 1 :].rstrip() == plain[n][: region.width - width - 1].rstrip()
        assert view.follow and view.bottom_line == len(view.source) - 1  # still at the end
        await pilot.press("w")  # wrapped: a line's next rows have no number
        await pilot.pause()
        wrapped = rows()
        assert view.line_numbers and view.wrap
        assert any(not row[:width].strip() and row[width + 1 :].strip() for row in wrapped)
        assert wrapped[-1][:width].strip() == str(len(view.source))
        await pilot.press("number_sign")
        await pilot.pause()
        assert not view.line_numbers and rows()[-1].rstrip() == plain[-1].rstrip()
