"""Several recordings, one script: a user class per recording and what the classes share.

``har2locust-plus browse.har checkout.har:1 admin.har:0.2`` gives each recording a class of its
own, in one module whose run-time helpers, compiled extractors, secrets' options and ``--data``
file are shared. This module decides the names that must not clash and the classes' weights;
the generator writes the code.

* **Weights** are Locust's ``weight`` attributes, which are integers: the suffixes are scaled to
  the smallest integers with the same ratios (1, 1, 0.2 → 5, 5, 1). ``fixed_count`` is not used:
  it fixes a number of users whatever ``-u`` says, while a suffix is a share of the users.
* **Secrets and data columns** of the same name and the same recorded value (the same account
  logging in from two journeys) are one option, one column; the same name with another recorded
  value (a customer and an administrator) gets a name of its own, prefixed by its recording
  (``--admin-password``, ``$H2L_ADMIN_PASSWORD``). The user attribute keeps its name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from .. import ir
from ..errors import BadOption
from ..stages.secrets import ENV_PREFIX, LOCUST_OPTIONS


@dataclass(frozen=True, slots=True)
class Member:
    """One recording's user class in a workload."""

    scenario: ir.Scenario
    class_name: str
    weight: int
    # the scenario's secrets and data columns, in its order, under their names in the script
    secrets: tuple[ir.Secret, ...]
    columns: tuple[ir.DataColumn, ...]

    @property
    def label(self) -> str:
        """The class's name without ``User``: the prefix of its rows in Locust's statistics."""
        return self.class_name.removesuffix("User") or self.class_name


@dataclass(frozen=True, slots=True)
class Workload:
    members: tuple[Member, ...]
    secrets: tuple[ir.Secret, ...]  # the script's secret options, each once
    columns: tuple[ir.DataColumn, ...]  # the --data file's columns, each once

    @property
    def shared_origin(self) -> str:
        """The origin every recording was made on, else ``""`` (each class keeps its own)."""
        origins = {m.scenario.main_origin for m in self.members}
        return origins.pop() if len(origins) == 1 else ""


def class_name_for(source: str) -> str:
    """``notes-journey.har`` → ``NotesJourneyUser``."""
    stem = re.sub(r"\.(har|zhar|json)$", "", source, flags=re.I)
    stem = re.split(r"[/\\]", stem)[-1]
    words = re.findall(r"[A-Za-z0-9]+", stem.encode("ascii", "ignore").decode())
    name = "".join(w[:1].upper() + w[1:] for w in words)[:40] or "Recorded"
    if name[0].isdigit():
        name = "Har" + name
    return name + "User"


def integer_weights(weights: Sequence[Fraction]) -> tuple[int, ...]:
    """The smallest positive integers with the same ratios: (1, 1, 1/5) → (5, 5, 1)."""
    for weight in weights:
        if weight <= 0:
            raise BadOption(f"weight {weight}: a recording's weight must be more than 0")
    scale = math.lcm(*(w.denominator for w in weights))
    scaled = [int(w * scale) for w in weights]
    divisor = math.gcd(*scaled)
    return tuple(w // divisor for w in scaled)


def plan(scenarios: Sequence[ir.Scenario], weights: Sequence[Fraction]) -> Workload:
    """Class names, integer weights and the shared names of secrets and data columns."""
    names: list[str] = []
    for scenario in scenarios:
        name = class_name_for(scenario.source)
        n = 2
        while name in names:  # two recordings of the same file name: NotesJourney2User
            name, n = f"{class_name_for(scenario.source).removesuffix('User')}{n}User", n + 1
        names.append(name)
    secrets: dict[str, ir.Secret] = {}
    columns: dict[str, ir.DataColumn] = {}
    members = []
    for scenario, name, weight in zip(scenarios, names, integer_weights(weights), strict=True):
        prefix = _snake(name.removesuffix("User"))
        own_secrets = []
        for secret in scenario.secrets:
            key = _name_in_script(secret.name, secret.recorded, prefix, secrets)
            mine = replace(secret, name=key, env=ENV_PREFIX + key.upper())
            where = f"{secret.where} in {scenario.source}"
            known = secrets.get(key)
            secrets[key] = replace(mine, where=f"{known.where}; {where}" if known else where)
            own_secrets.append(mine)
        own_columns = []
        for column in scenario.data_columns:
            key = _name_in_script(column.name, column.recorded, prefix, columns)
            own_columns.append(columns.setdefault(key, replace(column, name=key)))
        members.append(Member(scenario, name, weight, tuple(own_secrets), tuple(own_columns)))
    return Workload(tuple(members), tuple(secrets.values()), tuple(columns.values()))


def _name_in_script(name: str, recorded: str, prefix: str,
                    taken: Mapping[str, ir.Secret | ir.DataColumn]) -> str:
    """``name``, unless an earlier recording's secret or column of that name had another value:
    then ``<prefix>_<name>`` (a customer's password is not the administrator's)."""
    known = taken.get(name)
    if known is None or known.recorded == recorded:
        return name
    base = candidate = f"{prefix}_{name}"
    n = 2
    while candidate in taken or candidate.replace("_", "-") in LOCUST_OPTIONS:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def _snake(name: str) -> str:
    """``ApiJourney`` → ``api_journey``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
