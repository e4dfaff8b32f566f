"""hftour.plots.loss_curve draws what the Trainer logged."""
import matplotlib

matplotlib.use("Agg")

from hftour.plots import loss_curve  # noqa: E402


def test_loss_curve_plots_train_and_eval_points():
    history = [{"loss": 2.0, "step": 5}, {"loss": 1.5, "step": 10}, {"eval_loss": 1.7, "step": 10},
               {"train_runtime": 3.0, "step": 10}]
    fig = loss_curve(history, title="demo")
    lines = fig.axes[0].get_lines()
    assert [list(line.get_xdata()) for line in lines] == [[5, 10], [10]]
    assert [list(line.get_ydata()) for line in lines] == [[2.0, 1.5], [1.7]]
    assert fig.axes[0].get_title() == "demo"


def test_loss_curve_without_eval_has_one_line():
    fig = loss_curve([{"loss": 1.0, "step": 1}, {"loss": 0.5, "step": 2}])
    assert len(fig.axes[0].get_lines()) == 1
