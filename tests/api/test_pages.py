"""The page reader on hand-written fixtures shaped like Hydra's templates of 2019 (Bootstrap 2) and 2026
(Bootstrap 4), on hostile text, and on pages that lack their anchors."""

from __future__ import annotations

import pytest

from hydra_tui.api.comparison import Change
from hydra_tui.api.errors import BadResponseError
from hydra_tui.api.pages import PageError, read_build_steps, read_comparison, read_evals
from hydra_tui.api.status import BuildState
from hydra_tui.api.text import clean_name
from tests.conftest import DATA

PAGES = DATA / "pages"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def test_comparison_2026_counts_rows_and_omitted_marker() -> None:
    c = read_comparison(page("eval_2026.html"), "https://hydra.example.org/eval/1002?compare=1001")
    assert (c.eval_id, c.compare_to, c.source, c.filter) == (1002, 1001, "server", "")
    counts = {change: c.count(change) for change in Change}
    assert counts == {
        Change.NEWLY_FAILING: 1253,
        Change.STILL_FAILING: 0,
        Change.ABORTED: 1,
        Change.QUEUED: 1,
        Change.NEW: 2,
        Change.REMOVED: 1,
        Change.NEWLY_SUCCEEDING: 0,
        Change.STILL_SUCCEEDING: 1,
    }
    failing = c.categories[Change.NEWLY_FAILING]
    assert [b.id for b in failing.builds] == [5002, 5003, 5004]
    assert not failing.complete and not c.complete
    first = failing.builds[0]
    assert (first.job, first.system, first.state, first.nixname) == (
        "openssl.x86_64-linux",
        "x86_64-linux",
        BuildState.FAILED,
        "openssl-3.4.0",
    )
    assert failing.builds[1].state is BuildState.DEPENDENCY_FAILED
    assert c.categories[Change.ABORTED].builds[0].state is BuildState.TIMED_OUT
    assert c.categories[Change.NEW].builds[1].state is BuildState.OUTPUT_LIMIT
    assert c.categories[Change.QUEUED].builds[0].state is BuildState.QUEUED
    removed = c.categories[Change.REMOVED].builds
    assert [(b.id, b.job, b.system) for b in removed] == [(None, "python2.x86_64-linux", "x86_64-linux")]


def test_comparison_2019_template() -> None:
    """Bootstrap 2 tabs (`<li><a>` without nav-item), lower-case labels, an unclosed job link, labels."""
    c = read_comparison(page("eval_2019.html"), "https://hydra.example.org/eval/77")
    assert (c.eval_id, c.compare_to) == (77, 75)
    assert c.filter == "x86_64&more"
    assert c.count(Change.NEWLY_FAILING) == 2 and c.categories[Change.NEWLY_FAILING].complete
    assert [b.job for b in c.categories[Change.NEWLY_FAILING].builds] == [
        "nixos.tests.firefox.x86_64-linux",
        "python37Packages.numpy.x86_64-linux",
    ]
    assert c.categories[Change.STILL_FAILING].builds[0].state is BuildState.TIMED_OUT
    assert c.count(Change.REMOVED) == 253
    assert len(c.categories[Change.REMOVED].builds) == 2 and not c.categories[Change.REMOVED].complete
    assert c.count(Change.NEW) == 0 and c.count(Change.QUEUED) == 0


def test_hostile_text_is_decoded_then_cleaned() -> None:
    c = read_comparison(page("eval_2026.html"), "/eval/1002")
    curl, git = c.categories[Change.NEWLY_FAILING].builds[1:3]
    # &amp; decoded, the OSC title sequence (given as &#x1b; … &#x07;) removed whole
    assert curl.job == "curl & friends.x86_64-linux"
    # markup-like text stays literal: it is data, never markup
    assert curl.nixname == "curl-8.11.0 [/bold]<b>"
    # a right-to-left override and its pop are dropped, so the name reads as it is stored
    assert git.job == "gitgnp.exe.aarch64-linux"
    old = read_comparison(page("eval_2019.html"), "/eval/77")
    # raw ESC and C1 bytes, as Hydra's HTML.escape lets them through
    assert old.categories[Change.STILL_SUCCEEDING].builds[0].job == "bash.x86_64-linux"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain.x86_64-linux", "plain.x86_64-linux"),
        ("a\x1b[31mred\x1b[0m", "ared"),
        ("t\x1b]0;title\x07x", "tx"),
        ("c1\x9b2Jz\x85", "c1z"),
        ("bidi\u202eevil\u202c\u2066iso\u2069\u200e\u061c", "bidieviliso"),
        ("zero\u200b\u200d\u2060\ufeffwidth", "zerowidth"),
        ("line\u2028sep\u2029x\ttab\n", "linesepxtab"),
        ("ünïcödé ✓", "ünïcödé ✓"),
    ],
)
def test_clean_name(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


def test_comparison_without_tabs_is_a_page_error_naming_the_page() -> None:
    html = b"<html><body><h1>Sign in</h1><form><input name='username'></form></body></html>"
    with pytest.raises(PageError) as info:
        read_comparison(html, "https://hydra.example.org/eval/1002?compare=1001")
    assert isinstance(info.value, BadResponseError)
    assert "/eval/1002" in str(info.value) and "tabs" in str(info.value)


@pytest.mark.parametrize("body", [b"", b"\x00\x01garbage", b'{"id": 1, "builds": []}', "<p>ü".encode()])
def test_comparison_of_junk_is_a_page_error_not_a_crash(body: bytes) -> None:
    with pytest.raises(PageError, match="/eval/5"):
        read_comparison(body, "/eval/5")


def test_comparison_with_every_tab_empty() -> None:
    html = "".join(f'<div id="{c.tab_id}" class="tab-pane"><table><tbody></tbody></table></div>' for c in Change)
    c = read_comparison(html, "/eval/3")
    assert c.eval_id == 3 and c.compare_to is None
    assert all(cat.count == 0 and cat.complete for cat in c.categories.values())


@pytest.mark.parametrize("name", ["evals_2026.html", "evals_2019.html"])
def test_evals_read_counts(name: str) -> None:
    evals = read_evals(page(name), "/jobset/p/j/evals")
    first = evals[0]
    if name == "evals_2026.html":
        assert [e.id for e in evals] == [1002, 1001, 1000]
        assert (first.timestamp, first.succeeded, first.failed, first.queued, first.diff) == (
            1795690000,
            241017,
            5211,
            3772,
            0,
        )
        assert first.has_errors and first.changed_inputs == ["nixpkgs → 0123456789ab"]
        assert evals[1].diff == 12 and not evals[1].has_errors
        assert evals[1].changed_inputs == ["nixpkgs → fedcba987654", "ci → aaaabbbbcccc"]
        assert evals[2].diff == -3 and evals[2].changed_inputs == [] and evals[2].failed == 0
    else:
        assert [e.id for e in evals] == [77, 75]
        assert (first.timestamp, first.succeeded, first.failed, first.queued, first.diff) == (
            1565000000,
            30120,
            112,
            0,
            -2,
        )
        assert not first.has_errors and first.changed_inputs == ["nixpkgs → a1b2c3d"]
        assert (evals[1].queued, evals[1].diff) == (7, 0)


def test_evals_page_without_table_is_a_page_error() -> None:
    with pytest.raises(PageError, match="/jobset/p/j/evals"):
        read_evals(b"<html><body><p>Nothing here</p></body></html>", "https://h/jobset/p/j/evals?page=2")


def test_evals_empty_table_is_no_evals() -> None:
    html = b"<table><thead><tr><th>#</th><th>Date</th><th>Input changes</th></tr></thead><tbody></tbody></table>"
    assert read_evals(html) == []


def test_failed_steps_2026() -> None:
    steps = read_build_steps(page("build_failed_2026.html"), 5003)
    assert steps.running == [] and steps.culprit == 5002
    first, cached, resolved = steps.failed
    assert (first.nr, first.what, first.duration, first.machine, first.status) == (
        2,
        "Build",
        "1m 5s",
        "builder-7",
        "Failed",
    )
    assert first.outputs == "/nix/store/aaaa-openssl-3.4.0-bin, /nix/store/bbbb-openssl-3.4.0-dev"
    # entities decoded, the escape sequence dropped, markup-like text literal
    assert first.message == "build of '/nix/store/cccc-openssl.drv' failed [/red]"
    assert first.propagated_from == 5002 and not first.running
    assert (cached.nr, cached.what, cached.status) == (3, "Substitution", "Cached failure")
    assert cached.propagated_from is None
    assert (resolved.what, resolved.outputs, resolved.status) == (
        "Resolution",
        "/nix/store/eeee-curl-8.11.0.drv",
        "Timed out",
    )


def test_failed_steps_2019_what_column_and_nixlog_links() -> None:
    steps = read_build_steps(page("build_failed_2019.html"), 102)
    assert [s.nr for s in steps.failed] == [1, 2]
    assert steps.culprit == 99
    second = steps.failed[1]
    assert (second.status, second.machine, second.duration, second.propagated_from) == (
        "Failed",
        "localhost",
        "3m 0s",
        98,
    )
    assert second.message == "builder for '/nix/store/jjjj-openblas.drv' failed with exit code 2"


def test_running_steps_2019() -> None:
    steps = read_build_steps(page("build_running_2019.html"), 104)
    assert steps.failed == [] and steps.culprit is None
    (step,) = steps.running
    assert (step.nr, step.status, step.duration, step.machine, step.running) == (
        5,
        "Building",
        "1h 2m 3s",
        "aarch64-box1",
        True,
    )


def test_succeeded_build_has_no_steps() -> None:
    html = b'<div class="tab-content"><div id="tabs-summary" class="tab-pane active"><p>Success</p></div></div>'
    steps = read_build_steps(html, 7)
    assert steps.failed == [] and steps.running == []


def test_not_a_build_page_is_a_page_error() -> None:
    with pytest.raises(PageError, match="/build/7 is not a build page"):
        read_build_steps(b"<html><body>Too many requests</body></html>", 7)


def test_steps_heading_without_its_table_is_a_page_error() -> None:
    html = b'<div id="tabs-summary"><h3>Failed build steps</h3><p>layout changed</p></div>'
    with pytest.raises(PageError, match="Failed build steps"):
        read_build_steps(html, 8, "https://h/build/8")


def test_comparison_fed_in_small_chunks_reads_the_same() -> None:
    from hydra_tui.api.pages import ComparisonReader

    body = page("eval_2026.html")
    reader = ComparisonReader("/eval/1002")
    for i in range(0, len(body), 97):
        reader.feed(body[i : i + 97])
    reader.finish()
    assert reader.result() == read_comparison(body, "/eval/1002")
