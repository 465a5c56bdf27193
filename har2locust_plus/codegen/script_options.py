"""The options a generated script adds to Locust's command line.

Named in the script's docstring ("Run it") and in the conversion report: Locust prints
``--help`` before it imports a locustfile, so a script's own options never show there.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from .. import ir
from ..options import Options
from .workload import Member, Workload


@dataclass(frozen=True, slots=True)
class ScriptOption:
    flag: str  # with its value: "--password VALUE"
    help: str


def data_file_default(options: Options) -> str:
    """The --data default: the file name given at generation, read from the script's folder
    (an absolute path of the machine that generated the script would not travel with it)."""
    path = options.data_file or "users.csv"
    return os.path.basename(path) if os.path.isabs(path) else path.replace(os.sep, "/")


def script_options(scenario: ir.Scenario, options: Options) -> tuple[ScriptOption, ...]:
    return _options(scenario.secrets, bool(scenario.data_columns),
                    any(step.rendezvous for step in scenario.steps), options)


def workload_options(workload: Workload, options: Options) -> tuple[ScriptOption, ...]:
    """The options of a script of several recordings: each secret's once."""
    return _options(workload.secrets, bool(workload.columns),
                    any(step.rendezvous for m in workload.members for step in m.scenario.steps),
                    options)


def is_basic(secret: ir.Secret) -> bool:
    """Basic credentials (secrets.header's kind: the scheme, then the header's name)."""
    return secret.kind.lower().startswith("basic ")


def secret_what(secret: ir.Secret) -> str:
    """What a secret's option is, for its help: its kind and where it was recorded."""
    what = secret.kind
    if is_basic(secret):
        what += " (user:password, or its base64 as the header sends it)"
    return f"{what}, recorded in {secret.where}"


def member_options(member: Member, options: Options) -> tuple[ScriptOption, ...]:
    """The options one class of a workload uses, under their names in the script."""
    return _options(member.secrets, bool(member.columns),
                    any(step.rendezvous for step in member.scenario.steps), options)


def _options(secrets: Sequence[ir.Secret], data: bool, rendezvous: bool, options: Options
             ) -> tuple[ScriptOption, ...]:
    out = [ScriptOption(f"--{s.name.replace('_', '-')} VALUE",
                        f"{secret_what(s)} (default: ${s.env})")
           for s in secrets]
    if data:
        per = "run of the flow" if options.data_per == "iteration" else "virtual user"
        out.append(ScriptOption("--data CSV", f"a new row per {per} (default: "
                                f"{data_file_default(options)}, in the script's folder)"))
    if rendezvous:
        out.append(ScriptOption("--rendezvous-users N|P%", "users a rendezvous point waits for "
                                f"(default: {options.rendezvous_users}, or "
                                "$H2L_RENDEZVOUS_USERS)"))
        out.append(ScriptOption("--rendezvous-timeout SECONDS", "release whoever waits when "
                                f"nobody new came for this long (default: "
                                f"{options.rendezvous_timeout:g}, or $H2L_RENDEZVOUS_TIMEOUT)"))
    out.append(ScriptOption("--request-timeout SECONDS",
                            "a request's step fails after this long (default: 30)"))
    if options.checks != "none":
        out.append(ScriptOption("--continue-on-failure", "go on after a failed step (default: "
                                "that run of the flow ends there)"))
    return tuple(out)
