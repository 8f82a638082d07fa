"""The graph document: edits, refused edges, validation, shapes, serialization, events."""
import json

import pytest

from engine.graph import Edge, Graph, GraphError, check_params, sequential


def _chain(features=3, units=4):
    """input → dense1 → relu1 → dense2 → output (regression, 1 unit)."""
    g = Graph()
    g.add_node("input", {"features": features}, "input")
    g.add_node("dense", {"units": units}, "dense1")
    g.add_node("relu", {}, "relu1")
    g.add_node("dense", {"units": 1}, "dense2")
    g.add_node("output", {}, "output")
    for a, b in [("input", "dense1"), ("dense1", "relu1"), ("relu1", "dense2"), ("dense2", "output")]:
        g.connect(a, b)
    return g


def _issues_for(g, node):
    return [i for i in g.validate() if i.node == node]


# -- edits -------------------------------------------------------------------

def test_add_node_fills_defaults_and_numbers_ids():
    g = Graph()
    a = g.add_node("dense")
    b = g.add_node("dense", {"units": 3})
    c = g.add_node("leaky_relu")
    assert (a, b, c) == ("dense1", "dense2", "leakyrelu1")
    assert g.nodes[a].params == {"units": 8, "bias": True, "init": "xavier", "l2": None, "l1": None}
    assert g.nodes[b].params["units"] == 3
    assert g.nodes[c].params == {"alpha": 0.01}


def test_add_node_refuses_duplicate_and_bad_ids_and_unknown_kinds():
    g = Graph()
    g.add_node("relu", {}, "r")
    with pytest.raises(GraphError, match="already exists"):
        g.add_node("tanh", {}, "r")
    with pytest.raises(GraphError, match="letters, digits"):
        g.add_node("tanh", {}, "1bad id")
    with pytest.raises(GraphError, match="unknown node kind 'conv'"):
        g.add_node("conv")
    with pytest.raises(GraphError, match="has no setting units"):
        g.add_node("relu", {"units": 3})
    assert list(g.nodes) == ["r"]


def test_connect_disconnect_and_remove_node():
    g = _chain()
    assert g.inputs_of("relu1") == ["dense1"]
    assert g.outputs_of("relu1") == ["dense2"]
    idx = g.disconnect(Edge("relu1", "dense2"))
    assert idx == 2
    assert Edge("relu1", "dense2") not in g.edges
    g.connect("relu1", "dense2", index=idx)
    assert g.edges[2] == Edge("relu1", "dense2")
    with pytest.raises(GraphError, match="no edge"):
        g.disconnect(Edge("input", "output"))

    removed = g.remove_node("relu1")
    assert removed == [Edge("dense1", "relu1"), Edge("relu1", "dense2")]
    assert "relu1" not in g.nodes
    assert all("relu1" not in (e.src, e.dst) for e in g.edges)
    with pytest.raises(GraphError, match="no node 'relu1'"):
        g.remove_node("relu1")


def test_set_params_returns_old_values_and_refuses_bad_ones():
    g = _chain()
    assert g.set_params("dense1", {"units": 16}) == {"units": 4}
    assert g.nodes["dense1"].params["units"] == 16
    with pytest.raises(GraphError, match="1 to 4096"):
        g.set_params("dense1", {"units": 0})
    assert g.nodes["dense1"].params["units"] == 16


@pytest.mark.parametrize("src, dst, reason", [
    ("relu1", "relu1", "cannot feed itself"),
    ("relu1", "dense1", "takes one input"),   # dense1 already fed by input (checked before cycle)
    ("input", "dense2", "takes one input"),
    ("dense1", "input", "Input has no input port"),
    ("output", "dense2", "Output has no output port"),
    ("dense1", "relu1", "already connected"),
    ("dense1", "nowhere", "both ends"),
])
def test_refused_edges_leave_graph_unchanged(src, dst, reason):
    g = _chain()
    before = list(g.edges)
    assert reason in g.can_connect(src, dst)
    with pytest.raises(GraphError, match=reason):
        g.connect(src, dst)
    assert g.edges == before


def test_cycle_refused():
    g = _chain()
    g.disconnect(Edge("input", "dense1"))
    assert g.can_connect("dense2", "dense1") == "this edge would make a cycle"
    with pytest.raises(GraphError, match="cycle"):
        g.connect("dense2", "dense1")
    assert g.inputs_of("dense1") == []


def test_cycle_refused_through_multi_input_node():
    g = _chain()
    g.add_node("add", {}, "add1")
    g.connect("relu1", "add1")
    g.add_node("concat", {}, "cat1")
    g.connect("add1", "cat1")
    with pytest.raises(GraphError, match="cycle"):
        g.connect("cat1", "add1")


def test_add_and_concat_accept_several_inputs_in_edge_order():
    g = Graph()
    g.add_node("input", {"features": 2}, "input")
    g.add_node("dense", {"units": 3}, "a")
    g.add_node("dense", {"units": 5}, "b")
    g.add_node("concat", {}, "cat")
    for s, d in [("input", "a"), ("input", "b"), ("b", "cat"), ("a", "cat")]:
        g.connect(s, d)
    assert g.inputs_of("cat") == ["b", "a"]


# -- validation ----------------------------------------------------------------

def test_valid_chain_has_no_issues():
    assert _chain().validate() == []


def test_node_without_input_is_named():
    g = _chain()
    g.disconnect(Edge("dense1", "relu1"))
    msgs = [i.message for i in _issues_for(g, "relu1")]
    assert any("nothing connected to its input" in m for m in msgs)
    # and dense1 now leads nowhere
    assert any("leads nowhere" in i.message for i in _issues_for(g, "dense1"))


def test_dangling_node_is_named():
    g = _chain()
    g.add_node("tanh", {}, "tanh9")
    g.connect("relu1", "tanh9")
    issues = _issues_for(g, "tanh9")
    assert len(issues) == 1
    assert "leads nowhere" in issues[0].message and "tanh9" in issues[0].message


def test_merge_node_with_one_input_is_named():
    g = Graph()
    g.add_node("input", {"features": 2}, "input")
    g.add_node("add", {}, "add1")
    g.add_node("dense", {"units": 1}, "d")
    g.add_node("output", {}, "output")
    for s, d in [("input", "add1"), ("add1", "d"), ("d", "output")]:
        g.connect(s, d)
    issues = _issues_for(g, "add1")
    assert [i.message for i in issues] == ["Add 'add1' needs at least two inputs"]


def test_two_inputs_into_single_input_node_from_loaded_document_is_named():
    # connect() refuses this; a hand-edited project file can still contain it
    data = _chain().to_dict()
    data["nodes"].append({"id": "dense9", "kind": "dense", "params": {"units": 4}})
    data["edges"] += [["input", "dense9"], ["dense9", "relu1"]]
    g = Graph.from_dict(data)
    issues = _issues_for(g, "relu1")
    assert issues and "takes one input but gets 2" in issues[0].message


def test_missing_input_and_output_and_no_path():
    g = Graph()
    assert {i.message for i in g.validate()} == {
        "the graph needs exactly one Input node", "the graph needs exactly one Output node"}
    g.add_node("input", {"features": 1}, "input")
    g.add_node("input", {"features": 1}, "input2")
    assert any(i.node == "input2" and "2 Input nodes" in i.message for i in g.validate())

    g = Graph()
    g.add_node("input", {"features": 1}, "input")
    g.add_node("dense", {"units": 1}, "d")
    g.add_node("output", {}, "output")
    g.connect("input", "d")
    issues = g.validate()
    no_path = [i for i in issues if "no path" in i.message]
    assert len(no_path) == 1 and no_path[0].node == "output"
    assert any(i.node == "output" and "nothing connected" in i.message for i in issues)


def test_output_width_mismatch_is_named_with_a_fix():
    g = sequential(3, [(4, "relu")], task="multiclass", outputs=3)
    assert g.validate() == []
    g.set_params("dense2", {"units": 2})
    issues = g.validate()
    assert len(issues) == 1 and issues[0].node == "output"
    assert "needs width 3" in issues[0].message and "gets 2" in issues[0].message
    assert "3 classes" in issues[0].message


def test_add_width_mismatch_is_named():
    g = Graph()
    g.add_node("input", {"features": 2}, "input")
    g.add_node("dense", {"units": 3}, "a")
    g.add_node("dense", {"units": 4}, "b")
    g.add_node("add", {}, "sum")
    g.add_node("dense", {"units": 1}, "d")
    g.add_node("output", {}, "output")
    for s, d in [("input", "a"), ("input", "b"), ("a", "sum"), ("b", "sum"), ("sum", "d"), ("d", "output")]:
        g.connect(s, d)
    issues = g.validate()
    assert len(issues) == 1 and issues[0].node == "sum"
    assert "widths 3, 4" in issues[0].message
    g.set_params("b", {"units": 3})
    assert g.validate() == []


def test_cycle_in_loaded_document_is_named():
    data = _chain().to_dict()
    data["nodes"].append({"id": "add1", "kind": "add", "params": {}})
    # dense1 → relu1 → add1 → dense2 ... and add1 → relu1 closes a loop
    data["edges"] = [["input", "dense1"], ["dense1", "add1"], ["relu1", "add1"], ["add1", "relu1"],
                     ["add1", "dense2"], ["dense2", "output"]]
    g = Graph.from_dict(data)
    with pytest.raises(GraphError, match="cycle") as exc:
        g.topological_order()
    assert exc.value.node in ("relu1", "add1")
    cyc = [i for i in g.validate() if "cycle" in i.message]
    assert len(cyc) == 1 and cyc[0].node in ("relu1", "add1") and cyc[0].node in cyc[0].message


def test_from_dict_refuses_malformed_documents():
    good = _chain().to_dict()
    with pytest.raises(GraphError, match="lists 'nodes' and 'edges'"):
        Graph.from_dict({"nodes": []})
    with pytest.raises(GraphError, match="malformed node"):
        Graph.from_dict({"nodes": [{"kind": "relu"}], "edges": []})
    with pytest.raises(GraphError, match="does not exist"):
        Graph.from_dict({"nodes": good["nodes"], "edges": [["input", "ghost"]]})
    with pytest.raises(GraphError, match="appears twice"):
        Graph.from_dict({"nodes": good["nodes"], "edges": [["input", "dense1"]] * 2})
    with pytest.raises(GraphError, match="1 to 4096"):
        Graph.from_dict({"nodes": [{"id": "d", "kind": "dense", "params": {"units": -1}}], "edges": []})


# -- shapes --------------------------------------------------------------------

def test_infer_shapes_widths_including_concat_sum():
    g = Graph()
    g.add_node("input", {"features": 6}, "input")
    g.add_node("dense", {"units": 3}, "a")
    g.add_node("dense", {"units": 5}, "b")
    g.add_node("tanh", {}, "t")
    g.add_node("concat", {}, "cat")
    g.add_node("dropout", {"rate": 0.5}, "drop")
    g.add_node("dense", {"units": 2}, "head")
    g.add_node("output", {"task": "regression", "units": 2}, "output")
    for s, d in [("input", "a"), ("input", "b"), ("b", "t"), ("a", "cat"), ("t", "cat"), ("input", "cat"),
                 ("cat", "drop"), ("drop", "head"), ("head", "output")]:
        g.connect(s, d)
    widths, issues = g.infer_shapes()
    assert issues == []
    assert widths == {"input": 6, "a": 3, "b": 5, "t": 5, "cat": 14, "drop": 14, "head": 2, "output": 2}
    assert g.parameter_count() == {"a": 6 * 3 + 3, "b": 6 * 5 + 5, "head": 14 * 2 + 2}


def test_infer_shapes_unknown_width_without_input():
    g = Graph()
    g.add_node("relu", {}, "r")
    g.add_node("dense", {"units": 7}, "d")
    g.connect("r", "d")
    widths, _ = g.infer_shapes()
    assert widths == {"r": None, "d": 7}


# -- serialization -------------------------------------------------------------

def test_to_dict_from_dict_round_trip_is_lossless():
    g = Graph()
    g.add_node("input", {"features": 4}, "input")
    g.add_node("dense", {"units": 5, "bias": False, "init": "he"}, "d1")
    g.add_node("leaky_relu", {"alpha": 0.2}, "lr1")
    g.add_node("dense", {"units": 5, "init": "uniform"}, "d2")
    g.add_node("concat", {}, "cat")
    g.add_node("dropout", {"rate": 0.25}, "drop")
    g.add_node("dense", {"units": 3}, "head")
    g.add_node("output", {"task": "multiclass", "units": 3}, "output")
    for s, d in [("input", "d1"), ("d1", "lr1"), ("input", "d2"), ("d2", "cat"), ("lr1", "cat"),
                 ("cat", "drop"), ("drop", "head"), ("head", "output")]:
        g.connect(s, d)
    data = g.to_dict()
    text = json.dumps(data)
    g2 = Graph.from_dict(json.loads(text))
    assert g2.to_dict() == data
    assert list(g2.nodes) == list(g.nodes)
    assert g2.edges == g.edges                       # order matters for Concat
    assert {k: (n.kind, n.params) for k, n in g2.nodes.items()} == \
        {k: (n.kind, n.params) for k, n in g.nodes.items()}
    # the dict is a copy: changing it does not change the graph
    data["nodes"][1]["params"]["units"] = 99
    assert g.nodes["d1"].params["units"] == 5
    c = g.copy()
    c.set_params("d1", {"units": 2})
    assert g.nodes["d1"].params["units"] == 5


# -- parameter checks -----------------------------------------------------------

@pytest.mark.parametrize("kind, params, match", [
    ("dense", {"units": 0}, "Dense units must be a whole number from 1 to 4096, not 0"),
    ("dense", {"units": 5000}, "Dense units must be a whole number from 1 to 4096, not 5000"),
    ("dense", {"units": 2.5}, "from 1 to 4096"),
    ("dense", {"units": True}, "from 1 to 4096"),
    ("input", {"features": 0}, "Input features must be a whole number"),
    ("dropout", {"rate": 1.0}, r"Dropout rate must be at least 0 and below 1, not 1\.0"),
    ("dropout", {"rate": -0.1}, "Dropout rate"),
    ("leaky_relu", {"alpha": 1.5}, "alpha"),
    ("dense", {"bias": "yes"}, "bias must be true or false"),
    ("dense", {"init": "zeros"}, "initializer must be one of xavier, he, uniform"),
    ("output", {"task": "ranking"}, "task must be one of regression, binary, multiclass"),
])
def test_check_params_range_errors(kind, params, match):
    with pytest.raises(GraphError, match=match):
        check_params(kind, params)


def test_check_params_accepts_edges_of_ranges():
    assert check_params("dense", {"units": 1})["units"] == 1
    assert check_params("dense", {"units": 4096})["units"] == 4096
    assert check_params("dropout", {"rate": 0})["rate"] == 0.0
    assert isinstance(check_params("dropout", {"rate": 0})["rate"], float)


# -- sequential ------------------------------------------------------------------

def test_sequential_with_no_hidden_layer_is_the_linear_model():
    g = sequential(7, [])
    assert g.validate() == []
    assert [n.kind for n in g.nodes.values()] == ["input", "dense", "output"]
    assert g.edges == [Edge("input", "dense1"), Edge("dense1", "output")]
    assert g.parameter_count() == {"dense1": 8}


def test_sequential_hidden_stack():
    g = sequential(7, [(32, "sigmoid"), (16, "relu")], task="binary")
    assert g.validate() == []
    assert g.topological_order() == ["input", "dense1", "sigmoid1", "dense2", "relu2", "dense3", "output"]
    assert g.nodes["dense1"].params["init"] == "xavier"
    assert g.nodes["dense2"].params["init"] == "he"
    assert g.infer_shapes()[0]["dense2"] == 16
    assert g.nodes["output"].params["task"] == "binary"
    with pytest.raises(GraphError, match="unknown activation 'swish'"):
        sequential(2, [(3, "swish")])


# -- events ----------------------------------------------------------------------

def test_add_node_at_an_index_puts_a_removed_node_back_in_its_place():
    """Undo of a delete (RemoveNodesCommand) goes through add_node(index=...) and connect(index=...):
    the graph comes back equal, node order and edge order included, and listeners hear each step."""
    g = _chain()
    before = g.to_dict()
    nodes = g.nodes
    place = list(g.nodes).index("relu1")
    edges = [(g.edges.index(e), e) for e in g.edges if "relu1" in (e.src, e.dst)]
    g.remove_node("relu1")
    seen = []
    g.subscribe(lambda event, payload: seen.append((event, payload, payload in g.nodes or payload in g.edges)))
    assert g.add_node("relu", {}, "relu1", index=place) == "relu1"
    for i, e in edges:
        g.connect(e.src, e.dst, index=i)
    assert g.to_dict() == before and g.nodes is nodes
    assert seen == [("node_added", "relu1", True)] + [("edge_added", e, True) for _, e in edges]
    g.add_node("tanh", {}, "first", index=0)
    g.add_node("tanh", {}, "last", index=99)
    assert list(g.nodes)[0] == "first" and list(g.nodes)[-1] == "last"
    with pytest.raises(GraphError, match="already exists"):
        g.add_node("tanh", {}, "first", index=3)
    assert list(g.nodes).count("first") == 1


def test_subscribe_events_fire_after_each_change():
    g = Graph()
    seen = []

    def listener(event, payload):
        # the change is already visible when the listener runs
        present = payload in g.nodes if event.startswith("node") else payload in g.edges
        seen.append((event, payload, present))

    g.subscribe(listener)
    g.add_node("input", {"features": 1}, "input")
    g.add_node("relu", {}, "r")
    e = g.connect("input", "r")
    g.set_params("input", {"features": 2})
    g.remove_node("r")
    assert seen == [
        ("node_added", "input", True),
        ("node_added", "r", True),
        ("edge_added", e, True),
        ("node_changed", "input", True),
        ("edge_removed", e, False),
        ("node_removed", "r", False),
    ]
    # refused edits fire nothing
    with pytest.raises(GraphError):
        g.connect("input", "input")
    assert len(seen) == 6
    g.unsubscribe(listener)
    g.add_node("tanh")
    assert len(seen) == 6
