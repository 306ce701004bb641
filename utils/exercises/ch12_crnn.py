"""Exercise checks of chapter 12: collapsing a CTC path.

This module imports NumPy only.
"""

from __future__ import annotations

from utils.exercises.harness import _call, _cases, _check_tokens, _checker, _describe

__all__ = ["check_ctc_collapse"]


def _collapse(path, blank, merge=True, drop=True, drop_first=False):
    """Merge repeats, then drop blanks (the reference), or a mistake named by the flags."""
    path = list(path)
    if drop_first:
        path = [t for t in path if t != blank]
    if merge:
        path = [t for i, t in enumerate(path) if i == 0 or t != path[i - 1]]
    return [t for t in path if t != blank] if drop else path


@_checker
def check_ctc_collapse(fn):
    """Check ``fn(path, blank) -> labels`` (lists of ints).

    CTC's collapse: first merge runs of the same symbol into one, then drop the blanks, so
    ``[1, 1, 0, 1, 2, 2, 0]`` with blank 0 gives ``[1, 1, 2]``.
    """
    for case in _cases("check_ctc_collapse"):
        if case.number == 1:
            path, blank = [1, 1, 0, 1, 2, 2, 0, 0, 3, 3, 0, 2], 0
        elif case.number == 4:
            path, blank = [], 0
        else:  # random paths with repeats, blanks between equal labels, blank not always 0
            blank = [0, 0, 4, 0, 2][case.number - 1]
            labels = [t for t in range(5) if t != blank]
            path = []
            while len(path) < 14:
                label = int(case.rng.choice(labels))
                path += [label] * int(case.rng.integers(1, 3)) + [blank] * int(
                    case.rng.integers(0, 2)) + [label] * int(case.rng.integers(0, 2))
            path[-1] = path[0] = labels[1]  # first equals last: catches path[i - 1] at i = 0
        case.inputs = _describe(path=path, blank=blank)
        expected = _collapse(path, blank)
        mistakes = [
            ("merge the repeats first, then drop the blanks: a blank between two equal "
             "labels keeps both (1, 0, 1 -> 1, 1).", _collapse(path, blank, drop_first=True)),
            ("merge runs of the same symbol into one (1, 1 -> 1).",
             _collapse(path, blank, merge=False)),
            ("drop the blanks after merging.", _collapse(path, blank, drop=False)),
            ("merge only neighbouring repeats: the same label may come back later.",
             list(dict.fromkeys(t for t in path if t != blank))),
            ("use the blank you are given, not 0.", _collapse(path, 0)),
            ("the first symbol has no predecessor: compare path[i] with path[i - 1] only for "
             "i >= 1 (path[-1] is the last one).",
             [t for i, t in enumerate(path) if t != path[i - 1] and t != blank]),
        ]
        mistakes = [(h, w) for h, w in mistakes if w != expected]
        received = _call(case, fn, list(path), blank)
        _check_tokens(case, "labels", received, expected, mistakes)
