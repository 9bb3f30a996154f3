"""Top-N% ranks and averages for groups and the connection network, by hand."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssi_kit.scoring import ranks
from ssi_kit.scoring.ranks import (group_mean, group_top_pct, network_mean, network_top_pct,
                                   undirected_edges)


def test_group_top_pct_by_hand():
    values = [10, 20, 20, 5, 7, 7]
    groups = [0, 0, 0, 0, 5, 5]  # integer group codes (need not be contiguous)
    # 0: 10 -> #>=10 = 3 of 4; 20, 20 -> 2 of 4 (ties count against); 5 -> 4 of 4
    # 5: 7, 7 tied -> 2 of 2
    np.testing.assert_allclose(group_top_pct(values, groups), [75, 50, 50, 100, 100, 100])


def test_group_top_pct_best_of_fifty_is_top_two_percent():
    values = np.arange(50, dtype=float)
    got = group_top_pct(values, np.zeros(50, dtype=int))
    assert got[-1] == pytest.approx(2.0)
    assert got[0] == pytest.approx(100.0)


def test_group_top_pct_alone_is_100():
    np.testing.assert_allclose(group_top_pct([3.0, 9.0], [1, 2]), [100, 100])


def test_group_mean_by_hand():
    np.testing.assert_allclose(group_mean([1, 2, 3, 10], [3, 1, 3, 1]), [2, 6, 2, 6])


def test_undirected_edges_dedupes_and_drops_self_ties():
    src = [0, 1, 0, 2, 3, 1]
    dst = [1, 0, 1, 2, 1, 3]
    u, v = undirected_edges(src, dst, 4)
    assert list(zip(u.tolist(), v.tolist())) == [(0, 1), (1, 0), (1, 3), (3, 1)]


def test_undirected_edges_empty():
    u, v = undirected_edges([], [], 3)
    assert len(u) == len(v) == 0


# a path 0 - 1 - 2 and an isolated seller 3; two days
VALUES = np.array([[10.0, 20.0, 20.0, 0.0],
                   [30.0, 5.0, 1.0, 8.0]])
U, V = undirected_edges([0, 1, 2], [1, 2, 1], 4)


def test_network_top_pct_by_hand():
    got = network_top_pct(VALUES, U, V)
    # day 0: 0 {0,1}: 2/2; 1 {0,1,2}: 20,20 >= 20 -> 2/3; 2 {1,2}: 2/2; 3 alone
    # day 1: 0 {0,1}: 1/2; 1 {0,1,2}: 30, 5 -> 2/3; 2 {1,2}: 2/2; 3 alone
    np.testing.assert_allclose(got, [[100, 200 / 3, 100, 100], [50, 200 / 3, 100, 100]])


def test_network_mean_by_hand():
    got = network_mean(VALUES, U, V)
    np.testing.assert_allclose(got, [[15, 50 / 3, 20, 0], [17.5, 12, 3, 8]])


def test_network_top_pct_chunking_gives_same_result(monkeypatch):
    rng = np.random.default_rng(3)
    vals = rng.integers(0, 5, size=(7, 6)).astype(float)
    u, v = undirected_edges(rng.integers(0, 6, 12), rng.integers(0, 6, 12), 6)
    whole = network_top_pct(vals, u, v)
    monkeypatch.setattr(ranks, "_CHUNK_CELLS", 1)  # one day per chunk
    np.testing.assert_array_equal(network_top_pct(vals, u, v), whole)


def _brute_network(vals, edges, n):
    nbrs = {i: {i} for i in range(n)}
    for a, b in edges:
        if a != b:
            nbrs[a].add(b)
            nbrs[b].add(a)
    top = np.empty_like(vals)
    mean = np.empty_like(vals)
    for d in range(vals.shape[0]):
        for i in range(n):
            group = [vals[d, j] for j in nbrs[i]]
            top[d, i] = 100 * sum(g >= vals[d, i] for g in group) / len(group)
            mean[d, i] = np.mean(group)
    return top, mean


@settings(max_examples=40, deadline=None, database=None)
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.lists(st.integers(0, 4), min_size=n, max_size=n), min_size=1, max_size=3),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=10))))
def test_network_matches_brute_force(case):
    n, rows, edges = case
    vals = np.array(rows, dtype=float)
    u, v = undirected_edges([a for a, _ in edges], [b for _, b in edges], n)
    top, mean = _brute_network(vals, edges, n)
    np.testing.assert_allclose(network_top_pct(vals, u, v), top)
    np.testing.assert_allclose(network_mean(vals, u, v), mean)
    got = network_top_pct(vals, u, v)
    assert ((got > 0) & (got <= 100)).all()


@settings(max_examples=40, deadline=None, database=None)
@given(st.lists(st.tuples(st.floats(0, 100, allow_nan=False), st.integers(0, 3)), min_size=1, max_size=12))
def test_group_top_pct_matches_definition(rows):
    values = np.array([r[0] for r in rows], dtype=float)
    groups = np.array([r[1] for r in rows])
    got = group_top_pct(values, groups)
    mean = group_mean(values, groups)
    for i, (x, g) in enumerate(rows):
        members = values[groups == g]
        assert got[i] == pytest.approx(100 * (members >= x).sum() / len(members))
        assert mean[i] == pytest.approx(members.mean())


def test_group_top_pct_fast_path_matches_the_two_key_sort():
    """Scores with 6 decimals take the packed-integer sort; the result is the lexsort one."""
    from ssi_kit.scoring.ranks import _order_by_group_then_value_desc

    rng = np.random.default_rng(7)
    v = np.round(rng.choice([0.0, 12.5, 99.999999, 100.0, 33.333333], 5000) + 0.0, 6)
    v[::7] = np.round(rng.uniform(0, 100, len(v[::7])), 6)
    g = rng.integers(0, 40, len(v))
    assert np.array_equal(_order_by_group_then_value_desc(v, g), np.lexsort((-v, g)))
    noisy = v + 1e-9  # not on the 6-decimal grid: the general path
    assert np.array_equal(_order_by_group_then_value_desc(noisy, g), np.lexsort((-noisy, g)))
    slow = 100.0 * np.array([np.mean(v[g == gi] >= vi) for vi, gi in zip(v, g)])
    assert np.allclose(group_top_pct(v, g), slow)
