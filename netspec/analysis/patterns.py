"""A set of sizes 1..N (a bool mask) -> its compact description: ranges, or a congruence from some size on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_RUNS = 4  # up to this many ranges are listed as they are; more are described by a period
MAX_LISTED = 12  # ranges shown in text; JSON has them all


@dataclass(frozen=True, slots=True)
class Pattern:
    """Sizes in 1..limit: `runs` below `start`, then from `start` on those ≡ one of `residues` (mod `modulus`)."""

    limit: int
    count: int
    runs: tuple[tuple[int, int], ...]  # inclusive ranges below `start` (all of them when modulus is 0)
    start: int  # the periodic part begins here (the first member at or after where the period holds)
    modulus: int  # 0: no period found (or none needed); the set is `runs`
    residues: tuple[int, ...]

    @property
    def minimum(self) -> int | None:
        if self.runs:
            return self.runs[0][0]
        return self.start if self.modulus else None

    def text(self, name: str = "H") -> str:
        """`every H >= 32`, `H >= 8 with H ≡ 0 (mod 2)`, `1..4, 7`, `none`."""
        if self.count == 0:
            return "none"
        listed = ", ".join(_run(a, b) for a, b in self.runs[:MAX_LISTED])
        if len(self.runs) > MAX_LISTED:
            listed += f", ... ({len(self.runs)} ranges in all)"
        if not self.modulus:
            return listed
        if self.modulus == 1:
            tail = f"every {name} >= {self.start}" if self.start > 1 else f"every {name}"
        else:
            tail = f"{name} >= {self.start} with {_congruence(name, self.residues, self.modulus)}"
        return tail + (f"; also {listed}" if listed else "")


def ranges(sizes: np.ndarray) -> list[tuple[int, int]]:
    """Sorted sizes -> inclusive runs: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    if len(sizes) == 0:
        return []
    breaks = np.flatnonzero(np.diff(sizes) != 1)
    starts = np.concatenate(([sizes[0]], sizes[breaks + 1]))
    ends = np.concatenate((sizes[breaks], [sizes[-1]]))
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def pattern(mask: np.ndarray) -> Pattern:
    """The shortest description of the sizes i + 1 where mask[i]: a few ranges, or a period from some size on."""
    limit, sizes = len(mask), np.flatnonzero(mask) + 1
    runs = ranges(sizes)
    if len(runs) <= MAX_RUNS:
        if runs and runs[-1][1] == limit:  # ends at the limit: "every H >= a" reads better than "a..4096"
            return Pattern(limit, len(sizes), tuple(runs[:-1]), runs[-1][0], 1, (0,))
        return Pattern(limit, len(sizes), tuple(runs), 0, 0, ())
    best = None  # (start, modulus): the period that holds from the smallest size, the shortest such period
    for modulus in range(1, limit // 4 + 1):
        start = _periodic_from(mask, modulus)
        if limit - start + 1 >= 3 * modulus and (best is None or start < best[0]):
            best = (start, modulus)
            if start == 1:
                break
    if best is None or best[0] > limit // 2:
        return Pattern(limit, len(sizes), tuple(runs), 0, 0, ())
    return _periodic(mask, sizes, best[1], best[0])


def _periodic_from(mask: np.ndarray, modulus: int) -> int:
    """The smallest size from which mask repeats with this period."""
    differs = np.flatnonzero(mask[modulus:] != mask[:-modulus])
    return 1 if len(differs) == 0 else int(differs[-1]) + 2


def _periodic(mask: np.ndarray, sizes: np.ndarray, modulus: int, start: int) -> Pattern:
    tail = sizes[sizes >= start]
    if len(tail) == 0:
        return Pattern(len(mask), len(sizes), tuple(ranges(sizes)), 0, 0, ())
    first = int(tail[0])
    residues = tuple(sorted({int(s) % modulus for s in tail[tail < first + modulus]}))
    return Pattern(len(mask), len(sizes), tuple(ranges(sizes[sizes < first])), first, modulus, residues)


def _run(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}, {b}" if b == a + 1 else f"{a}..{b}"


def _congruence(name: str, residues: tuple[int, ...], modulus: int) -> str:
    if len(residues) * 2 > modulus:  # most residues: say which are missing
        missing = [r for r in range(modulus) if r not in residues]
        return f"{name} ≢ {', '.join(map(str, missing))} (mod {modulus})"
    return f"{name} ≡ {', '.join(map(str, residues))} (mod {modulus})"
