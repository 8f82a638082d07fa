"""engine/formula.py: the three steps in the lecture's notation, for several graphs."""
import math

from engine.formula import (MAX_LINE, MAX_LINES, loss_formula, model_formula, optimization_numbers,
                            optimizer_formula)
from engine.graph import Graph, sequential
from engine.trainer import TrainConfig


def test_one_input_linear_model_is_the_lectures_first():
    f = model_formula(sequential(1, []), ["temp_max"])
    assert f.lines == ("y = b + w·x₁",)
    assert f.unknowns == 2 and not f.general
    assert "x₁: temp_max" in f.legend


def test_linear_model_of_several_inputs_sums_over_j():
    f = model_formula(sequential(7, []))
    assert f.lines == ("y = b + Σⱼ wⱼxⱼ",)
    assert f.unknowns == 7 + 1
    assert any("j = 1…7" in s for s in f.legend)


def test_linear_model_without_bias_has_no_b():
    g = sequential(3, [])
    g.set_params("dense1", {"bias": False})
    assert model_formula(g).lines == ("y = Σⱼ wⱼxⱼ",)
    assert model_formula(g).unknowns == 3


def test_one_hidden_layer_of_each_activation():
    features, units = 7, 8
    expected_unknowns = features * units + units + units + 1
    for kind, written in (("sigmoid", "sigmoid(bᵢ + Σⱼ wᵢⱼxⱼ)"), ("relu", "max(0, bᵢ + Σⱼ wᵢⱼxⱼ)"),
                          ("tanh", "tanh(bᵢ + Σⱼ wᵢⱼxⱼ)")):
        f = model_formula(sequential(features, [(units, kind)]))
        assert f.lines == (f"y = b + Σᵢ cᵢ·{written}",), kind
        assert f.unknowns == expected_unknowns
        assert any("i = 1…8" in s for s in f.legend)


def test_one_input_hidden_layer_has_no_sum_over_inputs():
    f = model_formula(sequential(1, [(3, "sigmoid")]))
    assert f.lines == ("y = b + Σᵢ cᵢ·sigmoid(bᵢ + wᵢx₁)",)
    assert f.unknowns == 3 + 3 + 3 + 1


def test_linear_hidden_layer_keeps_its_parentheses():
    f = model_formula(sequential(2, [(4, "identity")]))
    assert f.lines == ("y = b + Σᵢ cᵢ·(bᵢ + Σⱼ wᵢⱼxⱼ)",)


def test_two_hidden_layers_are_written_layer_by_layer():
    f = model_formula(sequential(7, [(16, "relu"), (8, "sigmoid")]))
    assert f.lines == ("a = max(0, b + W x)", "a′ = sigmoid(b′ + W′a)", "y = b″ + cᵀa′")
    assert f.short == "y = b″ + cᵀ sigmoid(b′ + W′ max(0, b + W x))"
    assert f.unknowns == (7 * 16 + 16) + (16 * 8 + 8) + (8 + 1)


def test_classifiers_end_in_softmax_or_sigmoid():
    multi = model_formula(sequential(4, [(8, "tanh")], task="multiclass", outputs=3))
    assert multi.lines == ("yₖ = bₖ + Σᵢ cₖᵢ·tanh(bᵢ + Σⱼ wᵢⱼxⱼ)", "y′ = softmax(y): the class probabilities")
    assert multi.unknowns == 4 * 8 + 8 + 8 * 3 + 3
    binary = model_formula(sequential(4, [], task="binary"))
    assert binary.lines[0] == "y = b + Σⱼ wⱼxⱼ" and binary.lines[1].startswith("p = sigmoid(y)")


def test_activations_named_by_function_get_a_legend():
    f = model_formula(sequential(2, [(4, "leaky_relu")]))
    assert "leakyReLU(bᵢ" in f.lines[0]
    assert "leakyReLU(r) = max(0.01·r, r)" in f.legend


def test_dropout_is_left_out_of_the_formula_with_a_note():
    g = sequential(3, [(4, "relu")])
    d = g.add_node("dropout", {"rate": 0.5})
    g.disconnect(next(e for e in g.edges if e.src == "relu1"))
    g.connect("relu1", d)
    g.connect(d, "dense2")
    f = model_formula(g)
    assert f.lines == ("y = b + Σᵢ cᵢ·max(0, bᵢ + Σⱼ wᵢⱼxⱼ)",)
    assert "dropout" in f.note


def test_branches_get_the_general_form_and_still_count_unknowns():
    g = Graph()
    g.add_node("input", {"features": 2}, "input")
    for name in ("dense1", "dense2"):
        g.add_node("dense", {"units": 1}, name)
        g.connect("input", name)
    g.add_node("add", {}, "add1")
    g.connect("dense1", "add1")
    g.connect("dense2", "add1")
    g.add_node("output", {}, "output")
    g.connect("add1", "output")
    f = model_formula(g)
    assert f.general and f.lines == ("y = f(x; θ)",)
    assert "branches" in f.note
    assert f.unknowns == 2 * (2 + 1)


def test_an_unfinished_graph_gets_the_general_form_without_a_count():
    g = Graph()
    g.add_node("input", {"features": 2}, "input")
    g.add_node("dense", {"units": 3}, "dense1")
    f = model_formula(g)
    assert f.general and "Output" in f.note
    assert f.unknowns is None
    assert model_formula(Graph()).general


def test_a_thousand_layers_stay_a_few_short_lines():
    f = model_formula(sequential(3, [(4, "relu")] * 1000))
    assert len(f.lines) <= MAX_LINES and all(len(s) <= MAX_LINE for s in f.lines)
    assert len(f.short) <= MAX_LINE and "1,001 layers" in f.short
    hidden = 1001 - (MAX_LINES - 1)         # the layer lines not shown
    assert any(f"{hidden} more layers" in s for s in f.lines)
    assert f.lines[-1] == "y = b⁽¹⁰⁰¹⁾ + cᵀa⁽¹⁰⁰⁰⁾"
    assert f.unknowns == (3 * 4 + 4) + 999 * (4 * 4 + 4) + (4 + 1)


def test_loss_formulas_name_the_error_of_one_row():
    assert loss_formula("mae") == ("L = 1/N Σₙ eₙ", "eₙ = |yₙ − ŷₙ|")
    assert loss_formula("mse") == ("L = 1/N Σₙ eₙ", "eₙ = (yₙ − ŷₙ)²")
    assert loss_formula("mse", outputs=2)[1] == "eₙ = 1/2 Σₖ (yₙₖ − ŷₙₖ)²"
    assert "ln y′ₙₖ" in loss_formula("ce")[1]
    assert "ln pₙ" in loss_formula("bce")[1]
    assert loss_formula("mae", l2=0.01)[0] == "L = 1/N Σₙ eₙ + 0.01·Σw²"


def test_optimizer_rules():
    assert optimizer_formula(TrainConfig(optimizer="sgd"))[0] == "θ ← θ − η·g"
    assert optimizer_formula(TrainConfig(optimizer="momentum", momentum=0.8))[:2] == ("v ← 0.8·v − η·g", "θ ← θ + v")
    adam = optimizer_formula(TrainConfig(optimizer="adam"))
    assert "m/(√v + ε)" in adam[1] and "β₁" in adam[0]
    assert "0.05·θ" in optimizer_formula(TrainConfig(optimizer="adamw", weight_decay=0.05))[1]
    assert all(rule[-1].startswith("g = ∂L/∂θ") for rule in
               (optimizer_formula(TrainConfig(optimizer=o)) for o in ("sgd", "rmsprop", "adagrad")))


def test_optimization_numbers_count_updates_per_epoch():
    n, b, epochs = 1163, 32, 100
    per = math.ceil(n / b)
    text = optimization_numbers(TrainConfig(lr=0.01, batch_size=b, epochs=epochs), n)
    assert text == f"η = 0.01 · B = 32 · N = 1,163 → {per} updates per epoch × 100 epochs = {per * epochs:,} updates"
    # a batch larger than the data is the whole data: one update per epoch
    assert "B = 50 · N = 50 → 1 update per epoch" in optimization_numbers(TrainConfig(batch_size=64), 50)
    assert "until stopped" in optimization_numbers(TrainConfig(epochs=0), n)
    assert "N =" not in optimization_numbers(TrainConfig(), None)
