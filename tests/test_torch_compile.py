"""Where users go next: torch.compile(fullgraph=True), torch.export with a dynamic batch, and DDP on gloo."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
import torch

import netspec
from netspec.backends.torch import build_module, emit_source

# Residual with an option-A pad, a named concat with an identity path, in-place activations, dropout, a head.
SPEC = """\
network Small(classes: int = 5) {
    input [3, 16, 16]
    block Unit(out: int, stride: int = 1) {
        residual {
            conv1: conv(out, 3, stride=stride, padding=1, bias=false)
            bn1: batchnorm()
            relu: relu(inplace=true)
            conv2: conv(out, 3, padding=1, bias=false)
            bn2: batchnorm(zero_init=true)
        } shortcut pad
        relu(inplace=true)
    }
    stem: conv(8, 3, padding=1)
    layer1: { Unit(8)  Unit(16, stride=2) }
    mix: concat { a: conv(4, 1)  b: maxpool(3, stride=1, padding=1)  identity() }
    pool: adaptive_avgpool(2)
    flatten()
    drop: dropout(0.2)
    fc: linear(classes)
}
"""


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def generated_module(graph):
    module = type(sys)("generated")
    exec(compile(emit_source(graph).text, "<generated>", "exec"), module.__dict__)
    return getattr(module, module.__all__[-1])()


def both():
    graph = netspec.build(SPEC)
    torch.manual_seed(0)
    live = build_module(graph)
    written = generated_module(graph)
    written.load_state_dict(live.state_dict())
    return {"load": live, "source": written}


@pytest.mark.parametrize("kind", ["load", "source"])
def test_torch_compile_fullgraph_without_graph_breaks(kind):
    torch._dynamo.reset()
    model = both()[kind].eval()
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")  # fullgraph: a graph break raises
    x = torch.randn(4, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), model(x), rtol=1e-5, atol=1e-6)
    explanation = torch._dynamo.explain(model)(x)
    assert explanation.graph_break_count == 0 and explanation.graph_count == 1


def test_torch_compile_trains():
    torch._dynamo.reset()
    model = both()["load"].train()
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    loss = compiled(torch.randn(4, 3, 16, 16)).square().mean()
    loss.backward()
    assert model.stem.weight.grad is not None and model.layer1[0].bn2.weight.grad is not None


@pytest.mark.parametrize("kind", ["load", "source"])
def test_torch_export_with_a_dynamic_batch(kind):
    model = both()[kind].eval()
    batch = torch.export.Dim("batch", min=1, max=1024)
    program = torch.export.export(model, (torch.randn(2, 3, 16, 16),), dynamic_shapes={"x": {0: batch}})
    exported = program.module()
    for n in (1, 7):
        x = torch.randn(n, 3, 16, 16)
        with torch.no_grad():
            torch.testing.assert_close(exported(x), model(x), rtol=1e-5, atol=1e-6)


WORKER = """
import json, os, sys
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
import netspec

dist.init_process_group("gloo")
rank = dist.get_rank()
torch.set_num_threads(1)
torch.manual_seed(rank)  # each rank starts from its own weights: DDP must broadcast rank 0's
model = DDP(netspec.load(sys.argv[1]))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
before = [p.detach().clone() for p in model.parameters()]
x = torch.randn(4, 3, 16, 16)  # and its own data: the gradients must be averaged
loss = torch.nn.functional.cross_entropy(model(x), torch.randint(0, 5, (4,)))
loss.backward()
optimizer.step()
flat = torch.cat([p.detach().flatten() for p in model.parameters()])
gathered = [torch.empty_like(flat) for _ in range(dist.get_world_size())]
dist.all_gather(gathered, flat)
moved = sum(float((p.detach() - b).abs().sum()) for p, b in zip(model.parameters(), before))
result = {"equal": all(torch.equal(gathered[0], g) for g in gathered), "moved": moved,
          "world": dist.get_world_size()}
with open(os.path.join(sys.argv[2], f"rank{rank}.json"), "w") as f:
    json.dump(result, f)
dist.barrier()  # neither rank may close its gloo connections while the other still uses them (it aborts)
del model, optimizer, loss  # DDP's reducer holds gloo work: freed now, while the interpreter is whole
dist.destroy_process_group()
# Skip interpreter finalization: gloo's worker threads freeing tensors then abort the process now and then under
# load ("terminate called without an active exception", SIGABRT; pytorch/pytorch#179291). The results are written.
sys.stdout.flush()
os._exit(0)
"""


def test_distributed_data_parallel_on_gloo_keeps_ranks_equal(tmp_path):
    """Two processes on this machine, started as the README says (torchrun), train one step."""
    spec, worker = tmp_path / "small.net", tmp_path / "train.py"
    spec.write_text(SPEC)
    worker.write_text(textwrap.dedent(WORKER))
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node=2",
        str(worker),
        str(spec),
        str(tmp_path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert all(r["world"] == 2 and r["equal"] and r["moved"] > 0 for r in results)
