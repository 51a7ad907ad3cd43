"""examples/degradation.py end to end on the digits stand-in: curves, figure, recipe, data readers, torchrun."""

from __future__ import annotations

import importlib.util
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "degradation.py"
SMALL = [
    "--depths",
    "8",
    "--epochs",
    "3",
    "--train-size",
    "512",
    "--test-size",
    "128",
    "--batch-size",
    "32",
    "--image-size",
    "16",
]

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def load_example():
    spec = importlib.util.spec_from_file_location("degradation", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


degradation = load_example()


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """plain-8 and ResNet-8, 3 epochs of 16 steps on 512 digits at 16x16 (about 3 s on one thread)."""
    out = tmp_path_factory.mktemp("degradation")
    assert degradation.main([*SMALL, "--out", str(out)]) == 0
    return out


def test_writes_the_curves_of_both_twins_for_every_epoch(small_run):
    rows = degradation.read_curves(small_run / "degradation.csv")
    assert [(r["network"], r["epoch"]) for r in rows] == [(n, e) for e in (1, 2, 3) for n in ("plain-8", "ResNet-8")]
    assert {r["data"] for r in rows} == {degradation.digits_label(16)}
    assert all(0 <= r["train_error"] <= 1 and 0 <= r["test_error"] <= 1 for r in rows)
    assert [r["lr"] for r in rows[::2]] == [0.1, 0.1, 0.01]  # the first step at half of the 48 iterations


def test_training_loss_decreases(small_run):
    rows = degradation.read_curves(small_run / "degradation.csv")
    for name in ("plain-8", "ResNet-8"):
        losses = [r["train_loss"] for r in rows if r["network"] == name]
        assert losses[-1] < 0.85 * losses[0], (name, losses)


def test_draws_the_figure_as_png_and_svg(small_run):
    import matplotlib.image

    png = matplotlib.image.imread(small_run / "degradation.png")
    assert png.shape[:2] == (400, 1000)  # 10 x 4 inches at 100 dpi
    svg = (small_run / "degradation.svg").read_text()
    assert "plain-8" in svg and "ResNet-8" in svg and "digits stand-in" in svg


def test_same_seed_same_curves_another_seed_others(tmp_path):
    tiny = ["--depths", "8", "--epochs", "1", "--train-size", "64", "--test-size", "32", "--batch-size", "32"]

    def curves(name: str, seed: int) -> list[dict]:
        assert degradation.main([*tiny, "--seed", str(seed), "--out", str(tmp_path / name)]) == 0
        rows = degradation.read_curves(tmp_path / name / "degradation.csv")
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]

    first = curves("a", 0)
    assert curves("b", 0) == first
    assert curves("c", 1) != first


def test_the_twins_are_one_spec_with_the_shortcuts_switched():
    plain, residual = (degradation.build(8, p, 10, seed=0) for p in (True, False))
    shapes = [(k, v.shape) for k, v in plain.state_dict().items()]
    assert shapes == [(k, v.shape) for k, v in residual.state_dict().items()]  # option A costs no parameters
    assert torch.equal(plain.conv1.weight, residual.conv1.weight)  # same seed, same start
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert not torch.allclose(plain.eval()(x), residual.eval()(x))


def test_learning_rate_steps_at_the_papers_iterations():
    recipe = degradation.Recipe(epochs=1)
    assert [recipe.lr_at(s, 64000) for s in (0, 31999, 32000, 47999, 48000, 63999)] == pytest.approx(
        [0.1, 0.1, 0.01, 0.01, 0.001, 0.001]
    )


def test_warmup_trains_at_a_tenth_of_the_lr_until_an_epoch_is_below_80_percent_error():
    data = degradation.load_digits(16).limited(64, 32)
    recipe = degradation.Recipe(epochs=4, batch=32, warmup=True)
    trainer = degradation.Trainer(degradation.build(8, False, 10, 0, 16), data, recipe, degradation.World())
    assert trainer.lr(0) == pytest.approx(0.01)
    _, error = trainer.train_epoch(0, lambda: None)
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.01)
    assert trainer.warming == (error >= 0.8)
    trainer.warming = False  # as after an epoch below 80%: the step schedule, counted from the first step
    assert [trainer.lr(s) for s in (2, 3, 4, 6)] == pytest.approx([0.1, 0.1, 0.01, 0.001])


def test_augment_crops_a_window_of_the_padded_image_or_its_mirror():
    x = torch.randint(0, 256, (16, 3, 32, 32), dtype=torch.uint8)
    out = degradation.augment(x, torch.Generator().manual_seed(0))
    padded = torch.nn.functional.pad(x, (4, 4, 4, 4))
    for image, crop in zip(padded, out, strict=True):
        windows = [image[:, top : top + 32, left : left + 32] for top in range(9) for left in range(9)]
        assert any(torch.equal(crop, w) or torch.equal(crop, w.flip(2)) for w in windows)


def write_cifar_batch(path: Path, images: torch.Tensor, labels: list[int]) -> None:
    """A batch as the python version of CIFAR-10 stores it: rows of 1024 R, 1024 G, 1024 B bytes."""
    rows = images.reshape(len(images), -1).numpy()
    with path.open("wb") as f:
        pickle.dump({b"batch_label": b"test", b"labels": labels, b"data": rows, b"filenames": []}, f)


def test_reads_cifar10_in_its_distribution_format(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    images = torch.randint(0, 256, (6, 3, 32, 32), dtype=torch.uint8)
    for i, name in enumerate([f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]):
        write_cifar_batch(folder / name, images[i : i + 1], [i])
    data = degradation.load_cifar10(tmp_path)  # the parent folder is found too
    assert torch.equal(data.train_x, images[:5]) and data.train_y.tolist() == [0, 1, 2, 3, 4]
    assert torch.equal(data.test_x, images[5:]) and data.test_y.tolist() == [5]
    assert data.label == "CIFAR-10"


def test_digits_stand_in_is_the_scikit_learn_digits_upsampled():
    from sklearn.datasets import load_digits

    data = degradation.load_digits()
    assert data.train_x.shape == (1347, 3, 32, 32) and data.test_x.shape == (450, 3, 32, 32)
    assert sorted(data.train_y.tolist() + data.test_y.tolist()) == sorted(load_digits().target.tolist())
    assert torch.equal(data.train_x[:, 0], data.train_x[:, 2])  # grey: the same image in all three channels


@pytest.mark.parametrize(
    "args, message",
    [
        (["--depths", "21"], "depth 6n + 2"),
        (["--depths", "20,x"], "not a comma-separated list"),
        (["--epochs", "0"], "--epochs 0: must be at least 1"),
        (["--cifar", "/nonexistent"], "cifar-10-python.tar.gz"),
        (["--train-size", "16"], "--batch-size 128"),
        (["--device", "cuda:99"], "CUDA device(s)"),
        (["--device", "gpu"], "not a device"),
    ],
)
def test_bad_options_are_one_message_with_a_hint(args, message, capsys, tmp_path):
    assert degradation.main([*args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_torchrun_data_parallel_on_gloo(tmp_path):
    """Two ranks on this machine as the README starts them; rank 0 alone writes the curves (about 10 s)."""
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node=2",
        str(SCRIPT),
        "--depths",
        "8",
        "--epochs",
        "2",
        "--train-size",
        "128",
        "--test-size",
        "64",
        "--batch-size",
        "32",
        "--threads",
        "1",
        "--out",
        str(tmp_path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = degradation.read_curves(tmp_path / "degradation.csv")
    assert [(r["network"], r["epoch"]) for r in rows] == [(n, e) for e in (1, 2) for n in ("plain-8", "ResNet-8")]
    assert (tmp_path / "degradation.png").stat().st_size > 0
