"""[tool.har2locust-plus] in the working directory's pyproject.toml adds correlation rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from har2locust_plus.cli import main
from har2locust_plus.config import Config, load_config
from har2locust_plus.errors import BadOption


def _har() -> dict:
    page = {"startedDateTime": "2026-11-25T10:00:00Z", "time": 5,
            "request": {"method": "GET", "url": "http://app.test/start", "headers": []},
            "response": {"status": 200, "headers": [], "content": {
                "mimeType": "text/html", "text": "<p>ref <!-- order: ORD-7F3A9C21 --></p>"}}}
    post = {"startedDateTime": "2026-11-25T10:00:01Z", "time": 5,
            "request": {"method": "GET", "url": "http://app.test/orders/ORD-7F3A9C21",
                        "headers": []},
            "response": {"status": 200, "headers": [], "content": {"mimeType": "text/html",
                                                                   "text": "<p>ok</p>"}}}
    return {"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
                    "entries": [page, post]}}


def test_no_pyproject_means_no_settings(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()


def test_rules_from_pyproject_correlate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.har2locust-plus]\n"
        "correlate-rules = { order_ref = 'order: ([A-Z0-9-]+)' }\n", encoding="utf-8")
    (tmp_path / "x.har").write_text(json.dumps(_har()), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["x.har", "--report", "r.json", "-q"])
    assert result.exit_code == 0, result.output
    assert 'f"/orders/{self.order_ref}"' in result.output
    rows = json.loads((tmp_path / "r.json").read_text())["correlations"]
    assert [(r["var"], r["how"], r["used_by"]) for r in rows] == [
        ("order_ref", "rule order_ref", [2])]


@pytest.mark.parametrize("body", [
    "[tool.har2locust-plus]\ncorrelate-rules = { x = '(' }\n",
    "[tool.har2locust-plus]\ncorrelate-rules = ['a']\n",
    "[tool.har2locust-plus]\nignore-values = 'a'\n",
    "[tool.har2locust-plus\n",
])
def test_bad_settings_are_one_line_errors(tmp_path: Path, body: str) -> None:
    (tmp_path / "pyproject.toml").write_text(body, encoding="utf-8")
    with pytest.raises(BadOption):
        load_config(tmp_path)
