"""Read-modify-write: a whole JSON document read, changed and sent back (stages/documents.py,
the generated script's ``edited_json``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_correlate import api, conv, step

from har2locust_plus import ir
from har2locust_plus.runtime.checks import edited_json, json_edit
from har2locust_plus.stages.documents import changes, summary


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON, types and all (1, 1.0 and true differ; members' order does not)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


# --- the changes: what they do to the recorded document and to a live one -----------------------

_KEYS = st.sampled_from(["id", "name", "a", "b", "deviceID", "label"])
_SCALARS = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([0.5, 1.0]) | \
    st.sampled_from(["", "x", "y", "1"])
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) |
                     st.dictionaries(_KEYS, inner, max_size=4), max_leaves=16)


@st.composite
def _keyed(draw: st.DrawFn) -> tuple[dict, dict]:
    """A document with an array of elements by id, and a version of it: elements removed,
    changed, added anywhere (or, now and then, reordered: the whole array is sent then)."""
    ids = draw(st.lists(st.integers(1, 30), unique=True, max_size=6))
    old = [{"id": i, "label": draw(st.sampled_from(["a", "b"])), "n": draw(_SCALARS)}
           for i in ids]
    kept = [dict(item) for item in old if draw(st.booleans())]
    for item in kept:
        if draw(st.booleans()):
            item["label"] = draw(st.sampled_from(["c", "d"]))
        if draw(st.booleans()):
            item.pop("n")
    if draw(st.booleans()):
        kept.reverse()
    fresh = draw(st.lists(st.integers(31, 60), unique=True, max_size=3))
    new = list(kept)
    for i in fresh:  # at the end, or between kept elements (Node-RED's new tab)
        new.insert(draw(st.integers(0, len(new))), {"id": i, "label": "new"})
    return {"items": old, "v": 1}, {"items": new, "v": draw(st.integers(1, 2))}


@settings(max_examples=400, deadline=None)
@given(_JSON, _JSON)
def test_the_changes_make_the_recorded_body_out_of_the_recorded_document(old, new):
    patch = changes(old, new)
    if patch is None:  # an object for an array, or a value for either: not a version of it
        assert type(old) is not type(new) or not isinstance(old, (dict, list))
        return
    json.dumps(patch)  # plain JSON: the script writes it as a literal
    assert _same(json_edit(old, patch, "the document"), new)


@settings(max_examples=300, deadline=None)
@given(_keyed())
def test_keyed_elements_are_removed_changed_and_added_by_their_id(pair):
    old, new = pair
    patch = changes(old, new)
    assert _same(json_edit(old, patch, "the document"), new)


@settings(max_examples=300, deadline=None)
@given(_keyed(), st.integers(61, 90))
def test_what_others_added_since_is_kept(pair, other):
    """The live document holds an element another user added after the recording: the user's
    own changes are made, that element stays."""
    old, new = pair
    patch = changes(old, new)
    if isinstance(patch.get("items"), list):
        return  # reordered: the array is sent as the user left it
    live = {"items": [*old["items"], {"id": other, "label": "theirs"}], "v": 1}
    result = json_edit(live, patch, "the document")
    ids = [item["id"] for item in result["items"]]
    assert ids.count(other) == 1
    assert sorted(ids) == sorted([other, *(item["id"] for item in new["items"])])
    mine = [item for item in result["items"] if item["id"] != other]
    assert _same(mine, new["items"])


def test_elements_added_between_others_go_after_the_element_they_followed():
    """Node-RED's editor puts a new tab after the other tabs, before their nodes: the tab goes
    after the last tab the live document has (another user's tab before it stays before it),
    at the start where it was first, at the end where that element is gone."""
    old = {"flows": [{"id": "t1", "type": "tab"}, {"id": "n1", "z": "t1"}]}
    new = {"flows": [{"id": "t0", "type": "tab"}, {"id": "t1", "type": "tab"},
                     {"id": "t2", "type": "tab"}, {"id": "n1", "z": "t1"},
                     {"id": "n2", "z": "t2"}]}
    patch = changes(old, new)
    assert patch == {"flows": {"$key": "id",
                               "$after": [[None, [{"id": "t0", "type": "tab"}]],
                                          ["t1", [{"id": "t2", "type": "tab"}]]],
                               "$add": [{"id": "n2", "z": "t2"}]}}
    live = {"flows": [{"id": "c1", "type": "tab"}, *old["flows"], {"id": "c2", "z": "c1"}]}
    assert [f["id"] for f in json_edit(live, patch, "the document")["flows"]] == [
        "t0", "c1", "t1", "t2", "n1", "c2", "n2"]
    gone = {"flows": [{"id": "n1", "z": "t1"}]}
    assert [f["id"] for f in json_edit(gone, patch, "the document")["flows"]] == [
        "t0", "n1", "t2", "n2"]
    assert summary(patch) == "flows: 3 added"


def test_an_element_to_change_or_remove_that_is_not_there_fails_the_step():
    patch = changes({"items": [{"id": 1, "v": 1}, {"id": 2}]}, {"items": [{"id": 1, "v": 2}]})
    assert patch == {"items": {"$key": "id", "$remove": [{"id": 2}],
                               "$edit": [{"id": 1, "v": 2}]}}
    with pytest.raises(LookupError, match=r"the document\.items has no element id=2"):
        json_edit({"items": [{"id": 1}]}, patch, "the document")
    fired: list[dict] = []

    class Events:
        class request:  # noqa: N801 (Locust's name)
            @staticmethod
            def fire(**kwargs: Any) -> None:
                fired.append(kwargs)

    class User:
        class environment:  # noqa: N801
            events = Events

    from locust.exception import RescheduleTask
    with pytest.raises(RescheduleTask):
        edited_json(User, {"items": [{"id": 2}]}, patch, "step 9 PUT /config")
    assert fired[0]["name"] == "step 9 PUT /config"
    assert str(fired[0]["exception"]) == \
        "step 9 PUT /config: the document.items has no element id=1"


def test_members_removed_set_and_objects_replaced_whole():
    old = {"a": 1, "gone": 2, "obj": {"x": 1}, "was": 3, "tags": ["a", "b"]}
    new = {"a": 2, "obj": {"x": 1, "y": 2}, "was": {"now": "object"}, "tags": ["a", "c"],
           "fresh": {"k": 1}}
    patch = changes(old, new)
    assert patch == {"$remove": ["gone"], "a": 2, "obj": {"y": 2},
                     "was": {"$set": {"now": "object"}},
                     "tags": {"$key": None, "$remove": ["b"], "$add": ["c"]},
                     "fresh": {"$set": {"k": 1}}}
    assert summary(patch) == ("gone removed; a set; obj.y set; was set; tags: 1 removed; "
                              "tags: 1 added; 1 more")


def test_what_only_the_page_keeps_for_itself_is_no_change():
    """AngularJS marks each element it showed with ``$$hashKey`` (Syncthing's GUI sends it):
    an element only shown is not edited, so it need not be there on another server."""
    old = {"folders": [{"id": "bob", "label": "Bob's"}], "v": 1}
    new = {"folders": [{"id": "bob", "label": "Bob's", "$$hashKey": "object:508"},
                       {"id": "zoo-1", "label": "Zoo", "$$hashKey": "object:612"}], "v": 1}
    patch = changes(old, new)
    assert patch == {"folders": {"$key": "id", "$add": [new["folders"][1]]}}
    assert json_edit({"folders": [], "v": 2}, patch, "the document") == {
        "folders": [new["folders"][1]], "v": 2}


# --- the stage: which bodies are sent as a live document with changes --------------------------

def _config(*folders: dict, version: int = 37) -> dict:
    return {"version": version, "folders": list(folders),
            "devices": [{"deviceID": "V2P2UWZ", "name": "zoo", "addresses": ["dynamic"]}],
            "options": {"listenAddresses": ["default"], "globalAnnounceEnabled": True,
                        "relaysEnabled": True, "urAccepted": -1}}


def _folder(id_: str, label: str) -> dict:
    return {"id": id_, "label": label, "path": f"/srv/{id_}", "type": "sendreceive",
            "paused": False}


BOB = _folder("bobs-sentinel", "Bob's")


def test_a_whole_configuration_sent_back_is_the_live_one_with_the_recorded_changes():
    """Syncthing's GUI: GET /rest/config, then PUT /rest/config with one folder added; later
    the folder renamed and removed, each from the configuration read just before."""
    mine = _folder("zoo-1", "Zoo")
    renamed = {**mine, "label": "Zoo renamed"}
    result = conv(
        api("/rest/config", response=_config(BOB)),
        api("/rest/config", "PUT", json_body=_config(BOB, mine)),
        api("/rest/config", response=_config(BOB, mine)),
        api("/rest/config", "PUT", json_body=_config(BOB, renamed)),
        api("/rest/config", response=_config(BOB, renamed)),
        api("/rest/config", "PUT", json_body=_config(BOB)),
    )
    bodies = [step(result, n).request.body for n in (2, 4, 6)]
    assert [b.base for b in bodies] == ["config_document", "config_document_2",
                                        "config_document_3"]
    assert bodies[0].value == {"folders": {"$key": "id", "$add": [mine]}}
    assert bodies[1].value == {"folders": {"$key": "id", "$edit": [
        {"id": "zoo-1", "label": "Zoo renamed"}]}}
    assert bodies[2].value == {"folders": {"$key": "id", "$remove": [{"id": "zoo-1"}]}}
    for read, sent, var in ((1, 2, "config_document"), (3, 4, "config_document_2"),
                            (5, 6, "config_document_3")):
        (document,) = [e for e in step(result, read).extractions if e.kind == "document"]
        assert (document.var, document.used_by) == (var, (sent,))
    code = result.code
    assert "self.config_document = json_document(" in code
    assert "json=edited_json(" in code and "def json_edit(" in code
    assert sum("sends back the JSON document" in d.message
               for d in result.scenario.diagnostics) == 3


def test_an_id_the_server_made_is_read_where_the_user_removes_its_element():
    """The folder was made by a POST whose answer named it: its removal from the whole
    configuration names the id this run's POST answered, not the recorded one."""
    made = _folder("f-7d1c93ab55e2", "Zoo")
    result = conv(
        api("/rest/folders", "POST", json_body={"label": "Zoo"},
            response={"id": "f-7d1c93ab55e2"}),
        api("/rest/config", response=_config(BOB, made)),
        api("/rest/config", "PUT", json_body=_config(BOB)),
    )
    body = step(result, 3).request.body
    (selector,) = body.value["folders"]["$remove"]
    assert isinstance(selector["id"], ir.VarRef)
    assert selector["id"].name in {e.var for e in step(result, 1).extractions}


def test_the_latest_document_read_is_the_one_changed():
    """Two reads hold all the body has (the folder removed again: the first read, before it
    was added, equals the body): the latest read is the one the script changed."""
    mine = _folder("zoo-1", "Zoo")
    result = conv(
        api("/rest/config", response=_config(BOB)),
        api("/rest/config", "PUT", json_body=_config(BOB, mine)),
        api("/rest/config", response=_config(BOB, mine)),
        api("/rest/config", "PUT", json_body=_config(BOB)),
    )
    assert step(result, 4).request.body.base == "config_document_2"
    assert [e.kind for e in step(result, 3).extractions] == ["document"]


@pytest.mark.parametrize("entries", [
    # a merge patch: only what changed is sent
    [api("/rest/config", response=_config(BOB)),
     api("/rest/config", "PATCH", json_body={"options": {"relaysEnabled": False}})],
    # one element of the document, sent to its own URL
    [api("/rest/config", response=_config(BOB, _folder("zoo-1", "Zoo"))),
     api("/rest/config/folders/zoo-1", "PUT", json_body=_folder("zoo-1", "Zoo 2"))],
    # another object of the same shape: a different id at the top
    [api("/api/dashboards/1", response={"id": 1, **_config(BOB)}),
     api("/api/dashboards/2", "PUT", json_body={"id": 2, **_config(BOB)})],
    # a document holding a member named like the changes' operators
    [api("/rest/config", response={**_config(BOB), "$set": 1}),
     api("/rest/config", "PUT", json_body={**_config(BOB), "$set": 2})],
    # the document came with an error status
    [api("/rest/config", status=404, response=_config(BOB)),
     api("/rest/config", "PUT", json_body=_config(BOB))],
], ids=["merge patch", "one element", "another object", "operator names", "error answer"])
def test_what_is_not_a_document_sent_back_is_sent_as_recorded(entries):
    result = conv(*entries)
    body = result.scenario.steps[-1].request.body
    assert not body.base  # the body itself (its values correlated as any body's are)
    assert body.value.keys() == json.loads(entries[-1]["request"]["postData"]["text"]).keys()
    assert "edited_json" not in result.code


def test_without_correlation_the_body_is_sent_as_recorded():
    result = conv(api("/rest/config", response=_config(BOB)),
                  api("/rest/config", "PUT", json_body=_config(BOB, _folder("z", "Z"))),
                  correlate=False)
    assert not step(result, 2).request.body.base
    assert "edited_json" not in result.code


def test_the_element_an_added_one_follows_is_named_as_recorded_not_read_by_its_place():
    """Where a new element goes is no value the server hands out: the key of the element it
    followed stays as recorded (gone on the live server: at the end). Read from the answer by
    its place, it would fail the step on a server whose document has no element there."""
    flows = [{"id": "b0b5e47100000001", "type": "tab", "label": "Bob's flow", "info": "x"},
             *({"id": f"b0b5e4710000000{n}", "type": "inject", "z": "b0b5e47100000001",
                "name": f"Bob's node {n}", "x": 10 * n, "y": 80} for n in range(2, 5))]
    tab = {"id": "94d783d8374f03ce", "type": "tab", "label": "Zoo flow", "info": ""}
    result = conv(api("/flows", response={"flows": flows, "rev": "a1b2c3d4e5f60718"}),
                  api("/flows", "POST", json_body={"flows": [flows[0], tab, *flows[1:]],
                                                   "rev": "a1b2c3d4e5f60718"},
                      response={"rev": "ffeeddccbbaa9988"}))
    body = step(result, 2).request.body
    assert body.base and body.value == {"flows": {"$key": "id", "$after": [
        ["b0b5e47100000001", [tab]]]}}
    assert [e.path for e in step(result, 1).extractions if e.kind != "document"] == []
