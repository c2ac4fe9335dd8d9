"""numba kernels for exact MAP denoising: Boykov–Kolmogorov max-flow on a flat arc
array and residual-graph reachability (Boykov & Kolmogorov 2004).

Only :mod:`boltz.denoising.mincut` imports this module, so numba is loaded on
first use. Kernels are compiled with ``cache=True``. The colour-class Gibbs,
ICM and mean-field sweeps live in :mod:`boltz.samplers.grid`.
"""

from __future__ import annotations

import numba
import numpy as np

_NONE = -1
_TERMINAL = -2
_ORPHAN = -3
_INF_D = 1 << 30


# ---------------------------------------------------------------------------
# Boykov–Kolmogorov
# ---------------------------------------------------------------------------

@numba.njit(cache=True, inline="always")
def _push_active(p, queue, q_state, in_active, n):
    # q_state = [head, count]
    if in_active[p] == 0:
        in_active[p] = 1
        tail = q_state[0] + q_state[1]
        if tail >= n:
            tail -= n
        queue[tail] = p
        q_state[1] += 1


@numba.njit(cache=True, inline="always")
def _orphan_front(p, parent, orph, o_state, n):
    parent[p] = _ORPHAN
    h = o_state[0] - 1
    if h < 0:
        h += n
    orph[h] = p
    o_state[0] = h
    o_state[1] += 1


@numba.njit(cache=True, inline="always")
def _orphan_rear(p, parent, orph, o_state, n):
    parent[p] = _ORPHAN
    tail = o_state[0] + o_state[1]
    if tail >= n:
        tail -= n
    orph[tail] = p
    o_state[1] += 1


@numba.njit(cache=True)
def bk_maxflow_kernel(first, head, sister, rescap, tr_cap):  # noqa: C901
    """Boykov–Kolmogorov max-flow; updates ``rescap`` and ``tr_cap`` in place.

    ``tr_cap[p] > 0`` is residual capacity source -> p, ``< 0`` residual
    p -> sink. ``parent[p]`` is the arc from p to its parent in its search
    tree (source tree: flow runs parent -> p along ``sister[parent[p]]``;
    sink tree: p -> parent along ``parent[p]``). Returns the augmented flow.
    """
    n = tr_cap.shape[0]
    # arc and node indices fit in int32 (grid_graph checks), which halves memory traffic
    parent = np.full(n, _NONE, dtype=np.int32)
    is_sink = np.zeros(n, dtype=np.uint8)
    ts = np.zeros(n, dtype=np.int64)
    dist = np.zeros(n, dtype=np.int32)
    in_active = np.zeros(n, dtype=np.uint8)
    queue = np.empty(max(n, 1), dtype=np.int32)
    q_state = np.zeros(2, dtype=np.int64)
    orph = np.empty(max(n, 1), dtype=np.int32)
    o_state = np.zeros(2, dtype=np.int64)
    time = 0
    flow = 0.0

    for p in range(n):
        if tr_cap[p] > 0:
            parent[p] = _TERMINAL
            is_sink[p] = 0
            dist[p] = 1
            _push_active(p, queue, q_state, in_active, n)
        elif tr_cap[p] < 0:
            parent[p] = _TERMINAL
            is_sink[p] = 1
            dist[p] = 1
            _push_active(p, queue, q_state, in_active, n)

    current = -1
    while True:
        # -- pick an active node (keep the current one while it finds paths)
        i = -1
        if current >= 0:
            in_active[current] = 0
            if parent[current] != _NONE:
                i = current
            current = -1
        if i < 0:
            while q_state[1] > 0:
                p = queue[q_state[0]]
                q_state[0] += 1
                if q_state[0] >= n:
                    q_state[0] = 0
                q_state[1] -= 1
                in_active[p] = 0
                if parent[p] != _NONE:
                    i = p
                    break
            if i < 0:
                break

        # -- growth
        mid = -1
        if is_sink[i] == 0:
            for a in range(first[i], first[i + 1]):
                if rescap[a] > 0:
                    j = head[a]
                    if parent[j] == _NONE:
                        is_sink[j] = 0
                        parent[j] = sister[a]
                        ts[j] = ts[i]
                        dist[j] = dist[i] + 1
                        _push_active(j, queue, q_state, in_active, n)
                    elif is_sink[j] != 0:
                        mid = a
                        break
                    elif ts[j] <= ts[i] and dist[j] > dist[i]:
                        parent[j] = sister[a]
                        ts[j] = ts[i]
                        dist[j] = dist[i] + 1
        else:
            for a in range(first[i], first[i + 1]):
                sa = sister[a]
                if rescap[sa] > 0:
                    j = head[a]
                    if parent[j] == _NONE:
                        is_sink[j] = 1
                        parent[j] = sa
                        ts[j] = ts[i]
                        dist[j] = dist[i] + 1
                        _push_active(j, queue, q_state, in_active, n)
                    elif is_sink[j] == 0:
                        mid = sa
                        break
                    elif ts[j] <= ts[i] and dist[j] > dist[i]:
                        parent[j] = sa
                        ts[j] = ts[i]
                        dist[j] = dist[i] + 1
        time += 1
        if mid < 0:
            continue

        # keep i as the current node: mark it so it is not queued twice
        in_active[i] = 1
        current = i

        # -- augment along source-root ... mid ... sink-root
        bottleneck = rescap[mid]
        k = head[sister[mid]]
        while True:
            a = parent[k]
            if a == _TERMINAL:
                break
            r = rescap[sister[a]]
            if r < bottleneck:
                bottleneck = r
            k = head[a]
        if tr_cap[k] < bottleneck:
            bottleneck = tr_cap[k]
        k = head[mid]
        while True:
            a = parent[k]
            if a == _TERMINAL:
                break
            r = rescap[a]
            if r < bottleneck:
                bottleneck = r
            k = head[a]
        if -tr_cap[k] < bottleneck:
            bottleneck = -tr_cap[k]

        rescap[sister[mid]] += bottleneck
        rescap[mid] -= bottleneck
        k = head[sister[mid]]
        while True:
            a = parent[k]
            if a == _TERMINAL:
                break
            rescap[a] += bottleneck
            rescap[sister[a]] -= bottleneck
            nxt = head[a]
            if rescap[sister[a]] <= 0:
                _orphan_front(k, parent, orph, o_state, n)
            k = nxt
        tr_cap[k] -= bottleneck
        if tr_cap[k] <= 0:
            _orphan_front(k, parent, orph, o_state, n)
        k = head[mid]
        while True:
            a = parent[k]
            if a == _TERMINAL:
                break
            rescap[sister[a]] += bottleneck
            rescap[a] -= bottleneck
            nxt = head[a]
            if rescap[a] <= 0:
                _orphan_front(k, parent, orph, o_state, n)
            k = nxt
        tr_cap[k] += bottleneck
        if tr_cap[k] >= 0:
            _orphan_front(k, parent, orph, o_state, n)
        flow += bottleneck

        # -- adoption
        while o_state[1] > 0:
            o = orph[o_state[0]]
            o_state[0] += 1
            if o_state[0] >= n:
                o_state[0] = 0
            o_state[1] -= 1
            sink_side = is_sink[o]
            d_min = _INF_D
            a0_min = -1
            for a0 in range(first[o], first[o + 1]):
                # residual arc from the neighbour towards o (source tree) or from o on (sink)
                r = rescap[sister[a0]] if sink_side == 0 else rescap[a0]
                if r <= 0:
                    continue
                j = head[a0]
                if is_sink[j] != sink_side or parent[j] == _NONE:
                    continue
                d = 0
                jj = j
                while True:
                    if ts[jj] == time:
                        d += dist[jj]
                        break
                    a = parent[jj]
                    d += 1
                    if a == _TERMINAL:
                        ts[jj] = time
                        dist[jj] = 1
                        break
                    if a == _ORPHAN:
                        d = _INF_D
                        break
                    jj = head[a]
                if d < _INF_D:
                    if d < d_min:
                        a0_min = a0
                        d_min = d
                    jj = j
                    while ts[jj] != time:
                        ts[jj] = time
                        dist[jj] = d
                        d -= 1
                        jj = head[parent[jj]]
            if a0_min >= 0:
                parent[o] = a0_min
                ts[o] = time
                dist[o] = d_min + 1
            else:
                parent[o] = _NONE
                for a0 in range(first[o], first[o + 1]):
                    j = head[a0]
                    if is_sink[j] != sink_side:
                        continue
                    a = parent[j]
                    if a == _NONE:
                        continue
                    r = rescap[sister[a0]] if sink_side == 0 else rescap[a0]
                    if r > 0:
                        _push_active(j, queue, q_state, in_active, n)
                    if a >= 0 and head[a] == o:
                        _orphan_rear(j, parent, orph, o_state, n)
    return flow


@numba.njit(cache=True)
def residual_source_side(first, head, rescap, tr_cap):
    """Nodes reachable from the source in the residual graph (bool (N,))."""
    n = tr_cap.shape[0]
    seen = np.zeros(n, dtype=np.bool_)
    stack = np.empty(max(n, 1), dtype=np.int32)
    top = 0
    for p in range(n):
        if tr_cap[p] > 0:
            seen[p] = True
            stack[top] = p
            top += 1
    while top > 0:
        top -= 1
        p = stack[top]
        for a in range(first[p], first[p + 1]):
            if rescap[a] > 0:
                q = head[a]
                if not seen[q]:
                    seen[q] = True
                    stack[top] = q
                    top += 1
    return seen
