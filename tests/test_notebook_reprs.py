"""What Jupyter shows for a graph, a fit and a training history: pictures and tables,
never an error, with a text fallback when Graphviz is missing."""

import re

import numpy as np
import pytest

import chainrule as cr
from chainrule import training, viz
from chainrule.value import Value


@pytest.fixture
def no_graphviz(monkeypatch):
    def missing():
        raise RuntimeError("drawing a graph needs Graphviz")

    monkeypatch.setattr(viz, "_graphviz_program", missing)


@pytest.fixture
def fake_graphviz(monkeypatch):
    """A renderer that answers with a minimal SVG document, as Graphviz would."""
    svg = b'<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg><title>chainrule</title></svg>\n'
    monkeypatch.setattr(viz, "_render", lambda dot, output_format: svg)


def small_graph():
    a, b = Value(2.0), Value(3.0)
    e = a * b + a
    e.backward()
    return a, e


def test_a_leaf_value_shows_its_plain_repr():
    a, _ = small_graph()
    assert a._repr_html_() is None


def test_a_computed_value_shows_its_repr_above_its_graph_drawn_as_svg(fake_graphviz):
    _, e = small_graph()
    shown = e._repr_html_()
    assert shown.startswith("<pre>Value(data=8.0, grad=1.0)</pre>")
    assert "<svg>" in shown and "<?xml" not in shown and "DOCTYPE" not in shown


def test_without_graphviz_a_value_shows_its_text_graph_and_how_to_get_the_picture(
        no_graphviz):
    _, e = small_graph()
    shown = e._repr_html_()
    assert "#1 * data=6 grad=1" in shown and "<svg" not in shown
    assert 'pip install &quot;chainrule[viz]&quot;' in shown


def test_a_tensor_graph_shows_itself_through_viz_show(no_graphviz):
    x = cr.tensor(np.array([1.0, 2.0]), requires_grad=True)
    image = viz.show(np.sum(np.sin(x)))
    assert image._repr_svg_() is None
    assert "sum" in image._repr_html_() and "sin" in image._repr_html_()


def test_the_graph_is_rendered_once_however_often_it_is_shown(monkeypatch):
    calls = []
    monkeypatch.setattr(viz, "_render", lambda dot, fmt: calls.append(fmt) or b"<svg/>")
    image = viz.show(small_graph()[1])
    image._repr_html_()
    image._repr_svg_()
    assert calls == ["svg"]


def test_an_mle_fit_shows_an_html_table_of_its_estimates():
    pytest.importorskip("scipy")
    y = np.random.default_rng(0).normal(1.0, 2.0, size=200)

    def negloglik(params, y):
        return np.sum(params["log_sigma"] + 0.5 * ((y - params["mu"])
                                                   / np.exp(params["log_sigma"])) ** 2)

    fit = cr.mle.fit_mle(negloglik, {"mu": 0.0, "log_sigma": 0.0}, data=(y,),
                         transforms={"log_sigma": "exp"})
    shown = fit._repr_html_()
    rows = dict(re.findall(r"<tr><th>(\w+)</th><td>([-\d.]+)</td>", shown))
    # Closed forms: the sample mean and the standard deviation with divisor n.
    assert rows["mu"] == f"{np.mean(y):.4f}" and rows["sigma"] == f"{np.std(y):.4f}"
    assert f"<td>{np.log(np.std(y)):.4f}</td>" in shown
    assert "<caption>Natural scale (delta method)</caption>" in shown
    assert "<th>Converged</th><td>True</td>" in shown


def test_a_history_shows_its_summary_above_a_plot_of_the_epoch_losses():
    history = training.History(step_losses=[4.0, 3.0, 2.0, 1.0],
                               epoch_losses=[3.5, 2.0, 1.5])
    shown = history._repr_html_()
    assert shown.startswith(f"<pre>{repr(history)}</pre><svg")
    points = re.search(r'points="([^"]+)"', shown).group(1).split()
    heights = [float(point.split(",")[1]) for point in points]
    assert len(points) == 3 and heights[0] < heights[1] < heights[2]  # falling loss


@pytest.mark.parametrize("history", [
    training.History(),
    training.History(step_losses=[1.0], epoch_losses=[1.0]),
    training.History(step_losses=[1.0, float("nan")], epoch_losses=[1.0]),
])
def test_a_history_with_nothing_to_plot_shows_its_summary_alone(history):
    assert history._repr_html_() == f"<pre>{repr(history)}</pre>"
