"""Run a locustfile's user in process for two iterations, and record every request it sends.

The script is imported as a module from its file, one instance of its user class runs
``on_start`` and then its task (``journey`` in generated scripts) twice, as Locust runs one user
(without the wait between two runs), in a greenlet bounded by a timeout; every request is
recorded through ``env.events.request``. The second run shows the state the first one left
behind: whatever the script keeps (or clears) between runs of the flow, verify keeps or clears
too, because it runs the script's own code. The user's client is
guarded: a request (or a redirect) to any origin but the host under test is refused and recorded
as a failed request, so verifying never sends traffic anywhere else.
"""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote_plus, urljoin, urlsplit

import gevent
from locust import User
from locust.env import Environment
from locust.event import Events
from locust.exception import InterruptTaskSet, RescheduleTask, RescheduleTaskImmediately, StopUser
from requests.exceptions import RequestException

from ..errors import BadInput

MAX_TEXT = 2_000_000  # longest body kept for comparison
STEP_PREFIX = re.compile(r"^(\d+)\s")  # generated request names: "03 /login"
_modules = itertools.count(1)


class OtherHostRefused(RequestException):
    """A request to an origin other than the host under test (never sent). A RequestException,
    so both locust clients record it as the request's failure."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request the replay sent (or refused) and what came back."""

    index: int  # 1-based order in the replay
    step: int | None  # recorded step number, from the request name prefix
    method: str
    name: str
    url: str
    status: int  # 0: no response
    headers: tuple[tuple[str, str], ...]
    text: str | None
    failure: str | None  # the check or transport failure, None when the request passed
    elapsed_ms: float
    variables: tuple[tuple[str, str], ...] = ()  # attributes the step's extractions set
    refused: bool = False
    iteration: int = 1  # which run of the flow sent it
    sent: str = ""  # what the request sent besides cookies: URL, header values, body
    cookies: tuple[tuple[str, str], ...] = ()  # the user's cookie jar after the response


@dataclass(frozen=True, slots=True)
class Replay:
    exchanges: tuple[Exchange, ...]
    error: str | None = None  # the task raised, or timed out
    stopped: str | None = None  # the flow stopped early (RescheduleTask, StopUser)
    seconds: float = 0.0
    iterations: int = 1  # runs of the flow started

    def of_iteration(self, iteration: int) -> tuple[Exchange, ...]:
        return tuple(e for e in self.exchanges if e.iteration == iteration)


@dataclass
class _Recorder:
    origin: str
    watched: Callable[[int | None], tuple[str, ...]]  # step → attribute names to read
    progress: Callable[[Exchange], None]
    user: User | None = None
    iteration: int = 1
    exchanges: list[Exchange] = field(default_factory=list)

    def on_request(self, request_type: str, name: str, response_time: float, response: Any,
                   exception: BaseException | None = None, url: str | None = None,
                   **_: Any) -> None:
        if request_type == "PAGE":
            return  # a page's transaction (runtime/transactions.py): its requests are recorded
        match = STEP_PREFIX.match(name or "")
        step = int(match.group(1)) if match else None
        status, headers, text = _response_parts(response)
        variables = tuple((var, _attribute(self.user, var)) for var in self.watched(step)
                          if self.user is not None and hasattr(self.user, var))
        exchange = Exchange(
            index=len(self.exchanges) + 1, step=step, method=request_type, name=name or "",
            url=url or "", status=status, headers=headers, text=text,
            failure=_message(exception) if exception is not None else None,
            elapsed_ms=round(float(response_time or 0), 1), variables=variables,
            refused=isinstance(exception, OtherHostRefused), iteration=self.iteration,
            sent=_sent(response, url), cookies=cookie_jar(self.user))
        self.exchanges.append(exchange)
        self.progress(exchange)


def load_user_class(path: Path, *, label: str | None = None) -> type[User]:
    """Import a locustfile as a fresh module; its one concrete user class."""
    label = label or path.name
    module = _import(path, label)
    classes = [c for c in vars(module).values()
               if inspect.isclass(c) and issubclass(c, User) and not c.abstract
               and c.__module__ == module.__name__]
    if not classes:
        raise BadInput(label, "no User class in this locustfile")
    if len(classes) > 1:
        names = ", ".join(c.__name__ for c in classes)
        raise BadInput(label, f"more than one User class ({names}): verify runs exactly one")
    return classes[0]


def _import(path: Path, label: str) -> ModuleType:
    name = f"_har2locust_verify_{next(_modules)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise BadInput(label, "cannot import this file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SystemExit as exc:  # a script that exits while it is imported
        raise BadInput(label, str(exc.code) if exc.code not in (None, 0) else
                       "the script exited while being imported") from None
    except SyntaxError as exc:
        raise BadInput(label, f"not valid Python: {exc.msg} (line {exc.lineno})") from None
    except Exception as exc:
        raise BadInput(label, f"importing it failed: {type(exc).__name__}: {exc}") from None
    # The script's init listener that takes a whole answer followed by stray bytes (see
    # runtime/checks.py): Locust fires init, verify runs the user without Locust's runner.
    ends_answers = getattr(module, "end_answers_as_browsers_do", None)
    if callable(ends_answers):
        ends_answers(None)
    # verify shows every step: a failed check does not end the replay (as with the script's
    # --continue-on-failure); a value the rest of the flow needs and did not get still does.
    on_failure = getattr(module, "ON_FAILURE", None)
    if isinstance(on_failure, dict) and "continue" in on_failure:
        on_failure["continue"] = True
    # A generated script's secrets are options (runtime/data.py); verify has no Locust command
    # line, so they come from their environment variables.
    secrets = getattr(module, "SECRETS", None)
    if isinstance(secrets, dict):
        missing = [env for env, _ in secrets.values() if not os.environ.get(env)]
        if missing:
            raise BadInput(label, "set the environment variable " + ", ".join(missing)
                           + ": recorded secrets are not stored in the script")
    return module


def run_flow(user_class: type[User], host: str, *, iterations: int = 2, timeout: float = 60.0,
             watched: Callable[[int | None], tuple[str, ...]] = lambda _: (),
             progress: Callable[[Exchange], None] = lambda _: None) -> Replay:
    """One user: ``on_start``, then the task ``iterations`` times, against ``host`` only.

    A run that stops early or raises ends the replay: Locust would go on with the next run,
    but the first failure is what needs fixing, and the next run would only repeat it."""
    host = host.rstrip("/")
    recorder = _Recorder(origin=origin_of(host), watched=watched, progress=progress)
    events = Events()
    events.request.add_listener(recorder.on_request)
    environment = Environment(user_classes=[user_class], host=host, events=events)
    user_class.host = host  # as locust's runners do with --host
    started = time.perf_counter()
    try:
        user = user_class(environment)
    except Exception as exc:
        return Replay((), error=f"creating the user failed: {type(exc).__name__}: {exc}")
    recorder.user = user
    guard(user.client, recorder.origin, environment)
    task = _task(user)
    outcome: dict[str, str] = {}

    def run() -> None:
        try:
            if callable(getattr(user, "on_start", None)):
                user.on_start()
            for iteration in range(1, iterations + 1):
                recorder.iteration = iteration
                task()
        except (RescheduleTask, RescheduleTaskImmediately, InterruptTaskSet) as exc:
            outcome["stopped"] = f"the flow stopped early ({type(exc).__name__})"
        except StopUser:
            outcome["stopped"] = "the flow stopped the user (StopUser)"
        except OtherHostRefused as exc:
            outcome["stopped"] = str(exc)
        except Exception as exc:  # the script's own code failed
            outcome["error"] = f"{type(exc).__name__}: {exc}"

    greenlet = gevent.spawn(run)
    greenlet.join(timeout)
    if not greenlet.dead:
        greenlet.kill(block=True, timeout=5)
        outcome["error"] = f"timed out after {timeout:g} s"
    where = f"iteration {recorder.iteration}: " if recorder.iteration > 1 else ""
    return Replay(tuple(recorder.exchanges),
                  error=where + outcome["error"] if "error" in outcome else None,
                  stopped=where + outcome["stopped"] if "stopped" in outcome else None,
                  seconds=round(time.perf_counter() - started, 3),
                  iterations=recorder.iteration)


def _task(user: User) -> Callable[[], Any]:
    journey = getattr(user, "journey", None)
    if callable(journey):
        return journey
    for task in getattr(user, "tasks", []) or []:
        if inspect.isfunction(task):
            return lambda task=task: task(user)
    raise BadInput(type(user).__name__, "the user class has no task method to run")


# --- the guard: only the host under test -------------------------------------------------------


def origin_of(url: str) -> str:
    """``scheme://host:port`` with the default port made explicit, lower case."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "http").lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def guard(client: Any, origin: str, environment: Environment) -> None:
    """Refuse requests (and redirects) to other origins on this user's client."""
    send = client.request

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        target = urljoin(getattr(client, "base_url", "") + "/", url)
        if url.lower().startswith(("http://", "https://")) and origin_of(target) != origin:
            return _refuse(environment, method, kwargs.get("name") or url, target)
        return send(method, url, *args, **kwargs)

    client.request = request
    agent = getattr(client, "client", None)
    if agent is not None and hasattr(agent, "_urlopen"):  # FastHttpSession: every hop
        urlopen = agent._urlopen

        def guarded_urlopen(req: Any) -> Any:
            target = str(getattr(req, "url", ""))
            if target and origin_of(target) != origin:
                raise OtherHostRefused(f"skipped: other host ({origin_of(target)})")
            return urlopen(req)

        agent._urlopen = guarded_urlopen
    elif hasattr(client, "send"):  # requests.Session (HttpUser): every hop
        session_send = client.send

        def guarded_send(prepared: Any, **kwargs: Any) -> Any:
            if origin_of(prepared.url) != origin:
                raise OtherHostRefused(f"skipped: other host ({origin_of(prepared.url)})")
            return session_send(prepared, **kwargs)

        client.send = guarded_send


class _Refused:
    """What the script gets for a refused request: no response, usable in ``with``."""

    status_code = 0
    headers: dict[str, str] = {}
    text = ""
    content = b""
    ok = False

    def __enter__(self) -> _Refused:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False

    def success(self) -> None:
        pass

    def failure(self, _message: object) -> None:
        pass

    def json(self) -> Any:
        raise ValueError("no response: the request was refused (other host)")


def _refuse(environment: Environment, method: str, name: str, url: str) -> _Refused:
    environment.events.request.fire(
        request_type=method, name=name, response_time=0, response_length=0, response=None,
        context={}, exception=OtherHostRefused(f"skipped: other host ({origin_of(url)})"),
        url=url)
    return _Refused()


# --- reading what came back ------------------------------------------------------------------


def _response_parts(response: Any) -> tuple[int, tuple[tuple[str, str], ...], str | None]:
    if response is None or isinstance(response, _Refused):
        return 0, (), None
    status = int(getattr(response, "status_code", 0) or 0)
    try:
        headers = tuple((str(k), str(v)) for k, v in response.headers.items())
    except Exception:
        headers = ()
    try:
        text = response.text
    except Exception:
        text = None
    if isinstance(text, str) and len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    return status, headers, text if isinstance(text, str) else None


def _sent(response: Any, url: str | None) -> str:
    """The URL, header values (not ``Cookie``) and body the request sent, as one text."""
    request = getattr(response, "request", None)
    parts = [url or str(getattr(request, "url", "") or "")]
    try:
        headers = getattr(request, "headers", None) or {}
        parts += [str(v) for k, v in headers.items() if str(k).lower() != "cookie"]
    except Exception:
        pass
    body = getattr(request, "body", None) or getattr(request, "payload", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        parts += [body, unquote_plus(body)]
    return "\n".join(parts + [unquote_plus(parts[0])])


def cookie_jar(user: Any) -> tuple[tuple[str, str], ...]:
    """(name, value) of every cookie the user's client holds (``FastHttpSession.cookiejar``,
    ``requests.Session.cookies``)."""
    client = getattr(user, "client", None)
    jar = getattr(client, "cookiejar", None)
    if jar is None:
        jar = getattr(client, "cookies", None)
    try:
        return tuple((str(c.name), str(c.value or "")) for c in jar or ())
    except Exception:
        return ()


def _message(exception: BaseException) -> str:
    text = str(exception) or type(exception).__name__
    if type(exception).__name__ == "CatchResponseError" or isinstance(exception,
                                                                      OtherHostRefused):
        return text  # the check's own message, or "skipped: other host (...)"
    return f"{type(exception).__name__}: {text}"


def _attribute(user: Any, var: str) -> str:
    return str(getattr(user, var, ""))
