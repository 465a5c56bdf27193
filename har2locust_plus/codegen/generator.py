"""Scenario → libcst Module. One small method per IR element; HAR text only via ``escape``.

:class:`FastHttpGenerator` writes a ``FastHttpUser`` (the default), :class:`HttpGenerator` a
``HttpUser``; they differ only in how redirects are disabled and where shared headers go.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import libcst as cst

from .. import __version__, ir
from ..options import Options
from ..parallel import can_fork, fork_map
from . import layout, runtime_index
from .escape import (
    dict_display,
    dict_element,
    one_line,
    py_bytes,
    py_docstring,
    py_ident,
    py_number,
    py_regex,
    py_str,
    py_value,
    self_attr,
    template_expr,
    var_expr,
)
from .layout import Block, Call, Line
from .script_options import (
    data_file_default,
    is_basic,
    script_options,
    secret_what,
    workload_options,
)
from .workload import Member, Workload, class_name_for

CLIENT_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

# Imports a helper or a construct needs, by the name it uses.
IMPORTS = {
    "json": "import json",
    "re": "import re",
    "time": "import time",
    "uuid": "import uuid",
    "quote": "from urllib.parse import quote",
    "quote_plus": "from urllib.parse import quote_plus",
    "urlencode": "from urllib.parse import urlencode",
    "unquote": "from urllib.parse import unquote",
    "unquote_plus": "from urllib.parse import unquote_plus",
    "parse_qs": "from urllib.parse import parse_qs",
    "urlsplit": "from urllib.parse import urlsplit",
    "unescape": "from html import unescape",
    "Cookie": "from http.cookiejar import Cookie",
    "DefaultCookiePolicy": "from http.cookiejar import DefaultCookiePolicy",
    "request_host": "from http.cookiejar import request_host",
    "urljoin": "from urllib.parse import urljoin",
    "RescheduleTask": "from locust.exception import RescheduleTask",
    "html": "from lxml import html",
    "etree": "from lxml import etree",
    # the rendezvous runtime (runtime/rendezvous.py)
    "logging": "import logging",
    "math": "import math",
    "os": "import os",
    "sys": "import sys",
    "csv": "import csv",
    "itertools": "import itertools",
    "gevent": "import gevent",
    "Path": "from pathlib import Path",
    "Event": "from gevent.event import Event",
    "MasterRunner": "from locust.runners import MasterRunner",
    "WorkerRunner": "from locust.runners import WorkerRunner",
    "STATE_MISSING": "from locust.runners import STATE_MISSING",
    # the transactions runtime (runtime/transactions.py)
    "contextmanager": "from contextlib import contextmanager",
    "base64": "import base64",
    "random": "import random",
    "string": "import string",
}
THIRD_PARTY = ("import gevent", "from gevent", "from locust", "from lxml")


# Nodes are immutable, so the whitespace parts of the nodes the generator makes thousands of
# are shared instead of being built (and validated) anew for every node: same code, less time.
_NO_SPACE = cst.SimpleWhitespace("")
_SPACE = cst.SimpleWhitespace(" ")
_END_OF_LINE = cst.TrailingWhitespace()
_Arg = functools.partial(cst.Arg, whitespace_after_star=_NO_SPACE, whitespace_after_arg=_NO_SPACE)
_Call = functools.partial(cst.Call, whitespace_after_func=_NO_SPACE,
                          whitespace_before_args=_NO_SPACE)
_DictElement = dict_element
_Dict = dict_display
_SimpleStatementLine = functools.partial(cst.SimpleStatementLine,
                                         trailing_whitespace=_END_OF_LINE)
_With = functools.partial(cst.With, whitespace_after_with=_SPACE, whitespace_before_colon=_NO_SPACE)
_AsName = functools.partial(cst.AsName, whitespace_before_as=_SPACE, whitespace_after_as=_SPACE)
_IndentedBlock = functools.partial(cst.IndentedBlock, header=_END_OF_LINE)
_AssignTarget = functools.partial(cst.AssignTarget, whitespace_before_equal=_SPACE,
                                  whitespace_after_equal=_SPACE)


RUNTIME_HELPER_MODULES = ("checks.py", "data.py")  # their functions are copied one by one
# helpers registered as Locust event listeners: helper name -> event
LISTENER_HELPERS = {
    "request_timeout_option": "init_command_line_parser",
    "end_answers_as_browsers_do": "init",
    "secret_options": "init_command_line_parser",
    "check_secrets": "test_start",
    "failure_option": "init_command_line_parser",
    "read_failure_option": "test_start",
    "data_option": "init_command_line_parser",
    "listen_for_share": "init",
    "load_rows": "test_start",
}
LOCUST_NAMES = frozenset({"FastHttpUser", "HttpUser", "task", "constant", "between", "events"})


# the extractions read by a link's or a form's anchors (from_link, from_form)
_FORM_KINDS = ("link", "form_input", "form_input_or_recorded", "form_token_or_recorded")


@dataclass
class _Needs:
    """Run-time helpers and module constants the module being generated uses."""

    helpers: set[str] = field(default_factory=set)
    constants: list[cst.SimpleStatementLine] = field(default_factory=list)
    constant_values: dict[str, cst.BaseExpression] = field(default_factory=dict)
    constant_keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (suffix, key)

    def copy(self) -> _Needs:
        return _Needs(set(self.helpers), list(self.constants), dict(self.constant_values),
                      dict(self.constant_keys))

    def restore(self, saved: _Needs) -> None:
        self.helpers, self.constants = set(saved.helpers), list(saved.constants)
        self.constant_values = dict(saved.constant_values)
        self.constant_keys = dict(saved.constant_keys)


# A recording with at least this many requests has its page methods written on both cores
# (FastHttpGenerator.page_methods): below it, a fork costs about what it saves.
PARALLEL_STEPS = 2000
# The child's pages took it about 15 % longer than the parent's (it pickles the printed text
# and copies the pages of memory it touches): it gets that much less.
PAGES_CHILD_COST = 1.15


class _PrintedPage(NamedTuple):
    """A page method written (and printed) on its own, maybe in a forked process."""

    body: str | None  # its body after the docstring as black lays it out; None: left to black
    names: frozenset[str]  # the names it uses (for the imports)
    helpers: frozenset[str]  # the run-time helpers it asked for
    constants: tuple[tuple[str, str, str, cst.BaseExpression, str], ...]  # constant() calls,
    # in order: (var, suffix, key, value, the name it got)


class FastHttpGenerator:
    user_base = "FastHttpUser"

    def __init__(self, scenario: ir.Scenario, options: Options, needs: _Needs | None = None,
                 member: Member | None = None, printed: dict[str, str] | None = None) -> None:
        self.scenario = scenario
        self.options = options
        self.needs = needs or _Needs()
        # page bodies printed ahead, by placeholder name (see page_methods); None: never
        self.printed = printed
        self.page_names: set[str] = set()  # the names the printed bodies use
        self._calls: list | None = None  # constant() calls of the page being written
        self.member = member  # the class's part in a workload of several recordings
        # a workload's classes have rows of their own in the stats, named after the class
        self.stats_prefix = f"{member.label} " if member else ""
        self.width = len(str(len(scenario.steps))) if scenario.steps else 1
        self.steps_by_group: dict[int, list[ir.Step]] = {}
        self.headers_cache: dict[tuple[ir.Header, ...], cst.Dict] = {}
        self.checks_cache: dict[tuple, tuple[list[cst.Arg], list[cst.EmptyLine]]] = {}
        self._shared_names: dict[int, set[str]] = {}  # see _light_names
        for step in scenario.steps:
            self.steps_by_group.setdefault(step.group, []).append(step)
        self.sent_in = _sent_as_is(scenario)

    # --- module ---------------------------------------------------------------------------

    def module(self) -> cst.Module:
        user_class = self.user_class()
        settings = self.settings_code(self.scenario.secrets, self.scenario.data_columns)
        code: list[cst.CSTNode] = [*settings, *self.needs.constants, *self.rendezvous_code(),
                                   user_class, *self.transaction_code(),
                                   *self.helper_functions()]
        used = _free_names(code) | self.page_names
        return cst.Module(body=[self.docstring(), *self.imports(used), *code])  # type: ignore

    def imports(self, used: set[str]) -> list[cst.SimpleStatementLine]:
        """Exactly what the code uses: standard library first, then gevent, locust and lxml."""
        stdlib = _import_block([IMPORTS[n] for n in used & IMPORTS.keys()
                                if not IMPORTS[n].startswith(THIRD_PARTY)])
        third = _import_block([f"from locust import {', '.join(used & LOCUST_NAMES)}"] + [
            IMPORTS[n] for n in used & IMPORTS.keys()
            if IMPORTS[n].startswith(THIRD_PARTY)])
        lines = [cst.parse_statement(line) for line in stdlib]
        for i, line in enumerate(third):
            stmt = cst.parse_statement(line)
            if i == 0 and lines:
                stmt = stmt.with_changes(leading_lines=[cst.EmptyLine()])
            lines.append(stmt)
        return lines  # type: ignore[return-value]

    def docstring(self) -> cst.SimpleStatementLine:
        s = self.scenario
        skipped = sum(n for _, n in s.skipped)
        lines = [
            f"Locust load test generated by har2locust-plus {__version__} from {s.source}.",
            "",
            f"Recorded with: {one_line(s.creator or 'unknown exporter')}"
            + (f" / {one_line(s.browser)}" if s.browser and s.browser != s.creator else ""),
            f"Flow: {_count(len(s.steps), 'request')} in {_count(len(s.groups), 'page')}"
            + (f"; {skipped} recorded entries not replayed (see the report)." if skipped else "."),
            "",
            "Run it:",
            "    locust -f locustfile.py --headless -u 5 -r 5 -t 1m --host "
            + (s.main_origin or "URL"),
            "",
            "Options of this script (locust --help does not list them; the web UI's form has "
            "them):",
        ]
        options = script_options(s, self.options)
        width = max(len(o.flag) for o in options)
        lines.extend(f"    {o.flag:<{width}}  {one_line(o.help, limit=200)}" for o in options)
        return _SimpleStatementLine([cst.Expr(py_docstring("\n".join(lines) + "\n"))])

    # --- the user class -------------------------------------------------------------------

    def user_class(self) -> cst.ClassDef:
        methods = [self.init(), self.on_start(), self.journey(), *self.page_methods()]
        body = [*self.class_attributes(), *[m for m in methods if m is not None]]
        return cst.ClassDef(
            name=cst.Name(self.class_name()),
            bases=[_Arg(cst.Name(self.user_base))],
            body=_IndentedBlock(body),  # type: ignore[arg-type]
            leading_lines=[cst.EmptyLine(), cst.EmptyLine()],
        )

    def class_name(self) -> str:
        if self.member:
            return self.member.class_name
        if self.options.class_name:
            return py_ident(self.options.class_name)
        return class_name_for(self.scenario.source)

    def class_attributes(self) -> list[cst.SimpleStatementLine]:
        s = self.scenario
        stmts = [_assign("weight", cst.Integer(str(self.member.weight)),
                         "Locust gives this class weight/(sum of weights) of the users")
                 ] if self.member else []
        stmts += [
            _assign("host", py_str(s.main_origin or "http://localhost"),
                    "the recorded origin; --host overrides it"),
            _assign("wait_time", self.wait_time(), "pause between two runs of the flow"),
        ]
        stmts.extend(self.redirect_attributes())
        if s.common_headers:
            stmts.extend(self.common_header_attributes())
        return stmts

    def wait_time(self) -> cst.BaseExpression:
        think = self.options.think_time
        if think.mode == "range":
            return _Call(cst.Name("between"),
                            [_Arg(_num(think.low)), _Arg(_num(think.high))])
        return _Call(cst.Name("constant"), [_Arg(_num(1 if think.mode == "recorded" else 0))])

    def redirect_attributes(self) -> list[cst.SimpleStatementLine]:
        return [_assign("max_redirects", cst.Integer("0"),
                        "each redirect hop is a request of its own: checks see every hop")]

    def common_header_attributes(self) -> list[cst.SimpleStatementLine]:
        return [_assign("default_headers", self.headers_dict(self.scenario.common_headers),
                        "sent by every recorded request")]

    def init(self) -> cst.FunctionDef:
        """``__init__``: the network timeouts from --request-timeout, set before the client is."""
        self.use_helper("request_timeout_option")
        self.use_helper("request_timeout")
        self.use_helper("end_answers_as_browsers_do")
        timeout = _Call(cst.Name("request_timeout"), [_Arg(cst.Name("environment"))])
        assign = _SimpleStatementLine([cst.Assign(
            [_AssignTarget(self_attr("network_timeout")),
             _AssignTarget(self_attr("connection_timeout"))], timeout)])
        return self.init_method([assign, self.super_init()])

    def super_init(self) -> cst.SimpleStatementLine:
        return _stmt(_Call(cst.Attribute(_Call(cst.Name("super")), cst.Name("__init__")),
                           [_Arg(cst.Name("environment"))]))

    def init_method(self, body: list[cst.BaseStatement]) -> cst.FunctionDef:
        fn = _method("__init__", body, "A request waits --request-timeout seconds for the server,"
                     " then its step fails.")
        return fn.with_changes(params=cst.Parameters(
            [cst.Param(cst.Name("self")), cst.Param(cst.Name("environment"))]))

    def on_start(self) -> cst.FunctionDef | None:
        body: list[cst.BaseStatement] = []
        docs = []
        if self.uses_host():
            body.append(_set(self_attr("origin"), _Call(
                cst.Attribute(cst.Attribute(cst.Name("self"), cst.Name("host")),
                              cst.Name("rstrip")), [_Arg(py_str("/"))])))
            docs.append("Origin and Referer follow the host under test")
        if self.scenario.secrets:
            self.use_helper("secret")
            keys = self.member.secrets if self.member else self.scenario.secrets
            body.extend(_set(self_attr(s.name), self.secret_value(s, key))
                        for s, key in zip(self.scenario.secrets, keys, strict=True))
            docs.append("secrets from this script's options")
        if self.scenario.data_columns and self.options.data_per == "user":
            body.extend(self.row_statements())
            docs.append("each user takes its own row of the data file")
        if _sets_secure_cookies(self.scenario):
            self.use_helper("send_secure_cookies_as_browsers_do")
            body.append(_stmt(_Call(cst.Name("send_secure_cookies_as_browsers_do"),
                                    [_Arg(self.cookie_jar())])))
            docs.append("Secure cookies go to a server on this machine over http too, as in "
                        "the browser")
        if not body:
            return None
        text = "; ".join(docs)
        return _method("on_start", body, text[:1].upper() + text[1:] + ".")

    def row_statements(self) -> list[cst.SimpleStatementLine]:
        """``row = next_row(self)``, then one attribute per column of the --data file."""
        self.use_helper("next_row")
        self.use_helper("load_rows")
        self.use_helper("listen_for_share")
        stmts = [_set(cst.Name("row"), _Call(cst.Name("next_row"), [_Arg(cst.Name("self"))]))]
        keys = self.member.columns if self.member else self.scenario.data_columns
        stmts.extend(_set(self_attr(c.name), cst.Subscript(
            cst.Name("row"), [cst.SubscriptElement(cst.Index(py_str(key.name)))]))
            for c, key in zip(self.scenario.data_columns, keys, strict=True))
        return stmts

    def secret_value(self, secret: ir.Secret, key: ir.Secret) -> cst.Call:
        """``secret(self, "password")``; Basic credentials through ``basic_credentials``,
        which takes them as user:password too."""
        call = _Call(cst.Name("secret"), [_Arg(cst.Name("self")), _Arg(py_str(key.name))])
        if not is_basic(secret):
            return call
        self.use_helper("basic_credentials")
        return _Call(cst.Name("basic_credentials"), [_Arg(call)])

    def settings_code(self, secrets: Sequence[ir.Secret], columns: Sequence[ir.DataColumn]
                      ) -> list[cst.SimpleStatementLine]:
        """What the secrets' options and the --data option are (runtime/data.py reads them)."""
        stmts = []
        if secrets:
            self.use_helper("secret_options")
            self.use_helper("check_secrets")
            table = _Dict([_DictElement(py_str(s.name), cst.Tuple([
                cst.Element(py_str(s.env)), cst.Element(py_str(secret_what(s)))
            ])) for s in secrets])
            stmts.append(_assign("SECRETS", table).with_changes(leading_lines=[
                cst.EmptyLine(), _line_comment(
                    "Recorded secrets are not in this file: options of the script, by default "
                    "from"),
                _line_comment("environment variables (option: variable, what was recorded)."),
            ]))
        if columns:
            self.use_helper("data_option")
            names = cst.Tuple([cst.Element(py_str(c.name)) for c in columns])
            data = _Dict([_DictElement(py_str("default"), py_str(data_file_default(self.options))),
                          _DictElement(py_str("columns"), names)])
            per = "each run of the flow takes the next row" if self.options.data_per == \
                "iteration" else "each user takes its own row"
            stmts.append(_assign("DATA", data).with_changes(leading_lines=[
                cst.EmptyLine(), _line_comment(
                    f"The CSV file --data (default: in the script's folder): {per}; in a"),
                _line_comment("distributed run, each worker takes its own share of the rows.")]))
        return stmts

    def uses_host(self) -> bool:
        def has_host(t: object) -> bool:
            return isinstance(t, ir.Template) and any(isinstance(p, ir.HostRef) for p in t.parts)
        for step in self.scenario.steps:
            if any(has_host(h.value) for h in step.request.headers):
                return True
        return False

    def journey(self) -> cst.FunctionDef:
        body = self.journey_body()
        if self.printed is not None:  # printed ahead: 2,400 statements at 10,000 entries
            placeholder = "H2L_PRINTED_" + uuid.uuid4().hex + "_journey"
            try:
                self.printed[placeholder] = layout.method_body(body, depth=2)  # type: ignore[arg-type]
            except layout.Unsupported:
                pass
            else:
                self.page_names |= _light_names(body, {})
                body = [_stmt(cst.Name(placeholder))]
        fn = _method("journey", [to_cst(s) for s in body], "The recorded flow, page by page.")
        return fn.with_changes(decorators=[cst.Decorator(cst.Name("task"))])

    def journey_body(self) -> list[cst.BaseStatement | Line]:
        body: list[cst.BaseStatement | Line] = []
        if self.options.new_user_each_iteration and self.scenario.groups:
            body.append(_SimpleStatementLine(
                [cst.Expr(_Call(cst.Attribute(self.cookie_jar(), cst.Name("clear"))))],
                leading_lines=[_line_comment(
                    "a new user each run, as recorded (--keep-session keeps the cookies)")]))
        if self.scenario.data_columns and self.options.data_per == "iteration":
            rows = self.row_statements()
            rows[0] = rows[0].with_changes(leading_lines=[_line_comment(
                "each run takes the next row of the data file (--data-per iteration)")])
            body.extend(rows)
        for i, group in enumerate(self.scenario.groups):
            pause = self.pause(group)
            if pause is not None and i:
                body.append(pause)
            body.append(Line(Call("self." + py_ident(group.method))))
        if not body:
            body.append(_SimpleStatementLine([cst.Pass()], trailing_whitespace=_comment(
                "nothing left to replay after filtering: see the report")))
        return body

    def cookie_jar(self) -> cst.BaseExpression:
        return cst.Attribute(self_attr("client"), cst.Name("cookiejar"))

    def pause(self, group: ir.Group) -> Line | None:
        think = self.options.think_time
        if think.mode == "none":
            return None
        if think.mode == "range":
            return Line(Call("self.wait"))
        if group.think_before <= 0:
            return None
        return Line(Call("time.sleep", ((_POS, _num(group.think_before)),)),
                    trailing=_comment_line("recorded think time"))

    def page_methods(self) -> list[cst.FunctionDef]:
        """A method per page. A large recording's are written and printed on both cores: each
        page on its own (:meth:`printed_page`), about half of them in a forked process; the
        generator then holds, for each, a method whose body is a placeholder line that
        :func:`.fmt.render` replaces with the printed body. What a page asks of the module
        (constants, run-time helpers) is applied afterwards in page order, exactly as when the
        pages are written one after the other here; if a constant would be named otherwise,
        everything is written here after all.
        """
        groups = self.scenario.groups
        if self.printed is None:
            return [self.group_method(index, group) for index, group in enumerate(groups)]
        # the constants first, in the order the pages ask for them: a page written in the
        # other process then finds a constant another page made, under the same name
        for index in range(len(groups)):
            for step in self.steps_by_group.get(index, ()):
                for ex in step.extractions:
                    self.extraction_constant(ex)
        before = self.needs.copy()
        caches = dict(self.headers_cache), dict(self.checks_cache)
        keep: list[object] = []  # the nodes printed here live until the session ends
        self._shared_names = {}  # (names by id: valid while keep lives)
        print_page = functools.partial(self.printed_page, keep=keep)
        with layout.session():
            if len(self.scenario.steps) < PARALLEL_STEPS or not can_fork():
                pages = [print_page(index) for index in range(len(groups))]
            else:
                pages = fork_map(print_page, range(len(groups)),
                                 cost=lambda index: len(self.steps_by_group.get(index, ())),
                                 child_cost=PAGES_CHILD_COST)
        del keep
        self._shared_names = {}
        self.needs.restore(before)
        for page in pages:  # what each page asked of the module, in page order
            self.needs.helpers |= page.helpers
            for var, suffix, key, value, name in page.constants:
                if self.constant(var, suffix, key, value).value != name:  # numbered otherwise
                    self.needs.restore(before)  # and nothing built with that name is reused
                    self.headers_cache, self.checks_cache = caches
                    return [self.group_method(index, group)
                            for index, group in enumerate(groups)]
        tag = "H2L_PRINTED_" + uuid.uuid4().hex
        methods = []
        for index, (group, page) in enumerate(zip(groups, pages, strict=True)):
            if page.body is None:  # not in layout's subset: black formats it, as a node
                methods.append(self.group_method(index, group))
                continue
            placeholder = f"{tag}_{index}"
            self.printed[placeholder] = page.body
            self.page_names |= page.names
            methods.append(_method(group.method, [_stmt(cst.Name(placeholder))],
                                   self.page_doc(group)))
        return methods

    def printed_page(self, index: int, keep: list[cst.CSTNode]) -> _PrintedPage:
        """Page ``index`` written and printed on its own, with what it asked of the module."""
        helpers = set(self.needs.helpers)
        self._calls = []
        try:
            statements = self.page_body(index, self.scenario.groups[index])
            calls = tuple(self._calls)
        finally:
            self._calls = None
        keep.append(statements)
        try:
            body: str | None = layout.method_body(statements, depth=2)  # type: ignore[arg-type]
        except layout.Unsupported:
            body = None
        return _PrintedPage(body, frozenset(_light_names(statements, self._shared_names)),
                            frozenset(self.needs.helpers - helpers), calls)

    def page_doc(self, group: ir.Group) -> str:
        return one_line(group.title) if group.title else group.method

    def group_method(self, index: int, group: ir.Group) -> cst.FunctionDef:
        return _method(group.method, [to_cst(s) for s in self.page_body(index, group)],
                       self.page_doc(group))

    def page_body(self, index: int, group: ir.Group) -> list[Line | Block]:
        """The statements of page ``index``'s method after its docstring."""
        steps = self.steps_by_group.get(index, [])
        # a request the browser sent to follow a redirect goes where the live response of the
        # request just before it redirects (``resp``: that response, kept under the name)
        follows = [step.follows_location and i > 0 and steps[i - 1].number == step.number - 1
                   for i, step in enumerate(steps)]
        body: list[Line | Block] = []
        for i, step in enumerate(steps):
            if step.think_before > 0 and self.options.think_time.mode != "none":
                body.append(self.pause_in_page(step))
            body.extend(self.step_statements(
                step, follows=follows[i], keep_response=i + 1 < len(steps) and follows[i + 1]))
        if self.options.transactions and steps:
            body = [self.transaction(group, steps[0], body)]
        return body

    def pause_in_page(self, step: ir.Step) -> Line:
        """The user's pause inside a page, before ``step``: as recorded, or (``--think-time
        MIN-MAX``) as long as the pauses between pages, Locust's ``wait_time``; ``think``
        (transactions.py) leaves it out of the page's time; without transactions, a plain
        sleep (``self.wait()`` for the range)."""
        if self.options.think_time.mode == "range":
            comment = "the user paused here: --think-time's range"
            if not self.options.transactions:
                return Line(Call("self.wait"), trailing=_comment_line(comment))
            return Line(Call("think", ((_POS, Call("self.wait_time")),)),
                        trailing=_comment_line(comment))
        call = Call("think" if self.options.transactions else "time.sleep",
                    ((_POS, _num(step.think_before)),))
        return Line(call, trailing=_comment_line("recorded think time inside the page"))

    def transaction(self, group: ir.Group, first: ir.Step, body: list[Line | Block]) -> Block:
        """``with transaction(self, "03 Log in"):`` around a page: one more row in the stats,
        numbered by the page's first step so that it sorts beside its requests."""
        name = f"{self.stats_prefix}{first.number:0{self.width}d} " \
            f"{one_line(self.page_title(group, first), 60)}"
        return Block(Call("transaction", ((_POS, _SELF), (_POS, py_str(name)))), "", body)

    def page_title(self, group: ir.Group, first: ir.Step) -> str:
        """The page's title. A title made of its recorded URL gets the method (``GET /login``:
        the row's name differs from its request's, ``02 /login``) and shows run-time values
        as ``{note_id}``, as request names do: the page is not about the recorded object."""
        request = first.request
        verb = "" if request.method == "GET" else request.method + " "
        if request.path.is_literal:  # most pages: a comparison, not a regex of each path
            made_of_url = group.title == verb + request.path.text
        else:
            recorded = "".join(re.escape(part) if isinstance(part, str) else ".+?"
                               for part in request.path.parts)
            made_of_url = re.fullmatch(re.escape(verb) + recorded, group.title) is not None
        if not made_of_url:
            return group.title or group.method
        return f"{request.method} {ir.template_preview(request.path)}"

    # --- one request ----------------------------------------------------------------------

    def step_statements(self, step: ir.Step, *, follows: bool = False,
                        keep_response: bool = False) -> list[Line | Block]:
        """The statements of one request. ``follows``: it goes where ``resp`` redirects to;
        ``keep_response``: the next request does that, so the response is kept as ``resp``."""
        stmts: list[Line | Block] = [self.rendezvous_call(step)] if step.rendezvous else []
        stmts.extend(self.generated_value(step, g) for g in step.generated)
        inner = self.response_statements(step)
        call = self.request_call(step, catch_response=bool(inner), follows=follows)
        comments = _LEFT_OUT if step.request.body_left_out else ()
        if not inner:
            stmts.append(Line(call, "resp" if keep_response else "", comments))
            return stmts
        stmts.append(Block(call, "resp", inner, comments))
        return stmts

    def rendezvous_call(self, step: ir.Step) -> Line:
        call = Call("rendezvous", ((_POS, _SELF), (_POS, py_str(step.rendezvous or ""))))
        return Line(call, comments=(_comment_line(
            "rendezvous point: wait for the other users, then send this request together"),))

    def generated_value(self, step: ir.Step, value: ir.Generated) -> Line:
        if value.kind == "cookie":
            return self.cookie_value(step, value)
        if value.kind == "header_cookie":
            self.use_helper("cookie_for_header")
            call = Call("cookie_for_header", ((_POS, _SELF), (_POS, py_str(value.name)),
                                              (_POS, py_str(value.recorded)),
                                              (_POS, py_str(self.step_label(step)))))
            return Line(call, "self." + py_ident(value.var), (
                _comment_line("no cookie in the recording (a sanitized export): the jar's "
                              "named like the header"),))
        if value.kind == "cookie_part":
            self.use_helper("cookie_name_part")
            call = Call("cookie_name_part", ((_POS, _SELF), (_POS, py_str(value.name)),
                                             (_POS, py_str(self.step_label(step)))))
            return Line(call, "self." + py_ident(value.var), (_comment_line(
                "the server names this cookie per instance: the part it chose"),))
        if value.kind == "port":
            self.use_helper("live_port")
            return Line(Call("live_port", ((_POS, _SELF),)), "self." + py_ident(value.var),
                        (_comment_line("the server names cookies by its port (recorded: "
                                       + value.recorded + ")"),))
        if value.kind == "set_cookie":
            self.use_helper("set_cookie")
            cookie = var_expr(ir.VarRef(value.var)) if value.var else py_str(value.recorded)
            return Line(Call("set_cookie", ((_POS, _SELF), (_POS, py_str(value.name)),
                                            (_POS, cookie))),
                        comments=(_comment_line("a cookie the page's script set"),))
        target = "self." + py_ident(value.var)
        if value.kind == "unique":
            expr: cst.BaseExpression | Call = cst.Subscript(
                cst.Attribute(_Call(cst.Attribute(cst.Name("uuid"), cst.Name("uuid4"))),
                              cst.Name("hex")),
                [cst.SubscriptElement(cst.Slice(lower=None, upper=cst.Integer("8")))])
            return Line(expr, target, (_comment_line(
                "a fresh suffix each run: a name taken once (--unique, an account, a slug, "
                "a new URL)"),))
        if value.kind == "uuid4":
            expr = Call("str", ((_POS, Call("uuid.uuid4")),))
        elif value.kind == "token":  # shaped like the recorded one
            self.use_helper("fresh_token")
            expr = Call("fresh_token", ((_POS, py_str(value.recorded)),))
        elif value.kind == "epoch_ms":  # part of names: never the same twice in a process
            self.use_helper("fresh_epoch_ms")
            expr = Call("fresh_epoch_ms")
        elif value.in_name:  # "Zoo 1796281713": a name, new for each user and run
            self.use_helper("fresh_epoch_s")
            expr = Call("fresh_epoch_s")
        else:
            expr = Call("int", ((_POS, Call("time.time")),))
        return Line(expr, target, (_comment_line(
            f"made up by the client when recorded: a fresh {value.kind} each run"),))

    def cookie_value(self, step: ir.Step, value: ir.Generated) -> Line:
        """``self.csrftoken = from_cookie(self, "csrftoken", "step 5 ...")``: the jar's value
        when the request is sent, as the page's script read ``document.cookie`` (a header's
        double-submit token) or the server wrote it into the form too (ikiwiki's ``sid``)."""
        self.use_helper("from_cookie")
        name = template_expr(value.name_template) if value.name_template is not None else \
            py_str(value.name)
        call = Call("from_cookie", ((_POS, _SELF), (_POS, name),
                                    (_POS, py_str(self.step_label(step)))))
        return Line(self.decoded(call, value.decode), "self." + py_ident(value.var), (
            _comment_line("the request sends this cookie's value again: as the jar has it"),))

    def request_call(self, step: ir.Step, catch_response: bool, follows: bool = False) -> Call:
        request = step.request
        args: list[tuple[str, cst.BaseExpression | Call]] = []
        if request.method in CLIENT_METHODS:
            func = "self.client." + request.method.lower()
        else:
            func = "self.client.request"
            args.append((_POS, py_str(request.method)))
        url: cst.BaseExpression | Call = template_expr(self.url(request))
        if not request.path.is_literal and any(ref.encoding == "segment"
                                               for ref in request.path.refs()):
            self.use_helper("path_segment")  # a Referer names only paths requested before
        if follows:  # the live Location, as the browser followed it; else the recorded URL
            self.use_helper("redirected")
            url = Call("redirected", ((_POS, _name("resp")), (_POS, url),
                                      (_POS, _dotted("self.host"))))
        args.append((_POS, url))
        body = request.body
        if isinstance(body, ir.JsonBody) and body.base:  # a document read, changed, sent back
            self.use_helper("edited_json")
            args.append(("json=", Call("edited_json", (
                (_POS, _SELF), (_POS, _dotted("self." + py_ident(body.base))),
                (_POS, py_value(body.value)), (_POS, py_str(self.step_label(step)))))))
        else:
            args.extend(_light_args(self.body_args(body)))
        if request.headers:
            args.append(("headers=", self.headers_dict(request.headers)))
        args.extend(_light_args(self.redirect_args()))
        args.extend(_light_args(self.timeout_args()))
        args.append(("name=", py_str(self.stats_name(step))))
        if catch_response:
            args.append(("catch_response=", _name("True")))
        return Call(func, tuple(args))

    def redirect_args(self) -> list[cst.Arg]:
        return []

    def timeout_args(self) -> list[cst.Arg]:
        return []

    def url(self, request: ir.Request) -> ir.Template:
        return ir.request_url(request, self.scenario.main_origin)

    def stats_name(self, step: ir.Step) -> str:
        """``05 /notes``; with the operation a front controller or an RPC endpoint was asked
        for, as the step's label names it: ``16 / (_task=addressbook, _action=save)``."""
        path = ir.template_preview(step.request.path)
        origin = "" if step.request.origin == self.scenario.main_origin else step.request.origin
        operation = f" ({step.request.operation})" if step.request.operation else ""
        return f"{self.stats_prefix}{step.number:0{self.width}d} {origin}{path}{operation}"

    def body_args(self, body: ir.Body | None) -> list[cst.Arg]:
        if body is None:
            return []
        if isinstance(body, ir.JsonBody):
            return [_kwarg("json", py_value(body.value))]
        if isinstance(body, ir.FormBody):
            return [_kwarg("data", self.form(body.fields, dict(body.names)))]
        if isinstance(body, ir.MultipartBody):
            if not body.files:
                # still multipart: with data= alone both clients would send a urlencoded form,
                # which some servers refuse (Next.js's server actions answer 500). A part
                # (None, value) is a field without a file name in both; its value a str (an
                # int from a JSON answer would be bytes(n), n zero bytes, to geventhttpclient)
                read = dict(body.names)
                return [_kwarg("files", cst.List([cst.Element(cst.Tuple([
                    cst.Element(template_expr(read[i]) if i in read else py_str(name)),
                    cst.Element(cst.Tuple([cst.Element(cst.Name("None")),
                                           cst.Element(template_expr(value))]))]))
                    for i, (name, value) in enumerate(body.fields)]))]
            args = [_kwarg("data", self.form(body.fields, dict(body.names)))] \
                if body.fields else []
            files = cst.List([cst.Element(cst.Tuple([
                cst.Element(py_str(f.field)),
                cst.Element(cst.Tuple([cst.Element(py_str(f.filename)),
                                       cst.Element(py_bytes(f.content)),
                                       cst.Element(py_str(f.content_type))]))]))
                for f in body.files])
            return [*args, _kwarg("files", files)] if body.files else args
        if body.text is not None:
            return [_kwarg("data", template_expr(body.text))]
        if body.data is not None:
            return [_kwarg("data", py_bytes(body.data))]
        return []

    def form(self, fields: Sequence[tuple[str, ir.Template]],
             read: dict[int, ir.Template] | None = None) -> cst.BaseExpression:
        """A form's fields; ``read``: the fields whose name is filled in at run time (index →
        the name: a variable, or the recorded name with a variable inside)."""
        read = read or {}
        keys = [value_expr(read[i]) if i in read else py_str(n)
                for i, (n, _) in enumerate(fields)]
        names = [name for name, _ in fields]
        if len(set(names)) == len(names):
            return _Dict([_DictElement(k, value_expr(v))
                          for k, (_, v) in zip(keys, fields, strict=True)])
        # repeated names (checkboxes, multi-selects): keep order, encode once
        pairs = cst.List([cst.Element(cst.Tuple([cst.Element(k), cst.Element(value_expr(v))]))
                          for k, (_, v) in zip(keys, fields, strict=True)])
        return _Call(cst.Name("urlencode"), [_Arg(pairs)])

    def headers_dict(self, headers: Sequence[ir.Header]) -> cst.Dict:
        key = tuple(headers)
        node = self.headers_cache.get(key)
        if node is None:  # many requests send the same headers: one (immutable) node for all
            node = self.headers_cache[key] = _Dict([
                _DictElement(py_str(h.name) if h.name_template is None
                             else template_expr(h.name_template), template_expr(h.value))
                for h in headers])
        return node

    # --- after the response: checks and extractions ---------------------------------------

    def response_statements(self, step: ir.Step) -> list[Line | Block]:
        stmts: list[Line | Block] = []
        if step.checks:
            stmts.append(self.check_call(step))
        for extraction in step.extractions:
            stmts.append(self.extraction(step, extraction))
        return stmts

    def step_label(self, step: ir.Step) -> str:
        return f"step {step.number} {step.label}"

    def check_call(self, step: ir.Step) -> Line:
        for helper in ("check", "failure_option", "read_failure_option"):
            self.use_helper(helper)
        # a few kinds of checks repeat over thousands of steps (types too: True == 1)
        key = (step.checks, tuple(type(c.expected) for c in step.checks))
        cached = self.checks_cache.get(key)
        if cached is None:
            args, comment = self.check_args(step.checks)
            cached = self.checks_cache[key] = (
                tuple(_light_args(args)),
                tuple(line.comment.value for line in comment))  # type: ignore[union-attr]
        args, comments = cached
        return Line(Call("check", ((_POS, _name("resp")), (_POS, py_str(self.step_label(step))),
                                   *args)), comments=comments)

    def check_args(self, checks: tuple[ir.Check, ...]
                   ) -> tuple[list[cst.Arg], list[cst.EmptyLine]]:
        """``check()``'s arguments after the step label, and the comment saying where from."""
        by_kind = {c.kind: c for c in checks}
        args = [_Arg(_num(by_kind["status"].expected))]
        origins = [by_kind["status"].origin]
        if "location" in by_kind:
            args.append(_kwarg("location", py_regex(by_kind["location"].expected)))
        if "redirect_header" in by_kind:
            name, pattern = by_kind["redirect_header"].expected
            args.append(_kwarg("redirect_header", cst.Tuple([cst.Element(py_str(name)),
                                                             cst.Element(py_regex(pattern))])))
        if "query_names" in by_kind:
            args.append(_kwarg("query_names", cst.Tuple(
                [cst.Element(py_str(name)) for name in by_kind["query_names"].expected])))
        if "content_type" in by_kind:
            args.append(_kwarg("content_type", py_str(by_kind["content_type"].expected)))
        contains = [c.expected for c in checks if c.kind == "contains"]
        if contains:
            args.append(_kwarg("contains", cst.Tuple([cst.Element(py_str(t)) for t in contains])))
        if "json_keys" in by_kind:
            args.append(_kwarg("json_keys", py_value(tuple(by_kind["json_keys"].expected))))
        values = [c for c in checks if c.kind == "json_value"]
        if values:
            args.append(_kwarg("json_values", cst.Tuple([cst.Element(cst.Tuple([
                cst.Element(py_str(".".join(c.path))), cst.Element(py_value(c.expected))]))  # type: ignore[arg-type]
                for c in values])))
        if "no_error" in by_kind:
            args.append(_kwarg("no_error", cst.Name("True")))
        if "no_error_shown" in by_kind:
            args.append(_kwarg("no_error_shown", cst.Name("True")))
        if "body_url" in by_kind:
            pattern, names = by_kind["body_url"].expected
            args.append(_kwarg("body_url", cst.Tuple([cst.Element(py_regex(pattern)), cst.Element(
                cst.Tuple([cst.Element(py_str(name)) for name in names]))])))
        if "dav_ok" in by_kind:
            args.append(_kwarg("dav_ok", cst.Name("True")))
        if "body_is" in by_kind:
            args.append(_kwarg("body_is", py_str(by_kind["body_is"].expected)))
        if "gone" in by_kind:
            args.append(_kwarg("gone", py_value(tuple(by_kind["gone"].expected))))
        origins += [c.origin for c in checks if c.kind != "status" and c.origin]
        comment = "; ".join(dict.fromkeys(o for o in origins if o))
        return args, [_line_comment(comment)] if comment else []

    def extraction(self, step: ir.Step, ex: ir.Extraction) -> Line:
        label = py_str(self.step_label(step))
        var = py_str(ex.var)
        if ex.kind == "document":  # the whole JSON document, which a later step sends back
            self.use_helper("json_document")
            steps = ", ".join(map(str, ex.used_by))
            said = f"steps {steps} send" if len(ex.used_by) > 1 else f"step {steps} sends"
            return Line(Call("json_document", ((_POS, _name("resp")), (_POS, label),
                                               (_POS, var))),
                        "self." + py_ident(ex.var), (_comment_line(
                            f"{said} this document back changed (as the server has it then)"),))
        reader = self.extraction_constant(ex)
        if ex.kind == "json" and ex.expr:  # a value in a URL the JSON body holds
            helper, last = "from_json_url", py_value(tuple(ex.path))
        elif ex.kind == "json":
            helper, last = "from_json", py_value(tuple(ex.path))
        elif ex.kind == "header":
            helper, last = "from_header", py_str(ex.expr)
        elif ex.kind == "page_csrf":
            helper, last = "from_page_csrf", py_str(ex.expr)
        elif ex.kind in _FORM_KINDS:
            helper = "from_link" if ex.kind == "link" else "from_form"
            last = py_str(ex.expr)
        elif ex.kind == "named_link":
            helper, last = "from_named_link", reader
        elif ex.kind == "row":
            helper, last = "from_row", reader
        elif ex.kind == "html_row":
            helper, last = "from_html_row", reader
        elif ex.kind == "html_row_value":
            helper, last = "from_html_row_value", reader
        elif ex.kind == "json_row":  # the array, then the path in its element
            at = max(i for i, key in enumerate(ex.path) if isinstance(key, int))
            array, inside = tuple(ex.path[:at]), tuple(ex.path[at + 1:])
            helper, last = "from_json_row", py_value(array)
        elif ex.kind == "json_html":  # an XPath over HTML a JSON string holds
            helper, last = "from_json_html", reader
        elif ex.kind in ("xpath", "xml"):
            helper = ("from_xml" if ex.kind == "xml" else
                      "from_json_island" if ex.path else "from_xpath")
            last = reader
        elif ex.kind == "location" and ex.header:  # the URL another header names
            helper, last = "from_header_url", py_str(ex.header)
        else:
            helper = "from_location" if ex.kind == "location" else "from_regex"
            last = reader
        self.use_helper(helper)
        used = ", ".join(str(n) for n in ex.used_by)
        plural = "s" if len(ex.used_by) > 1 else ""
        extra = [(_POS, py_value(tuple(ex.path)))] if ex.kind in ("xpath", "json_html") and \
            ex.path else []
        if helper in ("from_json_url", "from_header_url"):
            extra = [(_POS, reader)]
        if ex.kind in _FORM_KINDS:
            extra = [(_POS, py_value(ex.anchors))]
        if ex.kind in ("form_input_or_recorded", "form_token_or_recorded"):
            extra.append(("recorded=", py_str(ex.recorded)))  # a field the user filled in?
        if ex.kind == "form_token_or_recorded":  # else the page's token, from any of its forms
            extra.append(("page_token=", py_value(True)))
        if ex.kind == "named_link":  # the link's name, and the recorded id to fall back on
            name = py_value(ex.anchors[0][1]) if ex.anchors else py_str(str(ex.path[0]))
            extra = [(_POS, name), (_POS, py_str(ex.recorded))]
        if ex.kind == "row":  # what the row holds: the name the client gave the object
            extra = [(_POS, py_value(ex.anchors[0][1]))]
        if ex.kind in ("html_row", "html_row_value"):  # the rows' tag, what the row holds
            names = tuple(name for _, name in ex.anchors)  # several: the first a row holds
            extra = [(_POS, py_str(str(ex.path[0]))),
                     (_POS, py_value(names if len(names) > 1 else names[0]))]
        if ex.kind == "json_row":
            extra = [(_POS, py_value(inside)), (_POS, py_value(ex.anchors[0][1]))]
            if ex.anchors[0][0] == "exact":  # a name the user typed: a leaf equal to it
                extra.append(("exact=", py_value(True)))
        args = [(_POS, _name("resp")), (_POS, label), (_POS, var), (_POS, last), *extra]
        sent_in = self.sent_in.get(ex.var)
        if sent_in:  # checked when extracted, so a value the client cannot send fails here
            args.append(("sent_in=", py_value(tuple(sorted(sent_in)))))
        value = Call(py_ident(helper), tuple(args))
        return Line(self.decoded(value, ex.decode), "self." + py_ident(ex.var),
                    (_comment_line(f"{ex.var} is sent back by step{plural} {used}"),)
                    if used else ())

    def extraction_constant(self, ex: ir.Extraction) -> cst.Name | None:
        """The module constant an extraction reads with (a compiled XPath or regex), if any:
        every extraction but a JSON path, a header's value, a link's parameter and a form's
        input has one."""
        if ex.kind in ("xpath", "xml", "json_html", "html_row_value"):
            return self.constant(ex.var, "XPATH", ex.expr, _Call(
                cst.Attribute(cst.Name("etree"), cst.Name("XPath")), [_Arg(py_str(ex.expr))]))
        if ex.kind in (*_FORM_KINDS, "header", "json_row",
                       "document", "page_csrf") or (
                ex.kind == "json" and not ex.expr):
            return None
        return self.regex_constant(ex.var, ex.expr)

    def regex_constant(self, var: str, pattern: str) -> cst.Name:
        """``NOTE_ID_RE = re.compile(...)`` at module level, by its name."""
        return self.constant(var, "RE", pattern, _Call(
            cst.Attribute(cst.Name("re"), cst.Name("compile")), [_Arg(py_str(pattern))]))

    def decoded(self, value: Call, how: str) -> Call:
        """``decoded(value, "html+url")``: undo the escaping of where the value was found."""
        if not how:
            return value
        self.use_helper("decoded")
        return Call("decoded", ((_POS, value), (_POS, py_str(how))))

    def constant(self, var: str, suffix: str, key: str, value: cst.BaseExpression) -> cst.Name:
        """A module-level constant (compiled regex or XPath), compiled once at import.

        ``key`` is the pattern or XPath ``value`` compiles: one constant per key, named after
        the first variable that reads with it (``CSRF_TOKEN_XPATH``, also for ``csrf_token_2``).
        The same name for another key (two recordings of a workload extract ``csrf_token``
        differently) is numbered: ``CSRF_TOKEN_2_XPATH``."""
        values = self.needs.constant_values
        name = self.needs.constant_keys.get((suffix, key))
        if name is None:
            name, n = f"{var.upper()}_{suffix}", 2
            while name in values and not values[name].deep_equals(value):
                name, n = f"{var.upper()}_{n}_{suffix}", n + 1
            if name not in values:
                values[name] = value
                self.needs.constants.append(_SimpleStatementLine(
                    [cst.Assign([_AssignTarget(cst.Name(name))], value)],
                    leading_lines=[cst.EmptyLine()] if not self.needs.constants else []))
            self.needs.constant_keys[(suffix, key)] = name
        if self._calls is not None:
            self._calls.append((var, suffix, key, value, name))
        return cst.Name(name)

    # --- run-time helpers ----------------------------------------------------------------

    def use_helper(self, name: str) -> None:
        self.needs.helpers.add(name)

    def helper_functions(self) -> list[cst.BaseStatement]:
        """The runtime helpers the script uses (checks.py's settings among them, e.g.
        ON_FAILURE; data.py's, SECRETS and DATA, are written by :meth:`settings_code`)."""
        if not self.needs.helpers:
            return []
        functions, deps = _runtime_functions(RUNTIME_HELPER_MODULES, self.printed is None)
        wanted = set()
        todo = list(self.needs.helpers)
        while todo:
            name = todo.pop()
            if name not in wanted:
                wanted.add(name)
                todo.extend(deps[name])
        out: list[cst.BaseStatement] = [
            stmt.with_changes(leading_lines=[cst.EmptyLine(), *stmt.leading_lines])
            for name, stmt in _runtime_settings("checks.py", self.printed is None).items()
            if any(name in _function_names(n) for n in wanted)]
        for name, fn in functions.items():
            if name in wanted:
                fn = fn.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])
                if name in LISTENER_HELPERS:
                    fn = fn.with_changes(decorators=[cst.Decorator(cst.Attribute(cst.Attribute(
                        cst.Name("events"), cst.Name(LISTENER_HELPERS[name])),
                        cst.Name("add_listener")))])
                out.append(fn)
        return out

    def rendezvous_code(self) -> list[cst.BaseStatement]:
        """runtime/rendezvous.py without its imports, its two settings from the options."""
        if not any(step.rendezvous for step in self.scenario.steps):
            return []
        settings = {"RENDEZVOUS_USERS": py_str(self.options.rendezvous_users),
                    "RENDEZVOUS_TIMEOUT": py_number(float(self.options.rendezvous_timeout))}
        out = []
        for stmt in _runtime_module("rendezvous.py", self.printed is None).body:
            if isinstance(stmt, cst.SimpleStatementLine) and isinstance(
                    stmt.body[0], (cst.Import, cst.ImportFrom)):
                continue
            target = _assigned_name(stmt)
            if target in settings:  # the first assignment; the next ones read the environment
                assign = stmt.body[0]  # type: ignore[attr-defined]
                stmt = stmt.with_changes(body=[assign.with_changes(value=settings.pop(target))])
            out.append(stmt)
        return out

    def transaction_code(self) -> list[cst.BaseStatement]:
        """runtime/transactions.py without its imports, when the pages are transactions."""
        if not (self.options.transactions and self.scenario.steps):
            return []
        body = _runtime_module("transactions.py", self.printed is None).body
        code = [stmt for stmt in body if not (isinstance(stmt, cst.SimpleStatementLine) and
                                              isinstance(stmt.body[0], (cst.Import,
                                                                        cst.ImportFrom)))]
        return [code[0].with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine(),
                                                    *code[0].leading_lines]), *code[1:]]


class HttpGenerator(FastHttpGenerator):
    """``HttpUser`` (python-requests): redirects off per request, shared headers in on_start."""

    user_base = "HttpUser"

    def redirect_attributes(self) -> list[cst.SimpleStatementLine]:
        return []

    def redirect_args(self) -> list[cst.Arg]:
        return [_kwarg("allow_redirects", cst.Name("False"))]

    def cookie_jar(self) -> cst.BaseExpression:
        return cst.Attribute(self_attr("client"), cst.Name("cookies"))
    def init(self) -> cst.FunctionDef:
        """``__init__``: python-requests has no session timeout, each request passes it."""
        self.use_helper("request_timeout_option")
        self.use_helper("request_timeout")
        timeout = _Call(cst.Name("request_timeout"), [_Arg(cst.Name("environment"))])
        return self.init_method([self.super_init(), _set(self_attr("request_timeout"), timeout)])

    def timeout_args(self) -> list[cst.Arg]:
        return [_kwarg("timeout", self_attr("request_timeout"))]

    def common_header_attributes(self) -> list[cst.SimpleStatementLine]:
        return []

    def on_start(self) -> cst.FunctionDef | None:
        base = super().on_start()
        if not self.scenario.common_headers:
            return base
        update = _stmt(_Call(
            cst.Attribute(cst.Attribute(self_attr("client"), cst.Name("headers")),
                          cst.Name("update")),
            [_Arg(self.headers_dict(self.scenario.common_headers))]))
        if base is None:
            return _method("on_start", [update], "Headers sent by every recorded request.")
        body = list(base.body.body)
        return base.with_changes(body=base.body.with_changes(body=[*body, update]))


def _sets_secure_cookies(scenario: ir.Scenario) -> bool:
    """A recorded answer sets a cookie ``Secure``: a browser sends it to a loopback host over
    plain http too (Tryton sets its session cookie so on any scheme), python's cookie jars
    do not, unless told (``send_secure_cookies_as_browsers_do``)."""
    return any(attribute.strip().lower() == "secure"
               for step in scenario.steps if step.response is not None
               for value in step.response.header_values("set-cookie")
               for line in value.split("\n") for attribute in line.split(";")[1:])


def generate(scenario: ir.Scenario, options: Options, user_class: str,
             printed: dict[str, str] | None = None) -> cst.Module:
    """The script as a libcst module. Given ``printed``, a large recording's page methods may
    be printed ahead (on both cores) into it: the module then holds placeholders that only
    ``fmt.render(module, printed)`` turns into code."""
    generator = HttpGenerator if user_class == "http" else FastHttpGenerator
    return generator(scenario, options, printed=printed).module()


def generate_workload(workload: Workload, options: Options, user_class: str,
                      printed: dict[str, str] | None = None) -> cst.Module:
    """One module, a user class per recording: settings, constants and helpers once."""
    kind = HttpGenerator if user_class == "http" else FastHttpGenerator
    needs = _Needs()
    generators = [kind(m.scenario, options, needs, m, printed) for m in workload.members]
    classes = [g.user_class() for g in generators]
    first = generators[0]
    settings = first.settings_code(workload.secrets, workload.columns)
    # written once, by the first class that has them
    rendezvous = next((code for g in generators if (code := g.rendezvous_code())), [])
    transactions = next((code for g in generators if (code := g.transaction_code())), [])
    code: list[cst.CSTNode] = [*settings, *needs.constants, *rendezvous, *classes,
                               *transactions, *first.helper_functions()]
    used = _free_names(code).union(*(g.page_names for g in generators))
    return cst.Module(body=[_workload_docstring(workload, options),  # type: ignore
                            *first.imports(used), *code])


def _workload_docstring(workload: Workload, options: Options) -> cst.SimpleStatementLine:
    members = workload.members
    total = sum(m.weight for m in members)
    width = max(len(m.class_name) for m in members)
    lines = [f"Locust load test generated by har2locust-plus {__version__} from "
             f"{len(members)} recordings: one user class each.", "",
             "Locust shares the users out by weight (weight/total of them run each class):"]
    for m in members:
        s = m.scenario
        skipped = sum(n for _, n in s.skipped)
        lines.append(f"    {m.class_name:<{width}}  weight {m.weight}/{total}  "
                     f"{one_line(s.source)}: {_count(len(s.steps), 'request')} in "
                     f"{_count(len(s.groups), 'page')}"
                     + (f", {skipped} entries not replayed" if skipped else ""))
    example = "    locust -f locustfile.py --headless -u 20 -r 5 -t 1m"
    lines += ["", "Run it:", example + (f" --host {workload.shared_origin}"
                                        if workload.shared_origin else "")]
    if not workload.shared_origin:
        lines.append("(each class keeps the origin it was recorded on; --host sends all to one)")
    lines += ["One class alone (Locust's own selection of classes by name):",
              f"{example} {members[0].class_name}", "",
              "Options of this script (locust --help does not list them; the web UI's form has "
              "them):"]
    script = workload_options(workload, options)
    width = max(len(o.flag) for o in script)
    lines.extend(f"    {o.flag:<{width}}  {one_line(o.help, limit=200)}" for o in script)
    return _SimpleStatementLine([cst.Expr(py_docstring("\n".join(lines) + "\n"))])


# --- small node builders ------------------------------------------------------------------------


def _sent_as_is(scenario: ir.Scenario) -> dict[str, set[str]]:
    """Where each run-time value is sent without encoding: in a ``header``, a URL ``path``."""
    places: dict[str, set[str]] = {}
    # each distinct header once (the loader shares them between requests)
    headers = {id(h): h for step in scenario.steps for h in step.request.headers}
    for header in [*headers.values(), *scenario.common_headers]:
        if header.value.is_literal:
            continue
        for ref in header.value.refs():
            if ref.encoding == "raw":
                places.setdefault(ref.name, set()).add("header")
    for step in scenario.steps:
        for ref in step.request.path.refs():
            if ref.encoding == "raw":
                places.setdefault(ref.name, set()).add("path")
    return places


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _import_block(lines: list[str]) -> list[str]:
    """isort order: ``import x`` lines, then one ``from m import a, b`` line per module."""
    froms: dict[str, set[str]] = {}
    for line in lines:
        if line.startswith("from "):
            module, names = line[len("from "):].split(" import ")
            froms.setdefault(module, set()).update(n.strip() for n in names.split(","))
    plain = sorted({line for line in lines if line.startswith("import ")})
    return plain + [f"from {m} import {', '.join(sorted(froms[m], key=_by_type))}"
                    for m in sorted(froms)]


def _by_type(name: str) -> tuple[int, str]:
    """isort's order-by-type: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)


def value_expr(template: ir.Template) -> cst.BaseExpression:
    """Like ``template_expr``, but a lone value is passed as is (forms and JSON accept it)."""
    if len(template.parts) == 1 and isinstance(template.parts[0], ir.VarRef) and \
            template.parts[0].encoding == "raw":
        return var_expr(template.parts[0])
    return template_expr(template)


def _num(value: float | int) -> cst.BaseExpression:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return cst.Integer(str(value)) if isinstance(value, int) else cst.Float(repr(value))


_EQUAL = cst.AssignEqual(_NO_SPACE, _NO_SPACE)


def _kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return _Arg(value, keyword=_name(name), equal=_EQUAL)


@functools.lru_cache(maxsize=256)
def _name(name: str) -> cst.Name:
    """Nodes are immutable: the generator's own few names are built once."""
    return cst.Name(name)


def _comment(text: str) -> cst.TrailingWhitespace:
    return cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "),
                                  comment=cst.Comment("# " + _comment_text(text)))


def _line_comment(text: str) -> cst.EmptyLine:
    return cst.EmptyLine(comment=cst.Comment("# " + _comment_text(text)))


def _comment_line(text: str) -> str:
    """A whole comment line of a light statement (what :func:`_line_comment` holds)."""
    return "# " + _comment_text(text)


# before a request whose body the recording does not hold (the conversion warns too)
_LEFT_OUT = (
    "# the recording does not hold this request's body (a browser's HAR",
    "# leaves out a file upload's): add it here, files=[(field, (filename,",
    "# content))], and the form's other fields as data={...}",
)
_POS = ""  # a light call's positional argument (no keyword)
_SELF = cst.Name("self")


def _light_args(args: list[cst.Arg]) -> list[tuple[str, cst.BaseExpression]]:
    """libcst arguments (plain or keyword) as a light call's pairs."""
    out = []
    for arg in args:
        if arg.star or arg.keyword is None and out and out[-1][0]:
            raise AssertionError("no star arguments, keywords last")
        out.append((arg.keyword.value + "=" if arg.keyword else _POS, arg.value))
    return out


def to_cst(stmt: Line | Block | cst.BaseStatement) -> cst.BaseStatement:
    """The libcst statement a light one stands for (black formats these where layout cannot,
    and the tests check that layout prints both alike); a libcst statement as it is."""
    if type(stmt) is not Line and type(stmt) is not Block:
        return stmt  # type: ignore[return-value]
    if type(stmt) is Block:
        item = cst.WithItem(_cst_expr(stmt.call),
                            asname=_AsName(cst.Name(stmt.name)) if stmt.name else None)
        return _With(items=[item], body=_IndentedBlock([to_cst(s) for s in stmt.body]),
                     leading_lines=[cst.EmptyLine(comment=cst.Comment(c)) for c in stmt.comments])
    expr = _cst_expr(stmt.expr)
    small = cst.Assign([_AssignTarget(_dotted(stmt.target))], expr) if stmt.target \
        else cst.Expr(expr)
    return _SimpleStatementLine(
        [small], leading_lines=[cst.EmptyLine(comment=cst.Comment(c)) for c in stmt.comments],
        trailing_whitespace=cst.TrailingWhitespace(whitespace=cst.SimpleWhitespace("  "),
                                                   comment=cst.Comment(stmt.trailing))
        if stmt.trailing else cst.TrailingWhitespace())


def _cst_expr(expr: cst.BaseExpression | Call) -> cst.BaseExpression:
    if type(expr) is not Call:
        return expr  # type: ignore[return-value]
    return _Call(_dotted(expr.func), [  # type: ignore[union-attr]
        _kwarg(key[:-1], _cst_expr(value)) if key else _Arg(_cst_expr(value))
        for key, value in expr.args])  # type: ignore[union-attr]


def _dotted(name: str) -> cst.BaseExpression:
    first, *rest = name.split(".")
    expr: cst.BaseExpression = _name(first)
    for attr in rest:
        expr = cst.Attribute(expr, _name(attr))
    return expr


def _light_names(statements: list[Line | Block], shared: dict[int, set[str]]) -> set[str]:
    """What :func:`_free_names` finds in the libcst statements these stand for.

    ``shared``: the names of libcst parts by id, for parts many pages share (header dicts,
    check arguments); the caller keeps them alive while it uses it."""
    names: set[str] = set()
    todo: list = list(statements)
    while todo:
        item = todo.pop()
        kind = type(item)
        if kind is Block:
            todo.append(item.call)
            todo.extend(item.body)
            if item.name:
                names.add(item.name)
        elif kind is Line:
            todo.append(item.expr)
            if item.target:
                names.add(item.target.split(".", 1)[0])
        elif kind is Call:
            names.add(item.func.split(".", 1)[0])
            todo.extend(value for _, value in item.args)
        elif kind is cst.Name:
            names.add(item.value)
        elif kind not in _NAMELESS:
            found = shared.get(id(item))
            if found is None:
                found = shared[id(item)] = _free_names(item)
            names |= found
    return names


_NAMELESS = frozenset({cst.SimpleString, cst.Integer, cst.Float})


def _comment_text(text: str) -> str:
    """Comments may quote recorded names: one printable line, so nothing escapes the comment."""
    return one_line(text, limit=1000)


def _set(target: cst.BaseAssignTargetExpression, value: cst.BaseExpression
         ) -> cst.SimpleStatementLine:
    return _SimpleStatementLine([cst.Assign([_AssignTarget(target)], value)])


def _stmt(expr: cst.BaseExpression) -> cst.SimpleStatementLine:
    return _SimpleStatementLine([cst.Expr(expr)])


def _assign(name: str, value: cst.BaseExpression, comment: str = "") -> cst.SimpleStatementLine:
    return _SimpleStatementLine([cst.Assign([_AssignTarget(cst.Name(name))], value)],
                                   trailing_whitespace=_comment(comment) if comment
                                   else cst.TrailingWhitespace())


def _method(name: str, body: list[cst.BaseStatement], doc: str) -> cst.FunctionDef:
    docstring = _SimpleStatementLine([cst.Expr(py_docstring(doc))])
    return cst.FunctionDef(
        name=cst.Name(py_ident(name)),
        params=cst.Parameters([cst.Param(cst.Name("self"))]),
        body=_IndentedBlock([docstring, *body]),
        leading_lines=[cst.EmptyLine()],
    )


@functools.cache
def _runtime_module(filename: str, full: bool = True) -> cst.Module:
    """A module of ``har2locust_plus/runtime`` (real, tested code that scripts get a copy of).

    Not ``full``: its functions and classes are *shells*, their bodies a ``pass``. A script
    gets a copy's text from the source (:func:`runtime_copy_code`) and its names from Python's
    parser, so libcst need not parse the bodies: 40-60 ms of every conversion, a tenth of a
    typical one. Everything around the bodies (comments, blank lines, decorators, signatures,
    the module's own statements) is parsed by libcst from the same text, so it is exactly the
    full module's. :func:`unshelled` gives a shell's full node where one is printed as code.
    """
    source = _runtime_source(filename) if full else _shell_source(filename)
    module = cst.parse_module(source)
    for stmt in module.body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            _RUNTIME_BLOCKS[id(stmt.body)] = stmt
            _RUNTIME_ORIGIN[id(stmt)] = filename
            if not full:
                _SHELL_NAMES[id(stmt.body)] = _body_names(filename)[stmt.name.value]
    return module


@functools.cache
def _shell_source(filename: str) -> str:
    """The runtime module's source with each top-level function's and class's body a ``pass``
    (the whole source if a body starts on its header's line: black never writes one)."""
    lines, _ = _runtime_spans(filename)
    out, at = [], 0  # lines copied so far
    for block in runtime_index.blocks(filename):
        if block.body <= block.line:
            return _runtime_source(filename)
        out.extend(lines[at:block.body - 1])
        out.append("    pass\n")
        at = block.last
    out.extend(lines[at:])
    return "".join(out)


@functools.cache
def _body_names(filename: str) -> dict[str, frozenset[str]]:
    """For each top-level function and class of a runtime module, the names its body uses
    (:func:`_ast_names` of the body's statements)."""
    return {block.name: block.body_names for block in runtime_index.blocks(filename)}


def unshelled(node: cst.CSTNode) -> cst.CSTNode:
    """``node``, or, for a copy of a shell (see :func:`_runtime_module`), the same copy made
    of the full module's node: what is printed as code must have its body."""
    if not isinstance(node, (cst.FunctionDef, cst.ClassDef)) or \
            id(node.body) not in _SHELL_NAMES:
        return node
    shell = _RUNTIME_BLOCKS[id(node.body)]
    changed = [f.name for f in dataclasses.fields(node)
               if getattr(node, f.name) is not getattr(shell, f.name)]
    if not set(changed) <= _COPY_MAY_CHANGE:  # never expected: the generator changes no more
        raise AssertionError(f"a runtime shell changed in {changed}")
    filename = _RUNTIME_ORIGIN[id(shell)]
    original = next(stmt for stmt in _runtime_module(filename, full=True).body
                    if isinstance(stmt, type(node)) and stmt.name.value == shell.name.value)
    return original.with_changes(**{name: getattr(node, name) for name in changed})


def _runtime_source(filename: str) -> str:
    return runtime_index.source(filename)


@functools.cache
def _runtime_spans(filename: str) -> tuple[list[str], dict[str, tuple[int, int, int]]]:
    """The module's lines, and for each top-level function and class its first line, the
    line of ``def``/``class`` and its last line (1-based; from :mod:`.runtime_index`, which
    is quicker than printing the libcst node)."""
    spans = {block.name: (block.first, block.line, block.last)
             for block in runtime_index.blocks(filename)}
    return _runtime_source(filename).splitlines(keepends=True), spans


# The top-level functions and classes of the runtime modules parsed so far, by the id of their
# body (the modules stay alive in _runtime_module's cache, so the ids stay theirs).
_RUNTIME_BLOCKS: dict[int, cst.FunctionDef | cst.ClassDef] = {}
_RUNTIME_ORIGIN: dict[int, str] = {}  # id of each of those -> its module's file name
_SHELL_NAMES: dict[int, frozenset[str]] = {}  # id of a shell's body -> the names the body uses
# What a copy may change of a runtime function or class and still be printed from its source.
_COPY_MAY_CHANGE = frozenset({"leading_lines", "decorators", "lines_after_decorators"})


def runtime_copy_code(node: cst.CSTNode, *, with_decorators: bool) -> str | None:
    """The source text (black-formatted, as every runtime module is) of ``node`` without its
    leading lines, if ``node`` is a top-level function or class of a runtime module that the
    generator copied unchanged but for its leading lines and decorators; else None.

    Without ``with_decorators`` the text starts at ``def``/``class`` and the decorators may be
    any; with it, they must be the original's and are part of the text. Unchanged means made
    of the very same nodes (libcst nodes are immutable: ``with_changes`` keeps every field it
    is not given), so this costs no printing and no comparison of texts.
    """
    if not isinstance(node, (cst.FunctionDef, cst.ClassDef)):
        return None
    original = _RUNTIME_BLOCKS.get(id(node.body))
    if original is None or type(original) is not type(node):
        return None
    keep = _COPY_MAY_CHANGE if not with_decorators else {"leading_lines"}
    if any(getattr(node, f.name) is not getattr(original, f.name)
           for f in dataclasses.fields(node) if f.name not in keep):
        return None
    return _block_code(original, with_decorators)


@functools.cache
def _block_code(original: cst.FunctionDef | cst.ClassDef, with_decorators: bool) -> str:
    """The original's source from its first decorator (or from ``def``/``class``) to its
    last line: what libcst prints of it without its leading lines (a test checks it)."""
    lines, spans = _runtime_spans(_RUNTIME_ORIGIN[id(original)])
    first, keyword, last = spans[original.name.value]
    return "".join(lines[(first if with_decorators else keyword) - 1:last])


@functools.cache
def _runtime_functions(filenames: tuple[str, ...], full: bool = True
                       ) -> tuple[dict[str, cst.FunctionDef], dict[str, set[str]]]:
    """The top-level functions of runtime modules and which of the others each one calls."""
    functions = {stmt.name.value: stmt for filename in filenames
                 for stmt in _runtime_module(filename, full).body
                 if isinstance(stmt, cst.FunctionDef)}
    deps = {name: _function_names(name) & functions.keys() - {name} for name in functions}
    return functions, deps


@functools.cache
def _all_function_names() -> dict[str, frozenset[str]]:
    return {block.name: block.names for filename in RUNTIME_HELPER_MODULES
            for block in runtime_index.blocks(filename) if not block.is_class}


def _function_names(name: str) -> frozenset[str]:
    """The names a top-level function of the runtime helper modules uses."""
    return _all_function_names()[name]


def _runtime_settings(filename: str, full: bool) -> dict[str, cst.SimpleStatementLine]:
    """A runtime module's ``NAME = value`` statements, with the comments above them."""
    return {name: stmt for stmt in _runtime_module(filename, full).body  # type: ignore[misc]
            if (name := _assigned_name(stmt))}


_ast_names = runtime_index.ast_names  # the tests compare it with _free_names


def _assigned_name(stmt: cst.CSTNode) -> str | None:
    """``NAME`` for a statement ``NAME = value``, else None."""
    if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign) and \
            len(stmt.body[0].targets) == 1 and isinstance(stmt.body[0].targets[0].target, cst.Name):
        return stmt.body[0].targets[0].target.value
    return None


def _free_names(node: object) -> set[str]:
    """Every name the code uses (not keyword-argument names, not attribute names).

    A plain walk over the node's fields: libcst's visitors rebuild every node they pass, which
    made this the most expensive part of generating a large script. Subtrees the generator
    shares between statements (cached header dicts, checks) are walked once; literals and
    whitespace (most of the nodes) are passed over without remembering them.
    """
    names: set[str] = set()
    seen: set[int] = set()
    stack: list[object] = [node]
    push, pop, extend = stack.append, stack.pop, stack.extend
    fields_of = _FIELDS.get
    while stack:
        item = pop()
        kind = type(item)
        if kind is cst.Name:
            names.add(item.value)  # type: ignore[attr-defined]
            continue
        if kind is list or kind is tuple:
            extend(item)  # type: ignore[arg-type]
            continue
        fields = fields_of(kind)
        if fields is None:
            fields = _FIELDS[kind] = _child_fields(kind)
        if not fields or id(item) in seen:
            continue
        if kind is cst.IndentedBlock and id(item) in _SHELL_NAMES:  # a runtime shell's body
            names |= _SHELL_NAMES[id(item)]
            continue
        seen.add(id(item))
        if kind is cst.Arg or kind is cst.Attribute:
            push(item.value)  # type: ignore[attr-defined]  # json=, self.time: no uses
        else:
            for name in fields:
                push(getattr(item, name))
    return names


_LEAVES = (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Comment,
           cst.BaseParenthesizableWhitespace, cst.EmptyLine, cst.TrailingWhitespace, cst.Newline,
           cst.FormattedStringText)
# fields that hold only punctuation, whitespace and comments
_LAYOUT_FIELDS = frozenset({"lpar", "rpar", "comma", "equal", "dot", "colon", "semicolon",
                            "leading_lines", "lines_after_decorators", "header", "footer",
                            "trailing_whitespace", "indent", "asynchronous", "star"})


_FIELDS: dict[type, tuple[str, ...]] = {}  # _child_fields by type, for _free_names


def _child_fields(node_type: type) -> tuple[str, ...]:
    """The fields of a node type that can hold code (none for literals and whitespace)."""
    if not issubclass(node_type, cst.CSTNode) or issubclass(node_type, _LEAVES):
        return ()
    return tuple(f.name for f in dataclasses.fields(node_type)
                 if f.name not in _LAYOUT_FIELDS and not f.name.startswith("whitespace"))
