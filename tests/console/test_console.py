"""The console in a real browser against a real workspace: every page with real data, every
action reflected in the store, the token required everywhere, cross-site actions refused.

Each page visited is saved as a screenshot in ``test-artifacts/console/``.
"""

from __future__ import annotations

import http.server
import re
import stat
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sparkgrove.cluster.manager import ClusterManager
from sparkgrove.console.security import csrf_value
from sparkgrove.store.bookmark_store import BookmarkStore
from sparkgrove.store.step_store import StepStore
from sparkgrove.workspace import Workspace
from tests.console.big import NODES, PARTITIONS
from tests.console.conftest import ARTIFACTS, CLUSTER, Console, Filled
from tests.helpers import wait_for

PAGES = ["/", "/catalog", "/catalog/demo/penguins", "/catalog/demo/penguins/sample",
         "/catalog/lab/evolving/diff", "/jobs", "/jobs/etl/1", "/models",
         "/models/penguin_species", "/models/penguin_species/1", "/models/penguin_sex/compare",
         "/clusters", f"/clusters/{CLUSTER}", "/static/console.css"]
ACTIONS = ["/models/penguin_sex/aliases", "/models/penguin_sex/aliases/production/delete",
           "/jobs/bookmarks/clean_penguins/reset", f"/clusters/{CLUSTER}/steps",
           f"/clusters/{CLUSTER}/stop"]


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def check_accessible(page: Any) -> None:
    """One h1, a main landmark, a language, and a label for every visible form control."""
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("main").count() == 1
    assert page.locator("h1").count() == 1
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]), select, textarea')].filter(el =>
        !(el.id && document.querySelector('label[for="' + el.id + '"]'))
        && !el.getAttribute('aria-label')).map(el => el.name)""")
    assert unlabelled == []
    assert page.evaluate("() => [...document.images].every(i => i.alt)")


def click_and_load(page: Any, selector: str) -> None:
    """Click something that loads a page, and wait until that page has loaded."""
    with page.expect_navigation(wait_until="load"):
        page.click(selector)


def visit(page: Any, console: Console, path: str, name: str) -> Any:
    response = page.goto(console.url + path)
    assert response.status == 200, (path, response.status, page.inner_text("main")[:500])
    check_accessible(page)
    shot(page, name)
    return response


def test_every_page_and_action_needs_the_token(console: Console, filled: Filled) -> None:
    for path in PAGES:
        assert httpx.get(console.url + path).status_code == 401, path
        assert httpx.get(console.url + path, params={"token": "wrong"}).status_code == 401
        bearer = httpx.get(console.url + path,
                           headers={"Authorization": f"Bearer {console.token}"})
        assert bearer.status_code == 200, path
    for path in ACTIONS:
        answer = httpx.post(console.url + path, data={"csrf": csrf_value(console.token)})
        assert answer.status_code == 401, path
    token_file = filled.settings.workspace / "console" / "token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    answer = httpx.get(console.url + "/models", headers={
        "Authorization": f"Bearer {console.token}"})
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["referrer-policy"] == "same-origin"


def test_the_token_url_becomes_a_strict_cookie_and_leaves_the_address(page: Any,
                                                                     console: Console) -> None:
    assert "token" not in page.url
    cookie = next(c for c in page.context.cookies() if c["name"] == "sparkgrove_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.goto(f"{console.url}/models?token={console.token}")
    assert page.url == f"{console.url}/models"


def test_catalog_pages_show_tables_schema_partitions_files_and_samples(
        page: Any, console: Console) -> None:
    visit(page, console, "/catalog", "catalog")
    assert "demo.penguins_clean" in page.inner_text("main")
    page.fill("#q", "flipper")
    click_and_load(page, "form[role=search] button")
    found = page.inner_text("main")
    assert "demo.penguins" in found and "lab.evolving" not in found
    visit(page, console, "/catalog/demo/penguins", "table")
    text = page.inner_text("main")
    assert "partition key" in text and "year" in text and "2 malformed records" in text
    assert page.locator("#partitions + table tbody tr").count() == 3  # 2007, 2008, 2009
    visit(page, console, "/catalog/demo/penguins/sample", "sample")
    assert page.locator(".scroll table tbody tr").count() == 20
    assert "fields where the table has" in page.inner_text("main")  # a malformed record, shown
    assert "Adelie" in page.inner_text("main")


def test_a_schema_diff_between_versions(page: Any, console: Console) -> None:
    visit(page, console, "/catalog/lab/evolving", "table-versions")
    page.select_option("#a", "1")
    page.select_option("#b", "2")
    click_and_load(page, "text=Show the differences")
    assert "/diff?a=1&b=2" in page.url
    row = page.locator("table.diff tr.added")
    assert row.count() == 1 and "region" in row.inner_text()  # as Glue, the crawler lowercases
    shot(page, "diff")


def test_ten_thousand_partitions_are_paged(page: Any, console: Console, filled: Filled) -> None:
    database, table = filled.big_table.split(".")
    visit(page, console, f"/catalog/{database}/{table}", "partitions")
    assert f"({PARTITIONS:,})" in page.inner_text("#partitions")
    assert page.locator("#partitions + table tbody tr").count() == 100
    click_and_load(page, "a[rel=next]")
    assert "page=2" in page.url and "Page 2 of 100" in page.inner_text("main")
    page.goto(f"{console.url}/catalog/{database}/{table}?page=100")
    assert page.locator("#partitions + table tbody tr").count() == 100
    assert "hour=99" in page.inner_text("#partitions + table tbody tr >> nth=-1")


def test_jobs_etl_run_log_and_bookmark_reset(page: Any, console: Console,
                                            filled: Filled) -> None:
    visit(page, console, "/jobs", "jobs")
    assert "clean_penguins" in page.inner_text("main")
    click_and_load(page, f"a[href='/jobs/etl/{filled.etl_run}']")
    text = page.inner_text("main")
    assert "SUCCEEDED" in text and "Error records" in text
    assert page.locator("pre.log").count() == 1
    shot(page, "etl-run")
    ws = Workspace(filled.settings)
    assert BookmarkStore(ws.catalog.database).show("clean_penguins")
    click_and_load(page, "text=Reset the bookmarks of clean_penguins")
    assert "Reset" in page.inner_text(".notice")
    assert BookmarkStore(ws.catalog.database).show("clean_penguins") == []
    ws.close()


def test_a_notebook_run_is_rendered_without_running_its_scripts(page: Any, console: Console,
                                                               filled: Filled) -> None:
    visit(page, console, "/jobs", "jobs-notebooks")
    click_and_load(page, f"a[href='/jobs/notebooks/{filled.notebook_run}']")
    shot(page, "notebook-run")
    main = page.inner_text("main")
    assert "Penguin notes" in page.inner_text("main h2 ~ section.markdown h1")
    assert "bills measured: 342" in main
    assert page.locator("section.cell img[src^='data:image/png;base64,']").count() == 1
    assert page.evaluate("() => window.pwnedByMarkdown === undefined && "
                         "window.pwnedByOutput === undefined")
    assert page.locator("a[href^='javascript:']").count() == 0
    assert "<script>" in main  # shown as text


def test_model_pages_metrics_matrix_roc_importances_and_lineage(page: Any, console: Console,
                                                               filled: Filled) -> None:
    visit(page, console, "/models", "models")
    assert "penguin_species" in page.inner_text("main")
    name, version = filled.demo_model.split(":")
    visit(page, console, f"/models/{name}/{version}", "version-multiclass")
    assert page.locator("table.matrix tbody tr").count() == 3
    click_and_load(page, "dd a[href='/catalog/demo/penguins_clean']")
    assert page.url.endswith("/catalog/demo/penguins_clean")
    visit(page, console, f"/models/{filled.binary_model}/2", "version-binary")
    assert page.locator("svg.roc polyline").count() == 1
    points = page.locator("svg.roc polyline").get_attribute("points").split()
    assert len(points) > 3
    assert page.locator("svg.bars rect").count() >= 3


def test_the_tree_folds_without_script_and_pans_and_zooms_with_it(
        page: Any, browser: Any, console: Console, filled: Filled) -> None:
    path = f"/models/{filled.binary_model}/2"
    visit(page, console, path, "tree")
    drawn = page.locator("svg.tree g.node").count()
    assert drawn > 3
    before = page.get_attribute("svg.tree", "viewBox")
    page.locator(".tree-box").scroll_into_view_if_needed()
    box = page.locator(".tree-box").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    wait_for(lambda: page.get_attribute("svg.tree", "viewBox") != before, 10, "a zoom")
    page.click("text=Fit")
    assert page.get_attribute("svg.tree", "viewBox") == before
    # folding: the root's left child closes, and opens again, as links (no script needed)
    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    plain.goto(f"{console.url}/?token={console.token}")
    plain.goto(console.url + path)
    click_and_load(plain, "svg.tree a[aria-label='fold node 1']")
    assert "fold=1" in plain.url
    folded = plain.locator("svg.tree g.node").count()
    assert folded < drawn and plain.locator("svg.tree g.node.folded").count() == 1
    click_and_load(plain, "svg.tree a[aria-label='unfold node 1']")
    assert plain.locator("svg.tree g.node").count() == drawn
    context.close()


def test_a_ten_thousand_node_tree_is_drawn_whole(page: Any, console: Console,
                                                filled: Filled) -> None:
    name, version = filled.big_model.split(":")
    visit(page, console, f"/models/{name}/{version}", "big-tree-default")
    assert page.locator("svg.tree g.node").count() < NODES  # large trees open folded
    page.fill("#depth", "all")
    click_and_load(page, "#tree button[type=submit]")
    assert page.locator("svg.tree g.node").count() == NODES
    shot(page, "big-tree-whole")
    # drawn compact: a click on a split folds it (script), or its number in the form does
    with page.expect_navigation(wait_until="load"):
        page.dispatch_event("svg.tree g.node[data-node='1']", "click")
    assert "fold=1" in page.url
    folded = page.locator("svg.tree g.node").count()
    assert folded < NODES and page.locator("svg.tree g.node.folded").count() == 1
    page.fill("#fold", "1,2")
    click_and_load(page, "#tree button[type=submit]")
    assert page.locator("svg.tree g.node.folded").count() == 2


def test_two_versions_side_by_side(page: Any, console: Console, filled: Filled) -> None:
    visit(page, console, f"/models/{filled.binary_model}", "model")
    click_and_load(page, "form[action$='/compare'] button")
    assert re.search(r"/compare\?a=1&b=2$", page.url)
    shot(page, "compare")
    changed = page.locator("table.compare tr.changed").all_inner_texts()
    assert any(row.startswith("max_depth") for row in changed)


def test_aliases_are_set_moved_and_removed(page: Any, console: Console,
                                          filled: Filled) -> None:
    ws = Workspace(filled.settings)
    visit(page, console, f"/models/{filled.binary_model}", "aliases")
    page.fill("#alias", "staging")
    page.select_option("#version", "2")
    click_and_load(page, "#alias-form button")
    assert "staging now points at version 2" in page.inner_text(".notice")
    assert ws.registry.aliases(filled.binary_model)["staging"] == 2
    page.fill("#alias", "production")
    page.select_option("#version", "2")
    click_and_load(page, "#alias-form button")
    assert ws.registry.aliases(filled.binary_model)["production"] == 2
    click_and_load(page, "button[aria-label='Remove alias staging']")
    assert "staging" not in ws.registry.aliases(filled.binary_model)
    page.fill("#alias", "bad name!")
    page.evaluate("document.querySelector('#alias').removeAttribute('pattern')")
    click_and_load(page, "#alias-form button")
    assert "not allowed" in page.inner_text("main")
    ws.close()


@pytest.fixture
def other_site(console: Console) -> Iterator[str]:
    """A page on another origin (another port of the same host: same site, other origin)
    whose form posts to the console as soon as it loads."""
    target = f"{console.url}/models/penguin_sex/aliases"
    leaked = csrf_value(console.token)  # even a leaked CSRF value does not help another origin
    body = (f"<!doctype html><form id=f method=post action='{target}'>"
            f"<input name=alias value=hijacked><input name=version value=1>"
            f"<input name=csrf value={leaked}></form>"
            "<script>document.getElementById('f').submit()</script>").encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_a_cross_site_post_is_refused(page: Any, console: Console, filled: Filled,
                                      other_site: str) -> None:
    with page.expect_navigation(url=re.compile(r".*/aliases$")) as navigation:
        page.goto(other_site)
    assert navigation.value.status == 403
    assert "another site or origin" in page.inner_text("main")
    ws = Workspace(filled.settings)
    assert "hijacked" not in ws.registry.aliases(filled.binary_model)
    ws.close()
    forged = httpx.post(f"{console.url}/models/penguin_sex/aliases",
                        data={"alias": "hijacked", "version": "1"},
                        headers={"Authorization": f"Bearer {console.token}"})
    assert forged.status_code == 403 and "CSRF" in forged.text


def test_a_running_step_shows_its_stages_then_a_new_step_runs_and_the_cluster_stops(
        page: Any, console: Console, filled: Filled, tmp_path: Any) -> None:
    visit(page, console, f"/clusters/{CLUSTER}", "cluster")
    text = page.inner_text("main")
    assert "1 workers alive" in text and "RUNNING" in text
    step = filled.waiting_step

    def stages_shown() -> bool:
        page.goto(f"{console.url}/jobs/steps/{step.id}")
        return page.locator("h3:has-text('Stages') + table tbody tr").count() > 0

    wait_for(stages_shown, 150, "the running step's stages")
    assert "COMPLETE" in page.inner_text("h3:has-text('Stages') + table")
    shot(page, "step-running")
    filled.marker.touch()
    ws = Workspace(filled.settings)
    steps = StepStore(ws.catalog.database)
    wait_for(lambda: steps.get(step.id).state == "COMPLETED", 120, "the waiting step to end")
    script = tmp_path / "hello.py"
    script.write_text("print('hello from a console step')\n")
    visit(page, console, f"/clusters/{CLUSTER}", "cluster-add-step")
    page.fill("#target", str(script))
    page.fill("#step-name", "hello")
    click_and_load(page, "#step-form button")
    assert "queued" in page.inner_text(".notice")
    added = next(s for s in steps.for_cluster(CLUSTER) if s.name == "hello")
    assert added.target == str(script) and added.kind == "pyspark"
    done = wait_for(lambda: (s := steps.get(added.id)).state.final and s, 120, "hello")
    assert done.state == "COMPLETED", done.message
    page.goto(f"{console.url}/jobs/steps/{added.id}")
    assert "hello from a console step" in page.inner_text("pre.log")
    page.goto(f"{console.url}/clusters/{CLUSTER}")
    click_and_load(page, "text=Stop cluster")
    assert "stopped" in page.inner_text(".notice")
    manager = ClusterManager(filled.settings, ws.catalog.database)
    info = manager.get(CLUSTER)
    assert info.state != "RUNNING"
    assert not any(manager.status(CLUSTER)["processes"][i]["alive"]
                   for i in range(len(info.processes)))
    shot(page, "cluster-stopped")
    ws.close()
