"""Issue 13, part 3: one workload from several recordings (unit level; the run is in
test_e2e_workload.py).

``har2locust-plus a.har b.har:1 c.har:0.2`` writes one module with a user class per recording,
Locust weights from the suffixes, and what the classes share (run-time helpers, compiled
extractors, the secrets' options, the --data file) written once. The output of a single
recording is unchanged (the goldens), whatever weight it is given.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import black
import pytest
from click.testing import CliRunner

from har2locust_plus import BadOption, Options
from har2locust_plus.cli import main as cli
from har2locust_plus.codegen.fmt import MODE, render, render_plain
from har2locust_plus.codegen.generator import generate_workload
from har2locust_plus.codegen.workload import integer_weights, plan
from har2locust_plus.convert_command import _recording
from har2locust_plus.core import Recording, convert_workload

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "fixtures"
NOTES, API = FIXTURES / "notes-journey.har", FIXTURES / "api-journey.har"
PASSWORD = b"wonderland-42"  # alice's password, recorded in both fixture HARs
RUFF_ARGS = ("check", "--isolated", "--no-cache", "--target-version", "py310",
             "--select", "E,F,W,I,B,UP", "--ignore", "E501", "--output-format", "concise")


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "-q"])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _classes(code: str) -> dict[str, ast.ClassDef]:
    return {n.name: n for n in ast.parse(code).body if isinstance(n, ast.ClassDef)
            and any(isinstance(b, ast.Name) and b.id.endswith("HttpUser") for b in n.bases)}


def _attribute(cls: ast.ClassDef, name: str) -> object:
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            return ast.literal_eval(stmt.value)
    raise KeyError(name)


def _top_level(code: str) -> list[str]:
    """Names the module defines at top level, with repeats."""
    names = []
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _secrets(code: str) -> dict[str, tuple[str, str]]:
    tree = ast.parse(code)
    node = next(n for n in tree.body if isinstance(n, ast.Assign)
                and getattr(n.targets[0], "id", "") == "SECRETS")
    return ast.literal_eval(node.value)


# --- weights -------------------------------------------------------------------------------


@pytest.mark.parametrize(("weights", "expected"), [
    ((1, 1, Fraction("0.2")), (5, 5, 1)),
    ((3, 1), (3, 1)),
    ((2, 4), (1, 2)),
    ((Fraction("0.5"), Fraction("1.5")), (1, 3)),
    ((Fraction("0.25"), 1), (1, 4)),
])
def test_weights_become_the_smallest_integers_with_the_same_ratios(weights, expected) -> None:
    assert integer_weights([Fraction(w) for w in weights]) == expected


def test_a_weight_of_zero_is_refused() -> None:
    with pytest.raises(BadOption, match="more than 0"):
        integer_weights([Fraction(1), Fraction(0)])


def test_library_weights_may_be_floats() -> None:
    result = convert_workload([Recording(NOTES, 1.0), Recording(API, 0.2)])
    assert [m.weight for m in result.workload.members] == [5, 1]
    assert dict(result.report.timings).keys() >= {"read", "load", "generate", "format"}


@pytest.mark.parametrize(("text", "path", "weight"), [
    ("browse.har", "browse.har", 1),
    ("checkout.har:1", "checkout.har", 1),
    ("admin.har:0.2", "admin.har", Fraction(1, 5)),
    ("admin.har:.5", "admin.har", Fraction(1, 2)),
    ("b.har:12", "b.har", 12),
    # only a trailing :number is a weight: Windows paths and other colons stay in the name
    (r"C:\recordings\browse.har", r"C:\recordings\browse.har", 1),
    (r"C:\recordings\browse.har:3", r"C:\recordings\browse.har", 3),
    ("10:30 login.har", "10:30 login.har", 1),
    ("a.har:x", "a.har:x", 1),
    ("a.har:1e3", "a.har:1e3", 1),
    ("a.har:-1", "a.har:-1", 1),
])
def test_input_suffix_is_a_weight_only_at_the_end(text: str, path: str, weight) -> None:
    recording = _recording(text)
    assert (recording.source, recording.weight) == (path, weight)


def test_a_file_named_with_the_whole_text_wins(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "capture.har:2").write_bytes(NOTES.read_bytes())
    assert _recording("capture.har:2") == Recording("capture.har:2")
    result = CliRunner().invoke(cli, ["capture.har:2", "-q"])
    assert result.exit_code == 0 and result.stdout.count("class CaptureHar2User(") == 1


@pytest.mark.parametrize("arg", ["api-journey.har:0", "api-journey.har:0.0"])
def test_zero_weight_is_one_line_exit_2(arg: str) -> None:
    result = CliRunner().invoke(cli, [str(NOTES), str(FIXTURES / arg)])
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "weight must be more than 0" in result.stderr


def test_standard_input_at_most_once() -> None:
    result = CliRunner().invoke(cli, ["-", "-"], input=NOTES.read_bytes())
    assert result.exit_code == 2 and "given once" in result.stderr


def test_one_recording_with_a_weight_is_the_single_recording_script() -> None:
    golden = (REPO_ROOT / "tests" / "goldens" / "notes-journey.py").read_text("utf-8")
    assert _cli(f"{NOTES}:5") == golden


# --- the script ------------------------------------------------------------------------------


def test_two_recordings_make_one_script_with_weighted_classes(tmp_path: Path) -> None:
    code = _cli(f"{NOTES}:3", f"{API}:1")
    classes = _classes(code)
    assert list(classes) == ["NotesJourneyUser", "ApiJourneyUser"]
    assert [_attribute(c, "weight") for c in classes.values()] == [3, 1]
    # both were recorded on one origin: it is every class's default host, and the example's
    assert {_attribute(c, "host") for c in classes.values()} == {"http://127.0.0.1:39383"}
    assert "--host http://127.0.0.1:39383" in code
    # helpers, constants and settings once; each secret option registered once
    top = _top_level(code)
    assert sorted(top) == sorted(set(top)), [n for n in set(top) if top.count(n) > 1]
    assert {"check", "secret_options", "transaction", "SECRETS", "CSRF_TOKEN_XPATH"} <= set(top)
    assert code.count("@events.init_command_line_parser.add_listener\ndef secret_options") == 1
    assert _secrets(code) == {"password": ("H2L_PASSWORD", _secrets(code)["password"][1])}
    # each class its own flow: its own requests, named apart in Locust's statistics
    notes, api = (ast.unparse(c) for c in classes.values())
    assert "'/login'" in notes and "'/api/login'" not in notes
    assert "'/api/login'" in api and "'/login'" not in api
    assert "name='NotesJourney 03 /login'" in notes
    assert "transaction(self, 'ApiJourney 1 Notes — API client')" in api
    # black-stable and ruff-clean
    assert black.format_str(code, mode=MODE) == code
    script = tmp_path / "locustfile.py"
    script.write_text(code, encoding="utf-8")
    lint = subprocess.run([sys.executable, "-m", "ruff", *RUFF_ARGS, str(script)],
                          capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_weights_of_three_recordings_scale_to_integers() -> None:
    code = _cli(str(NOTES), f"{API}:1", f"{FIXTURES / 'public-browsing.har'}:0.2")
    weights = {n: _attribute(c, "weight") for n, c in _classes(code).items()}
    assert weights == {"NotesJourneyUser": 5, "ApiJourneyUser": 5, "PublicBrowsingUser": 1}
    assert "weight 5/11" in code and "weight 1/11" in code


def test_the_same_recording_twice_gets_two_class_names_and_shares_constants() -> None:
    code = _cli(str(NOTES), f"{FIXTURES / 'notes-journey.firefox.har'}", str(NOTES))
    assert list(_classes(code)) == ["NotesJourneyUser", "NotesJourneyFirefoxUser",
                                    "NotesJourney2User"]
    # the same extractor (same name, same expression) is compiled once for all three
    assert code.count("CSRF_TOKEN_XPATH = ") == 1 and "CSRF_TOKEN_2_XPATH" not in code
    top = _top_level(code)
    assert sorted(top) == sorted(set(top))


def test_a_constant_of_the_same_name_and_another_value_is_numbered() -> None:
    result = convert_workload([Recording(NOTES), Recording(NOTES, name="other.har")])
    notes, other = (m.scenario for m in result.workload.members)

    def changed(step):
        return replace(step, extractions=tuple(
            replace(e, expr="//form//input[@name='csrf_token']/@value")
            if e.var == "csrf_token" else e for e in step.extractions))

    other = replace(other, steps=tuple(changed(s) for s in other.steps))
    workload = plan([notes, other], [Fraction(1), Fraction(1)])
    module = generate_workload(workload, Options(), "fast")
    code = render(module)
    assert code == render_plain(module)  # the fast formatter is black's output exactly
    assert code.count("CSRF_TOKEN_XPATH = ") == 1 and code.count("CSRF_TOKEN_2_XPATH = ") == 1
    first, second = (ast.unparse(c) for c in _classes(code).values())
    assert "CSRF_TOKEN_XPATH" in first and "CSRF_TOKEN_2_XPATH" not in first
    assert "CSRF_TOKEN_2_XPATH" in second and "CSRF_TOKEN_XPATH," not in second
    assert "//form//input" in code.split("\nclass ")[0]


def test_secrets_of_the_same_name_and_another_value_get_distinct_options() -> None:
    admin = API.read_bytes().replace(PASSWORD, b"root-secret-7")
    result = convert_workload([Recording(NOTES, 3), Recording(admin, 1, name="admin.har")])
    code = result.code
    assert PASSWORD.decode() not in code and "root-secret-7" not in code
    secrets = _secrets(code)
    assert list(secrets) == ["password", "admin_password"]
    assert secrets["admin_password"][0] == "H2L_ADMIN_PASSWORD"
    notes, admin_class = (ast.unparse(c) for c in _classes(code).values())
    # the attribute keeps its name; only the option (and its variable) differ
    assert "self.password = secret(self, 'password')" in notes
    assert "self.password = secret(self, 'admin_password')" in admin_class
    flags = [o.flag for o in result.report.options]
    assert flags == ["--password VALUE", "--admin-password VALUE", "--request-timeout SECONDS",
                     "--continue-on-failure"]
    assert "--admin-password VALUE" in code.split('"""')[1]  # the docstring names it


def test_shared_data_columns_and_renamed_ones(tmp_path: Path) -> None:
    admin = tmp_path / "admin.har"
    admin.write_bytes(API.read_bytes().replace(b'"alice', b'"bob'))  # another login
    template = tmp_path / "users.csv"
    result = CliRunner().invoke(cli, [str(NOTES), f"{API}:1", f"{admin}:1", "-q",
                                      "--data-template", str(template)])
    assert result.exit_code == 0, result.stderr
    code = result.stdout
    data = next(n for n in ast.parse(code).body if isinstance(n, ast.Assign)
                and getattr(n.targets[0], "id", "") == "DATA")
    assert ast.literal_eval(data.value)["columns"] == ("username", "password", "admin_username")
    notes, api, admin_class = (ast.unparse(c) for c in _classes(code).values())
    assert "self.username = row['username']" in notes and "self.username = row['username']" in api
    assert "self.username = row['admin_username']" in admin_class
    assert "self.password = row['password']" in admin_class  # the same password: shared
    assert template.read_text("utf-8").splitlines() == [
        "username,password,admin_username", "alice,wonderland-42,bob"]
    assert code.count("def next_row(") == 1


def test_recordings_of_different_origins_keep_their_own_host() -> None:
    other = API.read_bytes().replace(b"127.0.0.1:39383", b"127.0.0.1:40111")
    code = convert_workload([Recording(NOTES), Recording(other, name="api.har")]).code
    hosts = [_attribute(c, "host") for c in _classes(code).values()]
    assert hosts == ["http://127.0.0.1:39383", "http://127.0.0.1:40111"]
    assert "--host" not in code.split('"""')[1].split("Run it:")[1].split("\n")[1]
    assert "each class keeps the origin it was recorded on" in code


def test_report_has_a_section_per_recording(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    result = CliRunner().invoke(cli, [f"{NOTES}:3", f"{API}:1", "-o",
                                      str(tmp_path / "locustfile.py"), "--report", str(report)])
    assert result.exit_code == 0, result.stderr
    data = json.loads(report.read_text("utf-8"))
    sections = data["recordings"]
    assert [(s["class"], s["weight"], s["source"]) for s in sections] == [
        ("NotesJourneyUser", 3, "notes-journey.har"), ("ApiJourneyUser", 1, "api-journey.har")]
    assert [s["steps"] for s in sections] == [11, 6]
    assert [o["option"] for o in data["options"]] == ["--password VALUE",
                                                     "--request-timeout SECONDS",
                                                     "--continue-on-failure"]
    lines = result.stderr.splitlines()
    assert "NotesJourneyUser (weight 3/4):" in lines and "ApiJourneyUser (weight 1/4):" in lines
    assert sum("options of the script" in line for line in lines) == 1


def test_http_users_with_data_and_rendezvous_share_them_once(tmp_path: Path) -> None:
    code = _cli(str(NOTES), f"{API}:2", "--user-class", "http", "--data", "users.csv",
                "--rendezvous", "2")
    classes = _classes(code)
    assert [c.bases[0].id for c in classes.values()] == ["HttpUser", "HttpUser"]  # type: ignore
    # (runtime/rendezvous.py sets its two settings twice: the generated value, then the
    # environment's)
    top = [n for n in _top_level(code) if n not in ("RENDEZVOUS_USERS", "RENDEZVOUS_TIMEOUT")]
    assert sorted(top) == sorted(set(top))
    assert {"rendezvous", "next_row", "DATA"} <= set(top)
    assert code.count("\nRENDEZVOUS_USERS = ") == 2
    assert "'NotesJourney 02 /login'" in ast.unparse(classes["NotesJourneyUser"])
    assert black.format_str(code, mode=MODE) == code
    script = tmp_path / "locustfile.py"
    script.write_text(code, encoding="utf-8")
    lint = subprocess.run([sys.executable, "-m", "ruff", *RUFF_ARGS, str(script)],
                          capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout + lint.stderr
