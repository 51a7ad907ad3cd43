"""He et al. (2016), figures 1 and 6, from one spec: plain and residual CIFAR nets trained side by side.

    .venv/bin/python examples/degradation.py                        # digits stand-in, runs anywhere
    .venv/bin/python examples/degradation.py --cifar data/cifar-10-batches-py --device cuda
    torchrun --nproc_per_node=2 examples/degradation.py --cifar ... # data-parallel (nccl on GPUs, gloo on CPU)

Every network comes from `specs/resnet_cifar.net`: `depth` sets 6n + 2 and `plain=true` leaves the shortcuts
out. The paper's recipe: He initialisation, SGD with momentum 0.9 and weight decay 1e-4, batch 128, lr 0.1
divided by 10 at 50% and 75% of the iterations (32k and 48k of 64k), 4-pixel padding + random 32x32 crop +
horizontal flip. Training error is the running error of each epoch's augmented mini-batches (as in the
paper's curves); test error is measured after each epoch. Writes OUT/degradation.csv (one row per network
and epoch), OUT/degradation.png and OUT/degradation.svg (plain left, residual right; train dashed, test solid).
"""

from __future__ import annotations

import argparse
import csv
import os
import pickle
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

import netspec

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "resnet_cifar.net"
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CSV_FIELDS = (
    "data",
    "network",
    "plain",
    "depth",
    "epoch",
    "lr",
    "train_loss",
    "train_error",
    "test_loss",
    "test_error",
    "seconds",
)


class UsageError(Exception):
    """A bad option or a missing data set: printed as one message with a hint, exit status 2."""


# ---------------------------------------------------------------------------------------------- data


@dataclass
class Data:
    """Images as uint8 [N, 3, S, S] (augmented before they are normalised), labels as int64 [N]."""

    label: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor

    def limited(self, train: int | None, test: int | None) -> Data:
        """The first `train` and `test` examples (the split is already shuffled)."""
        return Data(self.label, self.train_x[:train], self.train_y[:train], self.test_x[:test], self.test_y[:test])


def read_cifar_batch(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """One pickled batch of the python version of CIFAR-10: 10,000 rows of 3072 bytes (R, G, B planes)."""
    with path.open("rb") as f:
        batch = pickle.load(f, encoding="bytes")  # the distribution's own format; only read files you trust
    x = torch.frombuffer(bytearray(batch[b"data"]), dtype=torch.uint8).reshape(-1, 3, 32, 32)
    return x, torch.tensor(batch[b"labels"], dtype=torch.int64)


def load_cifar10(folder: Path) -> Data:
    """CIFAR-10 from its python distribution: data_batch_1..5 (train, 50,000) and test_batch (10,000)."""
    if (folder / "cifar-10-batches-py").is_dir():
        folder = folder / "cifar-10-batches-py"
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise UsageError(
            f"{folder}: no CIFAR-10 {', '.join(missing)}\n  = help: download {CIFAR_URL} "
            "(the python version) and unpack it; pass the cifar-10-batches-py folder"
        )
    train = [read_cifar_batch(folder / n) for n in names[:5]]
    test_x, test_y = read_cifar_batch(folder / "test_batch")
    return Data("CIFAR-10", torch.cat([x for x, _ in train]), torch.cat([y for _, y in train]), test_x, test_y)


def digits_label(size: int) -> str:
    return f"digits stand-in (scikit-learn 8x8 digits upsampled to {size}x{size}), not CIFAR-10"


def load_digits(size: int = 32) -> Data:
    """scikit-learn's 1,797 8x8 digits (shipped with the package), upsampled to 3 x size x size (grey in all
    three channels, 0..255 like CIFAR-10's pixels); a fixed split of 1,347 train and 450 test."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) * (255 / 16)
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).round().clamp(0, 255)
    x, y = x.to(torch.uint8).expand(-1, 3, -1, -1).contiguous(), torch.tensor(digits.target, dtype=torch.int64)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))  # one fixed split
    train, test = order[:1347], order[1347:]
    return Data(digits_label(size), x[train], y[train], x[test], y[test])


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The paper's augmentation: pad 4 zero pixels per side, crop a random 32x32 window, flip half of them.
    Other sizes pad in proportion (size / 8)."""
    h, w = x.shape[2:]
    pad = h // 8
    padded = F.pad(x, (pad, pad, pad, pad))
    corners = torch.randint(0, 2 * pad + 1, (len(x), 2), generator=generator).tolist()
    crops = torch.stack(
        [image[:, top : top + h, left : left + w] for image, (top, left) in zip(padded, corners, strict=True)]
    )
    flip = (torch.rand(len(x), generator=generator) < 0.5).to(x.device)[:, None, None, None]
    return torch.where(flip, crops.flip(3), crops)


class Normalise:
    """Per-channel mean and standard deviation of the training images, applied to uint8 batches."""

    def __init__(self, train_x: torch.Tensor, device: torch.device):
        pixels = train_x.float().transpose(0, 1).reshape(3, -1)
        self.mean = pixels.mean(1).view(1, 3, 1, 1).to(device)
        self.std = pixels.std(1).clamp_min(1e-6).view(1, 3, 1, 1).to(device)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return (x.float() - self.mean) / self.std


# ------------------------------------------------------------------------------------ distributed


@dataclass
class World:
    """This process's place among torchrun's processes (rank 0 of 1 without torchrun)."""

    rank: int = 0
    size: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def main(self) -> bool:
        return self.rank == 0

    def sum(self, values: list[float]) -> list[float]:
        """Element-wise sum over all ranks (the metrics of each rank's shard)."""
        if self.size == 1:
            return values
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return t.tolist()


def check_device(name: str) -> None:
    """A device torch knows and this machine has, or a UsageError naming the ones it has."""
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UsageError(f"--device {name}: not a device\n  = help: cpu, cuda, cuda:1, ...") from None
    count = torch.cuda.device_count() if device.type == "cuda" else 0
    if device.type == "cuda" and (device.index or 0) >= count:
        raise UsageError(f"--device {name}: this machine has {count} CUDA device(s)\n  = help: use --device cpu")
    if device.type not in ("cpu", "cuda"):
        raise UsageError(f"--device {name}: the example runs on cpu or cuda")


def start_world(device: str | None) -> World:
    """Join torchrun's process group if started by torchrun (nccl on GPUs, gloo on CPU), pick the device."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS, read when CUDA starts
    wanted = device or ("cuda" if torch.cuda.is_available() else "cpu")
    check_device(wanted)
    if "WORLD_SIZE" not in os.environ:
        return World(device=torch.device(wanted))
    local = int(os.environ.get("LOCAL_RANK", 0))
    if wanted.startswith("cuda"):
        torch.cuda.set_device(local)
    dist.init_process_group("nccl" if wanted.startswith("cuda") else "gloo")
    chosen = torch.device(f"cuda:{local}") if wanted.startswith("cuda") else torch.device(wanted)
    return World(dist.get_rank(), dist.get_world_size(), chosen)


def stop_world(world: World, finished: bool) -> None:
    if world.size > 1:
        if finished:
            dist.barrier()  # no rank may close gloo's connections while another still uses them
        dist.destroy_process_group()


# --------------------------------------------------------------------------------------- training


@dataclass
class Recipe:
    """The training recipe of the paper's section 4.2, scaled to `epochs`."""

    epochs: int
    batch: int = 128
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    seed: int = 0
    warmup: bool = False  # the paper's ResNet-110 start: lr / 10 until an epoch's training error is below 80%

    def lr_at(self, step: int, total: int) -> float:
        """lr / 10 from 50% of the iterations on, / 100 from 75% (the paper's 32k and 48k of 64k)."""
        return self.lr * 0.1 ** ((step >= total * 0.5) + (step >= total * 0.75))


def he_init(model: nn.Module) -> nn.Module:
    """He et al.'s initialisation (their reference [13]) of the convs: normal, fan_out, gain for ReLU, as
    torchvision's ResNets. The linear layer keeps PyTorch's default: He's gain on its 10 outputs would make the
    first logits of a deep ResNet, whose stream adds up one unit of variance per block, some 20 nats wrong."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
    return model


def build(depth: int, plain: bool, classes: int, seed: int, size: int = 32) -> nn.Module:
    """One of the four networks, from the one spec; the same seed gives every network the same start."""
    torch.manual_seed(seed)
    return he_init(netspec.load(SPEC, depth=depth, plain=plain, classes=classes, input=(3, size, size)))


def network_name(depth: int, plain: bool) -> str:
    return f"{'plain' if plain else 'ResNet'}-{depth}"


class Trainer:
    """Trains one network on one rank's shard of every global batch; reports metrics summed over ranks."""

    def __init__(self, model: nn.Module, data: Data, recipe: Recipe, world: World):
        self.world, self.recipe, self.data = world, recipe, data
        model = model.to(world.device)
        self.model = nn.parallel.DistributedDataParallel(model) if world.size > 1 else model
        self.optimizer = torch.optim.SGD(
            model.parameters(), lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay
        )
        self.normalise = Normalise(data.train_x, world.device)
        self.steps = max(1, len(data.train_y) // recipe.batch)  # full batches only: every rank steps alike
        self.total = self.steps * recipe.epochs
        self.generator = torch.Generator().manual_seed(recipe.seed)  # data order and crops: the same on every rank
        self.warming = recipe.warmup

    def lr(self, step: int) -> float:
        """The step schedule, or a tenth of the base lr while warming up (the warm-up's steps count)."""
        return self.recipe.lr * 0.1 if self.warming else self.recipe.lr_at(step, self.total)

    def batches(self):
        """This rank's part of each global batch of one epoch, in an order drawn from the shared generator."""
        order = torch.randperm(len(self.data.train_y), generator=self.generator)
        for step in range(self.steps):
            chosen = order[step * self.recipe.batch : (step + 1) * self.recipe.batch]
            x = augment(self.data.train_x[chosen], self.generator)
            mine = slice(self.world.rank, None, self.world.size)
            yield x[mine], self.data.train_y[chosen][mine]

    def train_epoch(self, epoch: int, on_step) -> tuple[float, float]:
        """One epoch; (mean loss, error) over the whole global batches, on the fly as in the paper's curves."""
        self.model.train()
        loss_sum, wrong, seen = 0.0, 0.0, 0.0
        for i, (x, y) in enumerate(self.batches()):
            for group in self.optimizer.param_groups:
                group["lr"] = self.lr(epoch * self.steps + i)
            x, y = self.normalise(x.to(self.world.device)), y.to(self.world.device)
            out = self.model(x)
            loss = F.cross_entropy(out, y)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            loss_sum += loss.item() * len(y)
            wrong += float((out.argmax(1) != y).sum())
            seen += len(y)
            on_step()
        loss_sum, wrong, seen = self.world.sum([loss_sum, wrong, seen])
        self.warming = self.warming and wrong / seen >= 0.8
        return loss_sum / seen, wrong / seen

    def local_model(self) -> nn.Module:
        """The module without DDP (whose forward is a collective), with rank 0's batchnorm statistics."""
        if self.world.size == 1:
            return self.model
        for buffer in self.model.module.buffers():
            dist.broadcast(buffer, 0)
        return self.model.module

    @torch.no_grad()
    def test(self, batch: int = 500) -> tuple[float, float]:
        """(mean loss, error) on the test set in eval mode; each rank takes every size-th example."""
        model = self.local_model().eval()
        xs, ys = (
            self.data.test_x[self.world.rank :: self.world.size],
            self.data.test_y[self.world.rank :: self.world.size],
        )
        loss_sum, wrong = 0.0, 0.0
        for i in range(0, len(ys), batch):
            x, y = self.normalise(xs[i : i + batch].to(self.world.device)), ys[i : i + batch].to(self.world.device)
            out = model(x)
            loss_sum += float(F.cross_entropy(out, y, reduction="sum"))
            wrong += float((out.argmax(1) != y).sum())
        loss_sum, wrong, seen = self.world.sum([loss_sum, wrong, float(len(ys))])
        return loss_sum / seen, wrong / seen


# -------------------------------------------------------------------------------------- reporting


def progress_bar(enabled: bool):
    """rich's progress display with an ETA; silent on ranks other than 0."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        disable=not enabled,
    )


class Curves:
    """The CSV of every network's epochs, written (and flushed) row by row so a stopped run keeps its curves."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.rows = path, []
        self.file = path.open("w", newline="")
        self.writer = csv.DictWriter(self.file, CSV_FIELDS)
        self.writer.writeheader()

    def add(self, row: dict) -> None:
        self.rows.append(row)
        self.writer.writerow(row)
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def read_curves(path: Path) -> list[dict]:
    """The rows of a CSV written by this example, with numbers as numbers."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["depth"], row["epoch"], row["plain"] = int(row["depth"]), int(row["epoch"]), row["plain"] == "True"
        for key in ("lr", "train_loss", "train_error", "test_loss", "test_error", "seconds"):
            row[key] = float(row[key])
    return rows


def draw(rows: list[dict], out: Path) -> list[Path]:
    """The paper's figure: error (%) per epoch, plain nets left, ResNets right; train dashed, test solid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    depths = sorted({r["depth"] for r in rows})
    colours = dict(
        zip(
            depths,
            plt.get_cmap("plasma")([0.75 - 0.6 * i / max(1, len(depths) - 1) for i in range(len(depths))]),
            strict=True,
        )
    )
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, plain in zip(axes, (True, False), strict=True):
        for depth in depths:
            mine = [r for r in rows if r["plain"] == plain and r["depth"] == depth]
            if mine:
                plot_network(ax, mine, network_name(depth, plain), colours[depth])
        ax.set(title="plain" if plain else "residual", xlabel="epoch", ylim=(0, None))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("error (%)")
    fig.suptitle(f"{rows[0]['data']}: train (dashed), test (solid)", fontsize=10)
    fig.tight_layout()
    paths = [out.with_suffix(".png"), out.with_suffix(".svg")]
    for path in paths:
        fig.savefig(path, dpi=100)
    plt.close(fig)
    return paths


def plot_network(ax, rows: list[dict], name: str, colour) -> None:
    epochs = [r["epoch"] for r in rows]
    ax.plot(epochs, [100 * r["train_error"] for r in rows], "--", color=colour, linewidth=1)
    ax.plot(epochs, [100 * r["test_error"] for r in rows], "-", color=colour, linewidth=2, label=name)


# ------------------------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Plain vs residual nets of He et al. 2016, from specs/resnet_cifar.net.")
    p.add_argument(
        "--cifar",
        type=Path,
        help="CIFAR-10's cifar-10-batches-py folder (python version); "
        "without it, scikit-learn's digits upsampled to 32x32",
    )
    p.add_argument("--epochs", type=int, default=30, help="epochs per network (the lr steps scale with it)")
    p.add_argument("--depths", default="20,56", help="comma-separated depths 6n+2, each trained plain and residual")
    p.add_argument("--device", help="cpu, cuda, cuda:1, ... (default: cuda when available)")
    p.add_argument("--batch-size", type=int, default=128, help="the global batch (split across torchrun ranks)")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument(
        "--warmup",
        action="store_true",
        help="the paper's start for ResNet-110, for every network: "
        "lr / 10 until an epoch's training error is below 80%%, then the schedule",
    )
    p.add_argument("--seed", type=int, default=0, help="initial weights, data order and crops")
    p.add_argument("--threads", type=int, help="torch's intra-op CPU threads (default: torch's choice)")
    p.add_argument(
        "--image-size",
        type=int,
        default=32,
        help="side of the digits stand-in's images (16 costs a quarter of 32's compute)",
    )
    p.add_argument("--train-size", type=int, help="use only the first N training examples")
    p.add_argument("--test-size", type=int, help="use only the first N test examples")
    p.add_argument("--out", type=Path, default=Path("build/degradation"), help="folder for the CSV and figures")
    return p.parse_args(argv)


def parse_depths(text: str) -> list[int]:
    """`20,56` -> [20, 56]; each depth checked against the spec's own assert before anything trains."""
    try:
        depths = [int(d) for d in text.split(",") if d.strip()]
    except ValueError:
        raise UsageError(f"--depths {text}: not a comma-separated list of integers\n  = help: --depths 20,56") from None
    if not depths:
        raise UsageError("--depths: no depth given\n  = help: --depths 20,56")
    for depth in depths:
        try:
            netspec.analyse(SPEC, depth=depth)
        except netspec.NetspecError as e:
            raise UsageError(f"--depths {depth}:\n{e.render()}") from None
    return depths


def check_args(args: argparse.Namespace) -> None:
    if args.image_size < 8:
        raise UsageError(f"--image-size {args.image_size}: the network halves it twice; use 8 or more")
    for name in ("epochs", "batch_size", "threads", "train_size", "test_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} {value}: must be at least 1")
    if args.lr <= 0:
        raise UsageError(f"--lr {args.lr}: must be positive")


class NetworkRun:
    """One network of the figure in training: its trainer, its progress bar, its time so far."""

    def __init__(self, depth: int, plain: bool, data: Data, recipe: Recipe, world: World, progress, overall):
        self.depth, self.plain, self.name = depth, plain, network_name(depth, plain)
        classes = int(data.train_y.max()) + 1
        model = build(depth, plain, classes, recipe.seed, data.train_x.shape[-1])
        self.trainer = Trainer(model, data, recipe, world)
        self.progress, self.task = progress, progress.add_task(self.name, total=self.trainer.total)
        self.overall = overall
        self.seconds = 0.0

    def advance(self) -> None:
        self.progress.advance(self.task)
        self.progress.advance(self.overall)

    def epoch(self, epoch: int) -> dict:
        """Train one epoch and test; the CSV row."""
        start, trainer = time.perf_counter(), self.trainer
        lr = trainer.lr(epoch * trainer.steps)
        train_loss, train_error = trainer.train_epoch(epoch, self.advance)
        test_loss, test_error = trainer.test()
        self.seconds += time.perf_counter() - start
        self.progress.update(
            self.task, description=f"{self.name} train {100 * train_error:.1f}% test {100 * test_error:.1f}%"
        )
        return {
            "data": trainer.data.label,
            "network": self.name,
            "plain": self.plain,
            "depth": self.depth,
            "epoch": epoch + 1,
            "lr": f"{lr:.6g}",
            "train_loss": f"{train_loss:.5f}",
            "train_error": f"{train_error:.5f}",
            "test_loss": f"{test_loss:.5f}",
            "test_error": f"{test_error:.5f}",
            "seconds": f"{self.seconds:.1f}",
        }


def train_all(depths: list[int], data: Data, recipe: Recipe, world: World, out: Path) -> None:
    """All networks epoch by epoch in turn, so a stopped run leaves comparable curves; figure after each round."""
    curves = Curves(out / "degradation.csv") if world.main else None
    with progress_bar(world.main) as progress:
        overall = progress.add_task("all networks")
        runs = [NetworkRun(d, plain, data, recipe, world, progress, overall) for plain in (True, False) for d in depths]
        progress.update(overall, total=sum(r.trainer.total for r in runs))
        for epoch in range(recipe.epochs):
            for network in runs:
                row = network.epoch(epoch)
                if curves:
                    curves.add(row)
                    progress.console.print(epoch_line(row, recipe.epochs))
            if curves:
                figures = draw(read_curves(curves.path), out / "degradation")
    if curves:
        curves.close()
        print(f"wrote {curves.path}, {', '.join(map(str, figures))} ({data.label})")


def epoch_line(row: dict, epochs: int) -> str:
    return (
        f"{row['network']:<10} epoch {row['epoch']:>3}/{epochs} lr {float(row['lr']):<6.3g} loss "
        f"{float(row['train_loss']):.3f} train {100 * float(row['train_error']):5.2f}% "
        f"test {100 * float(row['test_error']):5.2f}%"
    )


def load_data(args: argparse.Namespace) -> Data:
    if not args.cifar:
        return load_digits(args.image_size)
    if args.image_size != 32:
        raise UsageError(
            f"--image-size {args.image_size}: CIFAR-10's images are 32x32\n"
            "  = help: --image-size scales the digits stand-in only"
        )
    return load_cifar10(args.cifar)


def run(args: argparse.Namespace) -> None:
    check_args(args)
    depths = parse_depths(args.depths)
    if args.threads:
        torch.set_num_threads(args.threads)
    world, finished = start_world(args.device), False
    try:
        torch.use_deterministic_algorithms(True, warn_only=world.device.type != "cpu")
        torch.backends.cudnn.benchmark = False
        data = load_data(args).limited(args.train_size, args.test_size)
        if args.batch_size % world.size or args.batch_size > len(data.train_y):
            raise UsageError(
                f"--batch-size {args.batch_size}: must split evenly across {world.size} ranks and "
                f"fit the {len(data.train_y)} training examples"
            )
        recipe = Recipe(args.epochs, args.batch_size, args.lr, seed=args.seed, warmup=args.warmup)
        train_all(depths, data, recipe, world, args.out)
        finished = True
    finally:
        stop_world(world, finished)


def main(argv: list[str] | None = None) -> int:
    try:
        run(parse_args(argv))
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the CSV holds the epochs finished so far", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
