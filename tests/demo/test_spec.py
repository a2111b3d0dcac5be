"""The demo's answers validate against hydra-api.yaml, except where the reference says real Hydra differs."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from hydra_tui.demo import spec_exceptions
from hydra_tui.demo.runner import DemoServer
from tests.conftest import DATA

SPEC = spec_exceptions.apply(yaml.safe_load((DATA / "hydra-api.yaml").read_text()))


def _resolve(node: Any, spec: dict[str, Any] = SPEC) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(target, spec)
        return {k: _resolve(v, spec) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, spec) for v in node]
    return node


def _schema(template: str, method: str, status: int) -> dict[str, Any]:
    response = SPEC["paths"][template][method]["responses"][str(status)]
    return _resolve(response["content"]["application/json"]["schema"])


def _template_for(path: str) -> str:
    for template in SPEC["paths"]:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"no spec path for {path}")


CASES = [
    ("get", "/", 200),
    ("get", "/project/hello", 200),
    ("get", "/project/nope", 404),
    ("get", "/jobset/hello/main", 200),
    ("get", "/jobset/hello/flake", 200),
    ("get", "/jobset/hello/nope", 404),
    ("get", "/jobset/hello/main/evals", 200),
    ("get", "/jobset/hello/main/evals?page=3", 200),
    ("get", "/api/jobsets?project=hello", 200),
    ("get", "/api/jobsets?project=nope", 404),
    ("get", "/search?query=hello", 200),
    ("get", "/build/{build}", 200),
    ("get", "/build/1", 404),
    ("get", "/eval/{eval}", 200),
]


@pytest.mark.parametrize(("method", "path", "status"), CASES, ids=[f"{m} {p}" for m, p, _ in CASES])
def test_demo_matches_spec(demo: DemoServer, method: str, path: str, status: int) -> None:
    with httpx.Client(base_url=demo.url, headers={"Accept": "application/json"}) as http:
        latest = http.get("/jobset/hello/main/evals").json()["evals"][0]
        path = path.replace("{eval}", str(latest["id"]))
        if "{build}" in path:
            responses = [http.get(path.replace("{build}", str(b))) for b in latest["builds"]]  # every state
            assert responses
            template = "/build/{build-id}"
        else:
            responses = [http.request(method.upper(), path)]
            template = _template_for(path.split("?")[0])
    for response in responses:
        assert response.status_code == status, response.url
        assert response.headers["content-type"].startswith("application/json")
        OAS30Validator(_schema(template, method, status)).validate(response.json())


def test_login_and_push_match_spec(demo: DemoServer) -> None:
    headers = {"Accept": "application/json", "Referer": demo.url + "/"}
    with httpx.Client(base_url=demo.url, headers=headers) as http:
        login = http.post("/login", json={"username": "alice", "password": "alice-pw"})
        assert login.status_code == 302 and "hydra_session" in login.cookies
        OAS30Validator(_schema("/login", "post", 302)).validate(login.json())
        bad = http.post("/login", json={"username": "alice", "password": "x"})
        OAS30Validator(_schema("/login", "post", 403)).validate(bad.json())
        push = http.post("/api/push?jobsets=hello:main")
        OAS30Validator(_schema("/api/push", "post", 200)).validate(push.json())


def test_spec_without_exceptions_would_fail(demo: DemoServer) -> None:
    """The exceptions are needed: the unpatched yaml rejects what real Hydra sends."""
    raw = yaml.safe_load((DATA / "hydra-api.yaml").read_text())
    build_schema = _resolve(raw["components"]["schemas"]["Build"], raw)
    with httpx.Client(base_url=demo.url, headers={"Accept": "application/json"}) as http:
        latest = http.get("/jobset/hello/main/evals").json()["evals"][0]
        build = http.get(f"/build/{latest['builds'][0]}").json()
    errors = list(OAS30Validator(build_schema).iter_errors(build))
    assert errors


def test_every_exception_points_at_something() -> None:
    assert len(spec_exceptions.EXCEPTIONS) >= 15
    for exc in spec_exceptions.EXCEPTIONS:
        assert exc.reality and exc.reference.startswith("§")


def _validate_if_schema(template: str, method: str, response: httpx.Response) -> None:
    operation = SPEC["paths"][template].get(method)
    if operation is None:  # not in the yaml (jobset DELETE): nothing to hold it to
        return
    spec_response = operation["responses"][str(response.status_code)]
    content = spec_response.get("content", {}).get("application/json", {})
    assert response.headers["content-type"].startswith("application/json")
    if "schema" in content:
        OAS30Validator(_resolve(content["schema"])).validate(response.json())


def test_writes_and_shield_match_spec(demo: DemoServer) -> None:
    headers = {"Accept": "application/json", "Referer": demo.url + "/"}
    with httpx.Client(base_url=demo.url, headers=headers) as http:
        denied = http.put("/project/newproj", json={"displayname": "New"})
        assert denied.status_code == 403
        _validate_if_schema("/project/{id}", "put", denied)
        http.post("/login", json={"username": "root", "password": "root-pw"})
        created = http.put("/project/newproj", json={"displayname": "New", "enabled": True, "visible": True})
        assert created.status_code == 201
        _validate_if_schema("/project/{id}", "put", created)
        updated = http.put("/project/newproj", json={"displayname": "Newer", "enabled": True})
        assert updated.status_code == 200
        _validate_if_schema("/project/{id}", "put", updated)
        jobset = http.put("/jobset/newproj/main", json={"enabled": 1, "visible": True})
        assert jobset.status_code == 201
        _validate_if_schema("/jobset/{project-id}/{jobset-id}", "put", jobset)
        for path, template in (
            ("/jobset/newproj/main", "/jobset/{project-id}/{jobset-id}"),
            ("/project/newproj", "/project/{id}"),
        ):
            gone = http.delete(path)
            assert gone.status_code == 200
            _validate_if_schema(template, "delete", gone)
        shield = http.get("/job/hello/main/hello.x86_64-linux/shield")
        assert shield.status_code == 200 and shield.json()["schemaVersion"] == 1
        _validate_if_schema("/job/{project-id}/{jobset-id}/{job-id}/shield", "get", shield)
