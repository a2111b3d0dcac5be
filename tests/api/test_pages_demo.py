"""The page reader against the demo Hydra's pages. Each test is skipped while the demo's `/eval/N` is not
Hydra's evaluation page (the demo's pages come on another branch); once they are there, these run."""

from __future__ import annotations

import httpx
import pytest

from hydra_tui.api.builddiff import diff_builds, inputs_from_rows
from hydra_tui.api.client import HTML_ACCEPT, HydraClient
from hydra_tui.api.comparison import Change
from hydra_tui.api.status import BuildState


async def newest_two(client: HydraClient, project: str, jobset: str) -> tuple[int, int]:
    page = await client.evals(project, jobset)
    ids = sorted((e.id for e in page.evals), reverse=True)
    assert len(ids) >= 2, f"{project}:{jobset} needs two evaluations"
    return ids[0], ids[1]


@pytest.fixture
async def pages(client: HydraClient) -> HydraClient:
    """The demo's client, or a skip while the demo serves no HTML pages."""
    newest, _ = await newest_two(client, "hello", "main")
    async with httpx.AsyncClient(base_url=client.base_url) as plain:
        answer = await plain.get(f"/eval/{newest}", headers={"Accept": HTML_ACCEPT})
    # Until then the demo answers HTML with the JSON in a <pre>: no tab panes.
    if "html" not in answer.headers.get("content-type", "") or "tabs-still-succeed" not in answer.text:
        pytest.skip("the demo does not serve Hydra's evaluation page yet")
    return client


async def test_comparison_read_from_the_demo(pages: HydraClient) -> None:
    newest, previous = await newest_two(pages, "hello", "main")
    result = await pages.compare(newest)
    assert result.eval_id == newest and result.compare_to == previous and result.source == "server"
    assert sum(cat.count for change, cat in result.categories.items() if change is not Change.REMOVED) > 0
    for cat in result.categories.values():
        assert len(cat.builds) <= cat.count
        assert all(b.job and b.system for b in cat.builds)


async def test_eval_job_redirect_on_the_demo(pages: HydraClient) -> None:
    newest, _ = await newest_two(pages, "hello", "main")
    rows = await pages.eval_builds(newest)
    job = rows.jobs[0]
    assert await pages.eval_job(newest, job) == rows.ids[0]
    assert await pages.eval_job(newest, "no-such-job.x86_64-linux") is None


async def test_steps_with_propagated_from_on_the_demo(pages: HydraClient) -> None:
    newest, _ = await newest_two(pages, "nixpkgs", "trunk")
    result = await pages.compare(newest, full=False)
    dependency_failed = [
        b.id
        for change in (Change.NEWLY_FAILING, Change.STILL_FAILING)
        for b in result.categories[change].builds
        if b.id is not None and b.state is BuildState.DEPENDENCY_FAILED
    ]
    assert dependency_failed, "the demo's nixpkgs:trunk should have dependency failures"
    steps = await pages.build_steps(dependency_failed[0])
    assert steps.failed and steps.culprit is not None and steps.culprit != dependency_failed[0]


async def test_client_side_diff_equals_the_servers_comparison(pages: HydraClient) -> None:
    newest, previous = await newest_two(pages, "hello", "main")
    server = await pages.compare(newest, compare=previous, full=True)
    current = inputs_from_rows(await pages.eval_builds(newest))
    other = inputs_from_rows(await pages.eval_builds(previous))
    assert current is not None and other is not None
    client = diff_builds(newest, current, previous, other)
    assert client.source == "client"
    for change in Change:
        mine, theirs = client.categories[change], server.categories[change]
        assert mine.count == theirs.count, change
        assert [(b.id, b.job, b.system) for b in mine.builds] == [(b.id, b.job, b.system) for b in theirs.builds]
