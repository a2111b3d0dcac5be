"""The demo's HTML pages keep the structure of Hydra's templates, and its nixpkgs-sized jobset compares like nixpkgs.

Pages are fetched over real HTTP and parsed with the standard library into an ElementTree, then checked by the
anchors a reader keys on: tab ids and nav-tabs items, tab-pane divs, status icon titles, row links, the omitted
row, the evaluations badges, the steps table and its propagated-from link.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import httpx
import pytest

from hydra_tui.demo import bigset
from hydra_tui.demo.diff import Cat, Item, build_diff
from hydra_tui.demo.faults import Faults
from hydra_tui.demo.runner import DemoServer
from hydra_tui.demo.world import World
from tests.conftest import T0

HTML = {"Accept": "text/html"}
TAB_IDS = {
    "tabs-aborted": "Aborted / Timed out Jobs",
    "tabs-now-fail": "Newly Failing Jobs",
    "tabs-now-succeed": "Newly Succeeding Jobs",
    "tabs-new": "New Jobs",
    "tabs-removed": "Removed Jobs",
    "tabs-still-fail": "Still Failing Jobs",
    "tabs-still-succeed": "Still Succeeding Jobs",
    "tabs-unfinished": "Queued Jobs",
}
ICON_TITLES = {
    "Succeeded",
    "Failed",
    "Dependency failed",
    "Aborted",
    "Cancelled",
    "Failed with output",
    "Timed out",
    "Log limit exceeded",
    "Output size limit exceeded",
    "Non-deterministic build",
    "Queued",
}
VOID = {"img", "input", "meta", "br", "hr", "link"}


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.builder = ET.TreeBuilder()
        self.builder.start("root", {})
        self.stack = ["root"]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.builder.start(tag, {k: v or "" for k, v in attrs})
        if tag in VOID:
            self.builder.end(tag)
        else:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.builder.start(tag, {k: v or "" for k, v in attrs})
        self.builder.end(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or tag not in self.stack:
            return
        while self.stack[-1] != tag:
            self.builder.end(self.stack.pop())
        self.builder.end(self.stack.pop())

    def handle_data(self, data: str) -> None:
        self.builder.data(data)


def parse(text: str) -> ET.Element:
    tree = _Tree()
    tree.feed(text)
    tree.close()
    while len(tree.stack) > 0:
        tree.builder.end(tree.stack.pop())
    return tree.builder.close()


def text_of(node: ET.Element) -> str:
    return " ".join("".join(node.itertext()).split())


def get(demo: DemoServer, path: str, **kw: object) -> httpx.Response:
    return httpx.get(demo.url + path, headers=HTML, timeout=120, **kw)  # type: ignore[arg-type]


def page(demo: DemoServer, path: str) -> ET.Element:
    answer = get(demo, path)
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"].startswith("text/html")
    return parse(answer.text)


def tabs(root: ET.Element) -> dict[str, tuple[str, int]]:
    """Pane id -> (label, count) from the nav-tabs items."""
    out = {}
    for a in root.findall(".//ul[@class='nav nav-tabs']/li/a"):
        found = re.fullmatch(r"(.+) \((\d+)\)", text_of(a))
        if found:
            out[a.get("href", "").lstrip("#")] = (found.group(1), int(found.group(2)))
    return out


def pane(root: ET.Element, tab_id: str) -> ET.Element:
    found = root.find(f".//div[@id='{tab_id}']")
    assert found is not None and found.get("class") == "tab-pane"
    return found


def build_rows(node: ET.Element) -> list[ET.Element]:
    return [tr for tr in node.findall(".//tbody/tr") if tr.find("./td/a[@class='row-link']") is not None]


def trunk(demo: DemoServer) -> list[int]:
    return demo.world.projects["nixpkgs"].jobsets["trunk"].evals


def test_nixpkgs_comparison_keeps_the_template_structure(demo: DemoServer) -> None:
    newest, before = trunk(demo)[-1], trunk(demo)[-2]
    root = page(demo, f"/eval/{newest}")
    relative = next(p for p in root.iter("p") if text_of(p).startswith("Comparisons are relative to"))
    assert text_of(relative).endswith(f"evaluation {before}.")
    assert relative.find(".//a[@href]") is not None
    assert any(a.get("href") == f"{demo.url}/eval/{before}" for a in relative.iter("a"))
    found = tabs(root)
    assert set(found) == set(TAB_IDS)  # every category is non-empty in the newest nixpkgs evaluation
    assert all(found[t][0] == label for t, label in TAB_IDS.items())
    assert sum(count for _, count in found.values()) - found["tabs-removed"][1] == bigset.BIG_EVAL_SIZE
    for tab_id, (_, count) in found.items():
        node = pane(root, tab_id)
        if tab_id == "tabs-removed":
            assert [text_of(th) for th in node.findall(".//thead/tr/th")] == ["Job", "System"]
            continue
        assert [text_of(th) for th in node.findall(".//thead/tr/th")] == [
            "",
            "#",
            "Job",
            "Finished at",
            "Package/release name",
            "System",
        ]
        rows = build_rows(node)
        assert len(rows) == min(count, 250)
        for tr in rows[:20]:
            cells = tr.findall("./td")
            assert len(cells) == 6
            icon = cells[0].find("img")
            assert icon is not None and icon.get("class") == "build-status"
            assert icon.get("title") in ICON_TITLES and icon.get("alt") == icon.get("title")
            link = cells[1].find("a")
            assert link is not None and link.get("href") == f"{demo.url}/build/{link.text}"
            assert cells[2].find("a").get("href") == link.get("href")  # type: ignore[union-attr]
            assert cells[5].get("class") == "nowrap" and cells[5].find("tt") is not None
        omitted = [text_of(tr) for tr in node.findall(".//tbody/tr") if "omitted" in text_of(tr)]
        assert omitted == ([f"({count - 250} more builds omitted)"] if count > 250 else [])
    titles = {tr.find("./td/img").get("title") for tr in build_rows(pane(root, "tabs-now-fail"))}  # type: ignore[union-attr]
    assert {"Dependency failed", "Failed"} <= titles
    assert {tr.find("./td/img").get("title") for tr in build_rows(pane(root, "tabs-unfinished"))} == {"Queued"}  # type: ignore[union-attr]
    removed = pane(root, "tabs-removed")
    more = [tr for tr in removed.findall(".//tbody/tr") if "omitted" in text_of(tr)]
    assert found["tabs-removed"][1] > 250 and len(more) == 1
    assert text_of(more[0]) == f"({found['tabs-removed'][1] - 250} more jobs omitted)"
    href = more[0].find(".//a").get("href", "")  # type: ignore[union-attr]
    assert "full=1" in href and href.endswith("#tabs-removed")


def test_newly_failing_at_nixpkgs_scale_come_from_a_few_culprits(demo: DemoServer) -> None:
    newest = trunk(demo)[-1]
    root = page(demo, f"/eval/{newest}")
    count = tabs(root)["tabs-now-fail"][1]
    assert count > 250
    rows = build_rows(pane(root, "tabs-now-fail"))
    dependency = [tr for tr in rows if tr.find("./td/img").get("title") == "Dependency failed"]  # type: ignore[union-attr]
    assert len(dependency) > 100  # most newly failing are dependency failures
    culprits: set[int] = set()
    for tr in dependency[::10]:
        build = page(demo, "/build/" + tr.find("./td/a[@class='row-link']").text)  # type: ignore[operator, union-attr]
        h3 = [text_of(h) for h in build.iter("h3")]
        assert "Failed build steps" in h3
        status = build.find(".//td[@class='step-status']")
        assert status is not None and "propagated from" in text_of(status)
        link = status.find("a[last()]")
        assert link is not None and re.fullmatch(r"build \d+", text_of(link))
        culprits.add(int(text_of(link).split()[1]))
    assert 1 <= len(culprits) <= 3
    for culprit in culprits:
        info = httpx.get(f"{demo.url}/build/{culprit}", headers={"Accept": "application/json"}).json()
        assert info["buildstatus"] == 1 and newest in info["jobsetevals"]
        assert info["job"].split(".")[0] in ("openssl", "python3Packages")
        # The dependent's failed step names the culprit's output.
        culprit_page = page(demo, f"/build/{culprit}")
        status = culprit_page.find(".//td[@class='step-status']")
        assert status is not None and "propagated from" not in text_of(status)
    # Over the whole category (in-process: the full page is 1 MB a thousand rows), the same few culprits.
    world = demo.world
    compared = world.compare(world.evals[newest], world.previous_eval(world.evals[newest]))
    now_fail = compared.rows(Cat.NOW_FAIL, None)
    dependents = [r for r in now_fail if r.buildstatus == 2]
    assert len(dependents) > 1000
    sources = {world.culprit(world.build(r.id)) for r in dependents}  # type: ignore[arg-type]
    assert None not in sources and len(sources) == 3
    # The older culprit (rustc, failing since the evaluation before) keeps its dependents still failing.
    still = [r for r in compared.rows(Cat.STILL_FAIL, None) if r.buildstatus == 2]
    carried = {world.culprit(world.build(r.id)) for r in still}  # type: ignore[arg-type]
    assert any(world.build(c).job == "rustc.x86_64-linux" for c in carried if c is not None)
    rustc = next(c for c in carried if c is not None and world.build(c).job == "rustc.x86_64-linux")
    assert world.build(rustc).evals == trunk(demo)[-2:]  # the same build in both evaluations


def test_dependency_failed_step_names_the_culprit_output(demo: DemoServer) -> None:
    world = demo.world
    newest = world.evals[trunk(demo)[-1]]
    build_id = world.eval_job(newest, "python3Packages.setuptools.aarch64-linux")
    assert build_id is not None
    dependent = next(
        r.id
        for r in world.compare(newest, world.previous_eval(newest)).rows(Cat.NOW_FAIL, None)
        if r.buildstatus == 2 and world.culprit(world.build(r.id)) == build_id  # type: ignore[arg-type]
    )
    root = page(demo, f"/build/{dependent}")
    table = next(t for t in root.iter("table") if [text_of(th) for th in t.findall("./thead/tr/th")][:1] == ["Nr"])
    assert [text_of(th) for th in table.findall("./thead/tr/th")] == ["Nr", "Step", "Duration", "Machine", "Status"]
    step = table.find("./tbody/tr")
    assert step is not None
    cells = step.findall("./td")
    out = httpx.get(f"{demo.url}/build/{build_id}", headers={"Accept": "application/json"}).json()
    assert text_of(cells[1]) == f"Build of {out['buildoutputs']['out']['path']}"
    assert cells[4].get("class") == "step-status" and text_of(cells[4]).startswith("Failed")
    assert cells[4].find("span[@class='error']") is not None
    assert f"(propagated from build {build_id} )" in text_of(cells[4])
    assert cells[4].findall("a")[-1].get("href") == f"{demo.url}/build/{build_id}"


def test_build_page_running_failed_and_succeeded(demo: DemoServer) -> None:
    world = demo.world
    now = world.now()
    live = world.evals[world.projects["hello"].jobsets["main"].evals[-1]]
    builds = [world.build(i) for i in live.build_ids]
    running = next(b for b in builds if b.phase(now) == "running")
    root = page(demo, f"/build/{running.id}")
    assert [text_of(h) for h in root.iter("h3")] == ["Running build steps"]
    assert "Building" in text_of(root.find(".//td[@class='step-status']"))  # type: ignore[arg-type]
    by_status = {b.status(now): b for b in builds if b.phase(now) == "finished"}
    for status, h3 in ((0, []), (4, []), (6, []), (1, ["Failed build steps"]), (7, ["Failed build steps"])):
        root = page(demo, f"/build/{by_status[status].id}")
        assert [text_of(h) for h in root.iter("h3")] == h3, status
    root = page(demo, f"/build/{by_status[7].id}")
    assert "Timed out" in text_of(root.find(".//td[@class='step-status']"))  # type: ignore[arg-type]
    root = page(demo, f"/build/{by_status[3].id}")
    cell = root.find(".//td[@class='step-status']")
    assert cell is not None and text_of(cell).startswith("Aborted:") and cell.find("em") is not None
    queued = next(b for b in builds if b.phase(now) == "queued")
    assert [text_of(h) for h in page(demo, f"/build/{queued.id}").iter("h3")] == []


def test_compare_variants(demo: DemoServer) -> None:
    world = demo.world
    main = world.projects["hello"].jobsets["main"].evals
    ev = main[-2]

    def other(path: str) -> int | None:
        root = page(demo, path)
        p = next((p for p in root.iter("p") if text_of(p).startswith("Comparisons are relative to")), None)
        return int(text_of(p).rstrip(".").split()[-1]) if p is not None else None

    assert other(f"/eval/{ev}") == main[-3]
    assert other(f"/eval/{ev}?compare={main[3]}") == main[3]
    day_before = world.evals[ev].timestamp - 86400
    expected = max((i for i in main if world.evals[i].timestamp <= day_before), key=lambda i: world.evals[i].timestamp)
    assert other(f"/eval/{ev}?compare=-86400") == expected
    assert other(f"/eval/{main[0]}?compare=-86400") is None  # nothing that old: every job is new
    root = page(demo, f"/eval/{main[0]}?compare=-86400")
    assert set(tabs(root)) <= {"tabs-new", "tabs-aborted"}
    staging = world.projects["hello"].jobsets["staging"].evals
    # The latest *finished* evaluation of the other jobset: staging's newest still has queued builds.
    assert other(f"/eval/{ev}?compare=staging") == staging[-2]
    for bad, message in (
        ("x y", "Unknown comparison source"),
        ("nope", "Jobset nope doesn't exist."),
        ("99999", "Evaluation 99999 doesn't exist."),
    ):
        answer = get(demo, f"/eval/{ev}", params={"compare": bad})
        assert answer.status_code == 404 and message in html.unescape(answer.text)
    big = trunk(demo)
    assert other(f"/eval/{big[-1]}?compare={big[0]}") == big[0]


def test_filter_and_full(demo: DemoServer) -> None:
    newest = trunk(demo)[-1]
    whole = tabs(page(demo, f"/eval/{newest}"))
    root = page(demo, f"/eval/{newest}?filter=OpenSSL")
    found = tabs(root)
    assert found["tabs-now-fail"][1] >= 2 and sum(c for _, c in found.values()) < 5000
    for tab_id in found:
        for tr in build_rows(pane(root, tab_id)):
            assert "openssl" in text_of(tr.findall("./td")[2]).lower()
    assert all(found[t][1] <= whole[t][1] for t in found)
    assert root.find(".//input[@name='filter']").get("value") == "OpenSSL"  # type: ignore[union-attr]
    # SQL ILIKE wildcards: _ is any one character.
    wild = tabs(page(demo, f"/eval/{newest}?filter=0p_nssl"))
    assert wild == {}
    assert tabs(page(demo, f"/eval/{newest}?filter=op_nssl")) == found
    # full=1 lists every row; a filter keeps the page small enough for a test.
    capped = page(demo, f"/eval/{newest}?filter=haskellPackages.a")
    counts = tabs(capped)
    big_tab = max(counts, key=lambda t: counts[t][1])
    assert counts[big_tab][1] > 250 and len(build_rows(pane(capped, big_tab))) == 250
    full = page(demo, f"/eval/{newest}?filter=haskellPackages.a&full=1")
    assert tabs(full) == counts
    for tab_id, (_, count) in counts.items():
        if tab_id != "tabs-removed":
            assert len(build_rows(pane(full, tab_id))) == count
            assert not [tr for tr in pane(full, tab_id).iter("tr") if "omitted" in text_of(tr)]


def test_small_jobset_comparison_matches_buildDiff(demo: DemoServer) -> None:
    world = demo.world
    main = world.projects["hello"].jobsets["main"].evals
    root = page(demo, f"/eval/{main[-1]}")
    now = world.now()

    def items(eval_id: int) -> list[Item]:
        out = []
        for build_id in world.evals[eval_id].build_ids:
            b = world.build(build_id)
            out.append(Item(b.job, b.system, b.id, b.phase(now) == "finished", b.status(now)))
        return out

    expected = build_diff(items(main[-1]), items(main[-2]))
    shown = tabs(root)
    for cat, tab_id in (
        (Cat.NOW_FAIL, "tabs-now-fail"),
        (Cat.UNFINISHED, "tabs-unfinished"),
        (Cat.ABORTED, "tabs-aborted"),
    ):
        assert shown.get(tab_id, ("", 0))[1] == expected.count(cat)
        ids = [int(tr.find("./td/a[@class='row-link']").text) for tr in build_rows(pane(root, tab_id))]  # type: ignore[arg-type, union-attr]
        assert ids == [i.id for i in expected.items(cat)]


def test_big_comparison_equals_the_walk(demo: DemoServer) -> None:
    """The byte-string fast path gives exactly what BuildDiff's walk gives on the same two evaluations."""
    world = demo.world
    newest, before = (world.evals[i] for i in trunk(demo)[-2:][::-1])
    for pattern in ("python3", ""):
        fast = world.compare(newest, before, pattern)
        walk = build_diff(world.items(newest, pattern), world.items(before, pattern))
        for cat in Cat:
            if cat is Cat.NONE:
                continue
            assert fast.count(cat) == walk.count(cat), (pattern, cat)
        assert [r.id for r in fast.rows(Cat.NOW_FAIL, 300)] == [i.id for i in walk.items(Cat.NOW_FAIL, 300)]
        assert [r.job for r in fast.rows(Cat.REMOVED, None)] == [i.job for i in walk.items(Cat.REMOVED)]
        assert fast.totals == walk.totals


def test_removed_quirk() -> None:
    def item(job: str, status: int = 0) -> Item:
        return Item(job, "x86_64-linux", hash(job) % 1000, True, status)

    diff = build_diff([item("b")], [item("a"), item("b"), item("c")])
    assert [i.job for i in diff.items(Cat.REMOVED)] == ["a"]  # "c" sorts after the last current job
    diff = build_diff([item("b", 7), item("d")], [item("b", 1)])
    assert [i.job for i in diff.items(Cat.ABORTED)] == ["b"] and [i.job for i in diff.items(Cat.NEW)] == ["d"]
    assert diff.totals.aborted == 1 and diff.count(Cat.STILL_FAIL) == 0


def test_jobs_persist_across_nixpkgs_evaluations(demo: DemoServer) -> None:
    world = demo.world
    evals = [world.evals[i] for i in trunk(demo)]
    assert len(evals[-1].build_ids) == bigset.BIG_EVAL_SIZE
    kept = [i for i in evals[-2].build_ids[:2000] if i in evals[-1].build_ids]
    assert 0.8 * 2000 < len(kept) < 2000  # most jobs keep their build, some get a new one
    for build_id in kept[:20]:
        b = world.build(build_id)
        assert evals[-1].id in b.evals and evals[-2].id in b.evals
        assert world.eval_job(evals[-1], b.job) == build_id


def test_job_redirect(demo: DemoServer) -> None:
    world = demo.world
    ev = world.evals[world.projects["hello"].jobsets["main"].evals[-1]]
    b = world.build(ev.build_ids[3])
    answer = get(demo, f"/eval/{ev.id}/job/{b.job}", follow_redirects=False)
    assert answer.status_code == 302 and answer.headers["location"] == f"{demo.url}/build/{b.id}"
    answer = get(demo, f"/eval/{ev.id}/job/{b.job}/log/raw", follow_redirects=False)
    assert answer.headers["location"] == f"{demo.url}/build/{b.id}/log/raw"
    answer = get(demo, f"/eval/{ev.id}/job/no-such-job.x86_64-linux", follow_redirects=False)
    assert answer.status_code == 404 and "This evaluation has no job with the specified name." in answer.text
    newest = trunk(demo)[-1]
    answer = get(demo, f"/eval/{newest}/job/openssl.x86_64-linux", follow_redirects=False)
    culprit = int(answer.headers["location"].rsplit("/", 1)[1])
    assert world.build(culprit).job == "openssl.x86_64-linux" and culprit in world.evals[newest].build_ids
    assert get(demo, f"/eval/{newest}/job/openssl", follow_redirects=False).status_code == 404


def test_evals_page_counts(demo: DemoServer) -> None:
    world = demo.world
    for project, jobset in (("hello", "main"), ("nixpkgs", "trunk"), ("hello", "broken")):
        root = page(demo, f"/jobset/{project}/{jobset}/evals")
        rows = [tr for tr in root.findall(".//tbody/tr") if tr.find("./td/a[@class='row-link']") is not None]
        ids = list(reversed(world.projects[project].jobsets[jobset].evals))[:20]
        assert [int(tr.find("./td/a").text) for tr in rows] == ids  # type: ignore[arg-type, union-attr]
        for n, tr in enumerate(rows):
            counts = world.counts(world.evals[ids[n]])
            cells = tr.findall("./td")
            assert text_of(cells[3].find("span[@class='badge badge-success']")) == str(counts["nrsucceeded"])  # type: ignore[arg-type]
            failed = cells[4].find("span[@class='badge badge-danger']")
            assert (int(text_of(failed)) if failed is not None else 0) == counts["nrtotal"] - counts[
                "nrsucceeded"
            ] - counts["nrscheduled"]
            queued = cells[5].find("span[@class='badge badge-secondary']")
            assert (int(text_of(queued)) if queued is not None else 0) == counts["nrscheduled"]
            if n + 1 < len(ids):
                diff = counts["nrsucceeded"] - world.counts(world.evals[ids[n + 1]])["nrsucceeded"]
                badge = text_of(cells[6])
                if diff > 0:
                    assert badge == f"+{diff}"
                elif diff < 0 and counts["nrscheduled"] == 0:
                    assert badge == str(diff)
                else:
                    assert badge == ""
            changes = text_of(cells[2])
            assert changes.startswith("-") or "→" in changes
            assert ("Eval Errors" in changes) == (jobset == "broken")
    assert len(rows_of_page := page(demo, "/jobset/hello/main/evals?page=3").findall(".//tbody/tr")) == 5  # 45 evals
    assert rows_of_page


def test_latestbuilds_covers_the_big_jobset(demo: DemoServer) -> None:
    found = httpx.get(f"{demo.url}/api/latestbuilds", params={"project": "nixpkgs", "jobset": "trunk", "nr": 40}).json()
    assert len(found) == 40 and all(b["finished"] == 1 and b["project"] == "nixpkgs" for b in found)
    ids = [b["id"] for b in found]
    assert ids == sorted(ids, reverse=True)
    newest = demo.world.evals[trunk(demo)[-1]]
    assert all(i in newest.build_ids for i in ids)
    world = demo.world
    finished = [i for i in newest.build_ids if i >= ids[-1] and world.build(i).phase(world.now()) == "finished"]
    assert sorted(finished, reverse=True) == ids  # none skipped


def test_rate_limit_and_faults_apply_to_pages(clock: object) -> None:
    with DemoServer(clock=clock, start=T0, faults=Faults(rate_limit=True)) as demo:  # type: ignore[arg-type]
        main = demo.world.projects["hello"].jobsets["main"].evals[-1]
        statuses = [get(demo, f"/eval/{main}").status_code for _ in range(12)]
        assert 429 in statuses and statuses[0] == 200
    with DemoServer(clock=clock, start=T0, faults=Faults(errors=1.0)) as demo:  # type: ignore[arg-type]
        assert get(demo, "/jobset/hello/main/evals").status_code in (500, 502, 504)


def test_control_characters_pass_through(clock: object) -> None:
    def rename(world: World) -> None:
        ev = world.evals[world.projects["hello"].jobsets["main"].evals[-1]]
        world.build(ev.build_ids[0]).job = "evil\x1b[31m<b>.x86_64-linux"

    with DemoServer(clock=clock, start=T0, configure=rename) as demo:  # type: ignore[arg-type]
        main = demo.world.projects["hello"].jobsets["main"].evals[-1]
        text = get(demo, f"/eval/{main}").text
        assert "evil\x1b[31m&lt;b&gt;.x86_64-linux" in text


@pytest.mark.parametrize("path", ["/eval/{eval}", "/jobset/hello/main/evals", "/build/{build}"])
def test_json_still_negotiated(demo: DemoServer, path: str) -> None:
    ev = demo.world.evals[demo.world.projects["hello"].jobsets["main"].evals[-1]]
    url = demo.url + path.format(eval=ev.id, build=ev.build_ids[0])
    answer = httpx.get(url, headers={"Accept": "application/json"})
    assert answer.headers["content-type"].startswith("application/json") and answer.json()
