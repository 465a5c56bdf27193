"""fork_map: the same list as a plain map, whatever happens in the child.

Each case (tests/parallel_cases.py) runs in a fresh interpreter: this pytest process may have
been monkey-patched by gevent (tests that import locust), where fork_map does not fork.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from har2locust_plus import parallel

HERE = Path(__file__).resolve().parent
CASES = [
    "results_are_those_of_a_plain_map_in_order_and_half_come_from_a_child",
    "few_items_stay_in_this_process",
    "a_failing_child_is_replaced_by_this_process",
    "a_result_that_cannot_be_pickled_is_computed_here",
    "an_error_in_this_process_is_raised_and_the_child_reaped",
    "no_fork_while_other_threads_run_or_when_disabled",
    "work_below_min_cost_stays_here_and_costs_balance_the_halves",
    "fork_imap_yields_a_plain_maps_results_in_order_half_from_a_child",
    "a_streaming_child_failing_midway_leaves_the_rest_to_this_process",
    "leaving_a_stream_early_or_by_an_error_reaps_the_child",
    "many_results_come_back_in_chunks_and_a_short_answer_is_computed_here",
    "fork_call_gives_both_results_and_a_failing_child_s_part_is_computed_here",
]

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")


def _run_case(name: str, *args: str) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(HERE), str(HERE.parent), os.environ.get("PYTHONPATH", "")]))
    env.pop("H2L_NO_FORK", None)
    proc = subprocess.run([sys.executable, str(HERE / "parallel_cases.py"), name, *args],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.parametrize("case", CASES)
def test_fork_map(case: str) -> None:
    _run_case(case)


def test_correlation_forks_on_a_large_recording_and_its_script_is_the_same(tmp_path: Path
                                                                          ) -> None:
    _run_case("correlation_forks_on_a_large_recording_and_its_script_is_the_same",
              str(tmp_path))


def test_loading_a_large_recording_forks_and_gives_the_same_scenario(tmp_path: Path) -> None:
    _run_case("loading_a_large_recording_forks_and_gives_the_same_scenario", str(tmp_path))


def test_checks_decided_beside_the_secrets_give_the_same_script(tmp_path: Path) -> None:
    _run_case("checks_beside_secrets_give_the_one_process_script", str(tmp_path))


def test_page_methods_printed_ahead_give_the_same_script(tmp_path: Path) -> None:
    _run_case("pages_printed_ahead_give_the_same_script", str(tmp_path))


def test_no_fork_in_a_process_gevent_has_patched() -> None:
    """verify converts inside Locust's (gevent's) process: no fork there."""
    pytest.importorskip("gevent")
    code = ("from gevent import monkey; monkey.patch_all()\n"
            "import os; os.cpu_count = lambda: 2\n"
            "from har2locust_plus import parallel\n"
            "assert parallel._gevent_patched() and not parallel.can_fork()\n"
            "out = parallel.fork_map(lambda n: os.getpid(), list(range(100)), min_items=2)\n"
            "assert set(out) == {os.getpid()}\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONPATH=str(HERE.parent)))
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_the_cases_listed_are_all_the_cases() -> None:
    import ast

    tree = ast.parse((HERE / "parallel_cases.py").read_text())
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)
               and not node.name.startswith("_")}
    assert defined == set(CASES) | {
        "correlation_forks_on_a_large_recording_and_its_script_is_the_same",
        "pages_printed_ahead_give_the_same_script",
        "checks_beside_secrets_give_the_one_process_script",
        "loading_a_large_recording_forks_and_gives_the_same_scenario"}
    assert parallel.fork_map  # the module under test imports
