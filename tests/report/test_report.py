"""`hydra-tui report` and the root-cause scan, against the demo Hydra's pages."""

from __future__ import annotations

import io
import json

import pytest

from hydra_tui.api.client import HydraClient
from hydra_tui.api.comparison import Change
from hydra_tui.api.limits import Limits
from hydra_tui.api.status import BuildState
from hydra_tui.cache.service import DataService
from hydra_tui.clock import FrozenClock
from hydra_tui.demo.runner import DemoServer
from hydra_tui.report.cli import report_main
from hydra_tui.report.evalreport import build_report, parse_compare, whole_comparison
from hydra_tui.report.rootcauses import RootCauseScan

NAMES = {
    "newly_failing",
    "still_failing",
    "newly_succeeding",
    "still_succeeding",
    "aborted",
    "queued",
    "new",
    "removed",
}


def run(demo: DemoServer, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = report_main(list(args), out=out, err=err, demo_url=demo.url, limits=Limits.unlimited())
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("", None),
        ("1234", 1234),
        ("-1d", "-86400"),
        ("-1w", "-604800"),
        ("-3600", "-3600"),
        ("-12h", "-43200"),
        ("staging-next", "staging-next"),
    ],
)
def test_parse_compare(text: str | None, expected: object) -> None:
    assert parse_compare(text) == expected


def test_report_json_on_a_small_jobset(demo: DemoServer) -> None:
    code, out, err = run(demo, "hello:main", "--format", "json", "--all-failures")
    assert code == 0, err
    report = json.loads(out)
    world = demo.world
    jobset = world.projects["hello"].jobsets["main"]
    assert report["eval"] == jobset.evals[-1]
    assert report["compare_to"] == jobset.evals[-2]
    assert (report["project"], report["jobset"]) == ("hello", "main")
    assert set(report["categories"]) == NAMES
    total = sum(c["count"] for name, c in report["categories"].items() if name != "removed")
    assert total == len(world.evals[jobset.evals[-1]].build_ids)
    for category in report["categories"].values():
        assert category["complete"] is (len(category["builds"]) == category["count"])
        for b in category["builds"]:
            assert set(b) == {"id", "job", "system", "status"}
    statuses = {b["status"] for c in report["categories"].values() for b in c["builds"]}
    assert "dependency failed" in statuses and "succeeded" in statuses
    # The dependency failure of the showcase evaluation is explained by its culprit's page.
    dep_failed = [
        b["id"] for c in report["categories"].values() for b in c["builds"] if b["status"] == "dependency failed"
    ]
    assert dep_failed
    explained = sorted(i for cause in report["root_causes"] for i in cause["builds"])
    assert explained == sorted(dep_failed)
    for cause in report["root_causes"]:
        assert cause["breaks"] == len(cause["builds"]) and cause["job"] and cause["system"]
    assert "requests, none rate limited." in err


def test_report_on_nixpkgs_lists_failing_categories_whole_and_finds_culprits(demo: DemoServer) -> None:
    code, out, err = run(demo, "nixpkgs:trunk", "--format", "json", "--max-pages", "40")
    assert code == 0, err
    report = json.loads(out)
    newly = report["categories"]["newly_failing"]
    assert newly["count"] > 250 and newly["complete"] and len(newly["builds"]) == newly["count"]
    assert report["categories"]["still_failing"]["complete"]
    assert report["categories"]["aborted"]["complete"]
    # The huge passing category is not listed whole.
    assert not report["categories"]["still_succeeding"]["complete"]
    assert report["root_causes_scope"]["pages_read"] == 40
    causes = report["root_causes"]
    assert sum(c["breaks"] for c in causes) == 40
    assert causes == sorted(causes, key=lambda c: -c["breaks"])
    culprits = {c["job"].split(".")[0] for c in causes}
    assert culprits <= {"openssl", "python3Packages", "rustc", "perl"}, culprits
    # Every culprit really is a build that failed on its own.
    world = demo.world
    for cause in causes:
        assert world.build(cause["build"]).outcome == 1


async def test_whole_comparison_reads_only_up_to_the_passing_rows(client: HydraClient, clock: FrozenClock) -> None:
    service = DataService(client, clock)
    eval_id = await client.latest_eval_id("nixpkgs", "trunk")
    comparison = await whole_comparison(service, eval_id, None)
    for change in (Change.NEWLY_FAILING, Change.STILL_FAILING, Change.ABORTED):
        category = comparison.categories[change]
        assert category.complete and len({b.id for b in category.builds}) == category.count
    assert not comparison.categories[Change.STILL_SUCCEEDING].complete
    assert comparison.count(Change.STILL_SUCCEEDING) > 200_000
    # Two requests: the usual page, then the whole one.
    assert client.health.requests == 3  # with the latest-eval redirect


async def test_root_cause_scan_reads_each_page_once_through_the_cache(client: HydraClient, clock: FrozenClock) -> None:
    service = DataService(client, clock)
    eval_id = await client.latest_eval_id("nixpkgs", "trunk")
    comparison = await whole_comparison(service, eval_id, None)
    newly = comparison.categories[Change.NEWLY_FAILING].builds
    seen = []
    scan = RootCauseScan(service, newly, known=newly, limit=10, on_progress=lambda p, _c: seen.append(p.done))
    causes = await scan.run()
    assert sum(c.breaks for c in causes) == 10
    assert seen[-1] == 10 and seen == sorted(seen)
    before = client.health.requests
    again = await RootCauseScan(service, newly, known=newly, limit=10).run()
    assert [(c.build, c.builds) for c in again] == [(c.build, c.builds) for c in causes]
    assert client.health.requests == before  # every page came from the cache
    assert all(b.state is BuildState.DEPENDENCY_FAILED for b in newly if b.id in causes[0].builds)


def test_report_text_and_markdown(demo: DemoServer) -> None:
    code, text, _ = run(demo, "hello:main")
    assert code == 0
    assert text.startswith("hello:main evaluation ")
    assert "newly failing" in text and "Root causes" in text
    code, markdown, _ = run(demo, "hello:main", "--format", "markdown", "--all-failures")
    assert code == 0
    assert markdown.startswith("### hello:main evaluation")
    assert f"({demo.url}/build/" in markdown


def test_report_errors_say_what_to_do(demo: DemoServer) -> None:
    code, out, err = run(demo, "hello:no-such-jobset")
    assert code == 1 and out == ""
    assert "no-such-jobset" in err and "Traceback" not in err
    code, _, err = run(demo, "hello")
    assert code == 2 and "PROJECT:JOBSET" in err
    code, _, err = run(demo, "hello:main", "--compare", "nonsense-jobset")
    assert code == 1 and "nonsense-jobset" in err


async def test_build_report_progress_goes_to_the_callback(client: HydraClient, clock: FrozenClock) -> None:
    lines: list[str] = []
    report = await build_report(
        DataService(client, clock), "hello", "main", all_failures=True, on_progress=lines.append
    )
    assert report.in_scope == report.scanned >= 1
    assert any(line.startswith("Reading build steps") for line in lines)


def test_hostile_page_text_never_reaches_the_report(tmp_path) -> None:
    """Job names with OSC, C1, bidi overrides and markup, read from a page: every format prints them inert."""
    import re
    from pathlib import Path

    import httpx

    pages = Path(__file__).parent.parent / "data" / "pages"
    comparison = (pages / "eval_2026.html").read_bytes()
    steps = (pages / "build_failed_2026.html").read_bytes()

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/latest-eval"):
            return httpx.Response(302, headers={"location": "/eval/1002"})
        if path == "/eval/1002":
            return httpx.Response(200, content=comparison, headers={"content-type": "text/html; charset=utf-8"})
        if path.startswith("/build/"):
            return httpx.Response(200, content=steps, headers={"content-type": "text/html; charset=utf-8"})
        return httpx.Response(404, json={"error": "no"})

    async def run_report(fmt: str) -> str:
        from hydra_tui.report import output

        async with HydraClient(
            "https://hydra.example.org", limits=Limits.unlimited(), transport=httpx.MockTransport(answer)
        ) as client:
            report = await build_report(DataService(client, FrozenClock(0)), "nixpkgs", "trunk", all_failures=True)
        return {"text": output.as_text, "markdown": output.as_markdown, "json": output.as_json}[fmt](report)

    import asyncio

    for fmt in ("text", "markdown", "json"):
        printed = asyncio.run(run_report(fmt))
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b-\u200f]", printed), fmt
        assert "pwned" not in printed, fmt  # a window-title sequence is dropped whole, payload and all
    assert "curl & friends" in asyncio.run(run_report("text"))
