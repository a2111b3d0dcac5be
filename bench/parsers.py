# ruff: noqa: E501  (the markup keeps the long lines of Hydra's templates)
"""Measures HTML parsers on Hydra's evaluation comparison page, to choose the one `api/pages.py` uses.

Two synthetic pages with the markup of Hydra's `jobset-eval.tt` / `renderBuildListBody` (today's template):
  (a) a comparison with 250 rows in each of the 8 tabs (what `/eval/N` answers without `full=1`);
  (b) `full=1` of a 250,000-build comparison (every row of every tab).
selectolax's modest backend is gone since selectolax 1.0 (it raises ImportError), so lexbor stands for
selectolax. Each candidate extracts the same thing (per tab: status title, build id, job, package name, system)
in its own process, so its peak RSS is its own. Full-tree parsers get the whole body, as they need it; streaming parsers are
fed 64 KiB chunks, as an HTTP response arrives. Run:
    python bench/parsers.py [--rows-full 250000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

TABS = (
    ("tabs-aborted", "Aborted / Timed out Jobs", 0.01),
    ("tabs-now-fail", "Newly Failing Jobs", 0.01),
    ("tabs-now-succeed", "Newly Succeeding Jobs", 0.01),
    ("tabs-new", "New Jobs", 0.02),
    ("tabs-removed", "Removed Jobs", 0.01),
    ("tabs-still-fail", "Still Failing Jobs", 0.04),
    ("tabs-still-succeed", "Still Succeeding Jobs", 0.89),
    ("tabs-unfinished", "Queued Jobs", 0.01),
)
BASE = "https://hydra.nixos.org"
ICONS = {
    "Succeeded": "emojione-check-2714.svg",
    "Failed": "emojione-red-x-274c.svg",
    "Dependency failed": "emojione-gray-x-2716.svg",
    "Timed out": "emojione-stopsign-1f6d1.svg",
    "Queued": "emojione-question-2754.svg",
}
CHUNK = 1 << 16


def _row(build_id: int, job: str, system: str, title: str) -> str:
    link = f"{BASE}/build/{build_id}"
    return f"""    <tr>
        <td>
          <img src="{BASE}/static/images/{ICONS[title]}" height="16" width="16" title="{title}" alt="{title}" class="build-status" />
        </td>
      <td><a class="row-link" href="{link}">{build_id}</a></td>
        <td>
          <a href="{link}">{job}</a>
        </td>
      <td class="nowrap"><time data-timestamp="1795690000" title="2026-11-26 10:46:40 (UTC)" datetime="2026-11-26T10:46:40Z" class="date is-relative">
1h ago
</time></td>
      <td>{job.rsplit(".", 1)[0]}-1.2.3</td>
      <td class="nowrap"><tt>{system}</tt></td>
    </tr>
"""


def page(per_tab: dict[str, int], cap: int | None) -> str:
    """A comparison page; `cap` = 250 renders the omitted-rows marker as Hydra does without full=1."""
    rng = random.Random(9)
    out = ["<!DOCTYPE html>\n<html><head><title>Evaluation 1 of jobset nixpkgs:trunk</title></head><body>\n"]
    out.append(f'<p>Comparisons are relative to <tt>nixpkgs:trunk</tt> evaluation <a href="{BASE}/eval/0">0</a>.</p>')
    out.append('<ul class="nav nav-tabs">\n')
    for tab, label, _ in TABS:
        if per_tab[tab]:
            out.append(
                f'  <li class="nav-item"><a class="nav-link" href="#{tab}" data-toggle="tab">'
                f'<span class="text-warning">{label} ({per_tab[tab]})</span></a></li>\n'
            )
    out.append('</ul>\n<div class="tab-content">\n')
    build_id = 1000
    for tab, _, _ in TABS:
        n = per_tab[tab]
        shown = n if cap is None else min(n, cap)
        out.append(f'  <div id="{tab}" class="tab-pane">\n')
        out.append('  <table class="table table-striped table-condensed clickable-rows">\n    <thead>\n      <tr>')
        out.append("<th></th><th>#</th><th>Job</th><th>Finished at</th><th>Package/release name</th><th>System</th>")
        out.append("</tr>\n    </thead>\n    <tbody>\n")
        for i in range(shown):
            job = f"python3Packages.pkg{tab[5:]}{i}.x86_64-linux"
            system = rng.choice(("x86_64-linux", "aarch64-linux", "x86_64-darwin"))
            if tab == "tabs-removed":
                out.append(
                    f'<tr><td><a href="{BASE}/job/nixpkgs/trunk/{job}">{job}</a></td><td><tt>{system}</tt></td></tr>\n'
                )
                continue
            title = "Queued" if tab == "tabs-unfinished" else rng.choice(tuple(ICONS)[:4])
            build_id += 1
            out.append(_row(build_id, job, system, title))
        if shown < n:
            out.append(
                f'<tr><td class="centered" colspan="6"><a href="?full=1{"#" + tab}"><em>({n - shown} more builds omitted)</em></a></td></tr>\n'
            )
        out.append("    </tbody>\n  </table>\n  </div>\n")
    out.append("</div>\n</body></html>\n")
    return "".join(out)


# --- the candidates: each returns {tab: [(title, id, job, name, system), …]} --------------------------------

Rows = dict[str, list[tuple[str, int, str, str, str]]]


def _build_id(href: str) -> int:
    return int(href.rsplit("/build/", 1)[1].split("/")[0].split("?")[0]) if "/build/" in href else 0


def selectolax_lexbor(data: bytes) -> Rows:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(data)
    out: Rows = {}
    for pane in tree.css("div.tab-pane[id^=tabs-]"):
        rows = out.setdefault(pane.attributes.get("id") or "", [])
        for tr in pane.css("tbody > tr"):
            img = tr.css_first("img[title]")
            links = tr.css("a[href]")
            tds = tr.css("td")
            tt = tr.css_first("tt")
            if not links:
                continue
            bid = _build_id(links[0].attributes.get("href") or "")
            job = links[-1].text(strip=True)
            name = tds[-2].text(strip=True) if len(tds) >= 2 else ""
            rows.append(((img.attributes.get("title") or "") if img else "", bid, job, name, tt.text() if tt else ""))
    return out


def _lxml_row(tr: object) -> tuple[str, int, str, str, str] | None:
    titles = tr.xpath(".//img/@title")  # type: ignore[attr-defined]
    links = tr.xpath(".//a[@href]")  # type: ignore[attr-defined]
    if not links:
        return None
    tds = tr.findall("td")  # type: ignore[attr-defined]
    tts = tr.xpath(".//tt")  # type: ignore[attr-defined]
    return (
        titles[0] if titles else "",
        _build_id(links[0].get("href")),
        "".join(links[-1].itertext()).strip(),
        "".join(tds[-2].itertext()).strip() if len(tds) >= 2 else "",
        "".join(tts[0].itertext()) if tts else "",
    )


def lxml_tree(data: bytes) -> Rows:
    import lxml.html

    tree = lxml.html.fromstring(data)
    out: Rows = {}
    for pane in tree.xpath('//div[starts-with(@id, "tabs-")]'):
        rows = out.setdefault(pane.get("id"), [])
        for tr in pane.xpath("./table/tbody/tr"):
            row = _lxml_row(tr)
            if row:
                rows.append(row)
    return out


def lxml_stream(chunks: Iterator[bytes]) -> Rows:
    """lxml's incremental HTML parser: each finished <tr> is read, then dropped with what came before it."""
    from lxml import etree

    parser = etree.HTMLPullParser(events=("start", "end"), tag=("div", "tr"))
    out: Rows = {}
    rows: list[tuple[str, int, str, str, str]] | None = None
    for chunk in chunks:
        parser.feed(chunk)
        for event, el in parser.read_events():
            if el.tag == "div":
                pane = el.get("id") or ""
                if event == "start" and pane.startswith("tabs-"):
                    rows = out.setdefault(pane, [])
                elif event == "end" and pane.startswith("tabs-"):
                    rows = None
                continue
            if event != "end":
                continue
            if rows is not None:
                row = _lxml_row(el)
                if row:
                    rows.append(row)
            el.clear()
            parent = el.getparent()
            while parent is not None and el.getprevious() is not None:
                del parent[0]
    parser.close()
    return out


class _Events:
    """The same row extraction from parser events (start tag, end tag, text), shared by the event parsers."""

    def __init__(self) -> None:
        self.out: Rows = {}
        self.rows: list[tuple[str, int, str, str, str]] | None = None
        self.cells: list[str] = []
        self.title = ""
        self.hrefs: list[str] = []
        self.link_text: list[str] = []
        self.tt = ""
        self.in_tt = False
        self.in_a = False

    def start(self, tag: str, a: dict[str, str | None]) -> None:
        if tag == "div" and (a.get("id") or "").startswith("tabs-"):
            self.rows = self.out.setdefault(a["id"] or "", [])
        elif self.rows is None:
            return
        elif tag == "tr":
            self.cells, self.title, self.hrefs, self.link_text, self.tt = [], "", [], [], ""
        elif tag == "td":
            self.cells.append("")
        elif tag == "img":
            self.title = a.get("title") or ""
        elif tag == "a":
            self.hrefs.append(a.get("href") or "")
            self.link_text.append("")
            self.in_a = True
        elif tag == "tt":
            self.in_tt = True

    def end(self, tag: str) -> None:
        if self.rows is None:
            return
        if tag == "a":
            self.in_a = False
        elif tag == "tt":
            self.in_tt = False
        elif tag == "tr" and self.hrefs and self.cells:
            name = self.cells[-2].strip() if len(self.cells) >= 2 else ""
            self.rows.append((self.title, _build_id(self.hrefs[0]), self.link_text[-1].strip(), name, self.tt))
        elif tag == "table":
            self.rows = None

    def data(self, data: str) -> None:
        if self.rows is None:
            return
        if self.cells:
            self.cells[-1] += data
        if self.in_a:
            self.link_text[-1] += data
        if self.in_tt:
            self.tt += data

    def close(self) -> Rows:
        return self.out


def stdlib(chunks: Iterator[bytes]) -> Rows:
    from html.parser import HTMLParser

    events = _Events()

    class Reader(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            events.start(tag, dict(attrs))

        def handle_endtag(self, tag: str) -> None:
            events.end(tag)

        def handle_data(self, data: str) -> None:
            events.data(data)

    reader = Reader(convert_charrefs=True)
    for chunk in chunks:
        reader.feed(chunk.decode("utf-8", "replace"))
    reader.close()
    return events.out


def lxml_target(chunks: Iterator[bytes]) -> Rows:
    """lxml's C tokenizer calling back into Python for each tag and text: no tree at all."""
    from lxml import etree

    events = _Events()

    class Target:
        def start(self, tag: str, attrib: dict[str, str]) -> None:
            events.start(tag, attrib)  # type: ignore[arg-type]

        def end(self, tag: str) -> None:
            events.end(tag)

        def data(self, data: str) -> None:
            events.data(data)

        def close(self) -> None:
            return None

    parser = etree.HTMLParser(target=Target())
    for chunk in chunks:
        parser.feed(chunk)
    parser.close()
    return events.out


TREE: dict[str, Callable[[bytes], Rows]] = {
    "selectolax (lexbor)": selectolax_lexbor,
    "lxml (tree)": lxml_tree,
}
STREAM: dict[str, Callable[[Iterator[bytes]], Rows]] = {
    "lxml (incremental, rows dropped)": lxml_stream,
    "lxml (incremental, parser target)": lxml_target,
    "html.parser (stdlib, incremental)": stdlib,
}


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def _peak_kib() -> int:
    """This process's peak RSS. ru_maxrss would carry the parent's peak over exec; VmHWM starts afresh."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(name: str, path: Path) -> None:
    """Runs one candidate once and prints {seconds, peak_rss_mb, rows}."""
    start = time.perf_counter()
    rows = TREE[name](path.read_bytes()) if name in TREE else STREAM[name](_chunks(path))
    seconds = time.perf_counter() - start
    peak = _peak_kib()
    total = sum(len(r) for r in rows.values())
    digest = hash(tuple(sorted((k, tuple(v[:3] + v[-3:])) for k, v in rows.items())))
    print(json.dumps({"s": seconds, "rss": peak / 1024, "rows": total, "d": digest}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows-full", type=int, default=250_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    cases = {
        "250 rows a tab": page({t: 1000 for t, _, _ in TABS}, cap=250),
        f"full=1, {args.rows_full:,} builds": page(
            {t: max(1, int(args.rows_full * share)) for t, _, share in TABS}, cap=None
        ),
    }
    with tempfile.TemporaryDirectory() as tmp:
        print("| page | parser | time (median) | peak RSS | rows |")
        print("|---|---|---|---|---|")
        for case, html in cases.items():
            path = Path(tmp) / "page.html"
            path.write_text(html)
            size = os.path.getsize(path) / 1e6
            digests = set()
            for name in (*TREE, *STREAM):
                runs = []
                for _ in range(args.repeat):
                    out = subprocess.run(
                        [sys.executable, __file__, "--child", name, str(path)],
                        capture_output=True,
                        text=True,
                        check=True,
                        env={**os.environ, "PYTHONHASHSEED": "0"},
                    )
                    runs.append(json.loads(out.stdout))
                runs.sort(key=lambda r: r["s"])
                mid = runs[len(runs) // 2]
                digests.add(mid["d"])
                print(f"| {case} ({size:.1f} MB) | {name} | {mid['s']:.2f} s | {mid['rss']:.0f} MB | {mid['rows']:,} |")
            if len(digests) != 1:
                print(f"warning: the candidates disagree on {case}", file=sys.stderr)


if __name__ == "__main__":
    main()
