"""Scale-out of the permutation engine on Dask distributed: the units chunked by rows, the data sent once.

Where one machine is not enough (EU-wide grids, every year times every weight specification), the conditional
randomisation of :mod:`spatial_poverty.stats.engine` runs on a Dask cluster: a ``LocalCluster`` by default, or
the scheduler at ``address`` (``tcp://host:8786``) for a real cluster. The client prepares what every chunk
needs once (the statistic's terms, the CSR weights, the permutation table and the shortcut's sorted sums),
broadcasts it to the workers (``Client.scatter(..., broadcast=True)``), and each task evaluates one range of
units (rows of the weights matrix) with the same compiled kernel as the local run. Each unit's result depends
only on the broadcast data (and, with ``method="independent"``, on its own seeded stream), so the result is
identical, bit for bit, to :func:`~spatial_poverty.stats.engine.conditional_randomisation` on one machine.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from scipy import sparse

from spatial_poverty.errors import StatisticsError
from spatial_poverty.stats.engine import (
    CSRWeights,
    Method,
    PermutationResult,
    prepare_run,
    run_chunk,
    single_arrangement,
)

__all__ = ["conditional_randomisation_dask", "dask_client"]

logger = logging.getLogger(__name__)


@contextmanager
def dask_client(
    address: str | None = None, *, n_workers: int = 1, threads_per_worker: int = 1, processes: bool = True
) -> Iterator[Any]:
    """A ``distributed.Client`` on ``address``, or on a ``LocalCluster`` started here and closed afterwards."""
    from distributed import Client, LocalCluster

    if address is not None:
        client = Client(address)
        try:
            yield client
        finally:
            client.close()
        return
    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=processes,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def conditional_randomisation_dask(
    statistic: str,
    values: np.ndarray,
    w: CSRWeights | sparse.sparray | sparse.spmatrix,
    *,
    y: np.ndarray | None = None,
    permutations: int = 999,
    seed: int,
    method: Method = "shared",
    client: Any | None = None,
    address: str | None = None,
    chunk_size: int = 250_000,
) -> PermutationResult:
    """:func:`~spatial_poverty.stats.engine.conditional_randomisation` on Dask, chunked by rows of the weights.

    Parameters
    ----------
    statistic, values, w, y, permutations, seed, method
        As :func:`~spatial_poverty.stats.engine.conditional_randomisation` (``"shared"`` or ``"independent"``).
    client : distributed.Client, optional
        A client to use; otherwise one on ``address``, or on a new ``LocalCluster``.
    address : str, optional
        Scheduler address of an existing cluster.
    chunk_size : int, default 250000
        Units per task.

    Returns
    -------
    PermutationResult
        Equal to the single-machine result.
    """
    if chunk_size < 1:
        raise StatisticsError(f"chunk_size needs to be at least 1; {chunk_size} was given instead")
    prep = prepare_run(statistic, values, w, y=y, permutations=permutations, seed=seed, method=method)
    n = prep.w.n
    bounds = [(lo, min(lo + chunk_size, n)) for lo in range(0, n, chunk_size)]

    def submit(c: Any) -> list[tuple[np.ndarray, ...]]:
        shared = c.scatter(prep, broadcast=True)
        futures = [c.submit(run_chunk, shared, lo, hi, pure=False) for lo, hi in bounds]
        logger.info("permutation engine on Dask: %d units in %d chunks", n, len(bounds))
        return list(c.gather(futures))

    if client is not None:
        parts = submit(client)
    else:
        with dask_client(address) as c:
            parts = submit(c)
    obs, ge, le, mean, sd = (np.concatenate([p[m] for p in parts]) for m in range(5))
    return PermutationResult(obs, ge, le, mean, sd, permutations, method, seed, single_arrangement(prep.w), prep.tol)
