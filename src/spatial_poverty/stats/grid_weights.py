r"""Contiguity weights of a regular grid (the EU 1 km grid) from index arithmetic, without polygons.

Cell :math:`(r, c)` of a grid of ``rows`` x ``cols`` cells is unit number :math:`r \cdot cols + c` in row-major
order (or its rank among the cells kept by ``mask``). Its rook neighbours are the cells at
:math:`(r \pm 1, c)` and :math:`(r, c \pm 1)`; queen adds the four diagonals. That is exactly what
:meth:`libpysal.graph.Graph.build_contiguity` finds from the squares of the grid (shared edge: rook; shared
edge or corner: queen), at a cost linear in the number of cells and no geometry at all: a million cells in a
fraction of a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from libpysal.graph import Graph
from numba import njit, prange
from scipy import sparse

from spatial_poverty.errors import StatisticsError

__all__ = ["grid_csr", "grid_graph"]

_ROOK = np.array([(-1, 0), (0, -1), (0, 1), (1, 0)], dtype=np.int64)
_QUEEN = np.array([(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)], dtype=np.int64)


@njit(cache=True, parallel=True)
def _grid_rows(rows, cols, pos, offsets):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    n = int(pos.max()) + 1 if pos.size else 0
    count = np.zeros(n + 1, dtype=np.int64)
    for r in prange(rows):
        for c in range(cols):
            i = pos[r * cols + c]
            if i < 0:
                continue
            k = 0
            for o in range(offsets.shape[0]):
                rr, cc = r + offsets[o, 0], c + offsets[o, 1]
                if 0 <= rr < rows and 0 <= cc < cols and pos[rr * cols + cc] >= 0:
                    k += 1
            count[i + 1] = k
    indptr = np.cumsum(count)
    indices = np.empty(indptr[-1], dtype=np.int64)
    for r in prange(rows):
        for c in range(cols):
            i = pos[r * cols + c]
            if i < 0:
                continue
            q = indptr[i]
            # offsets in (row, column) order: ascending unit numbers, sorted CSR rows
            for o in range(offsets.shape[0]):
                rr, cc = r + offsets[o, 0], c + offsets[o, 1]
                if 0 <= rr < rows and 0 <= cc < cols:
                    j = pos[rr * cols + cc]
                    if j >= 0:
                        indices[q] = j
                        q += 1
    return indptr, indices


def grid_csr(
    rows: int,
    cols: int,
    *,
    contiguity: Literal["queen", "rook"] = "queen",
    mask: np.ndarray | None = None,
) -> sparse.csr_array:
    """Binary contiguity of a ``rows`` x ``cols`` grid as a CSR matrix (units in row-major order).

    Parameters
    ----------
    rows, cols : int
    contiguity : {"queen", "rook"}
    mask : bool array of shape (rows, cols), optional
        Cells to keep (e.g. populated cells); the others are neither units nor neighbours.

    Returns
    -------
    scipy.sparse.csr_array
        Square, float64 ones, sorted indices; a kept cell with no kept neighbour has an empty row.
    """
    if contiguity not in ("queen", "rook"):
        raise StatisticsError(f"contiguity needs to be 'queen' or 'rook'; {contiguity!r} was given instead")
    if rows < 1 or cols < 1:
        raise StatisticsError(f"a grid needs at least one row and one column; {rows} x {cols} was given instead")
    if mask is None:
        pos = np.arange(rows * cols, dtype=np.int64)
    else:
        m = np.asarray(mask, dtype=bool)
        if m.shape != (rows, cols):
            raise StatisticsError(f"mask needs shape ({rows}, {cols}); {m.shape} was given instead")
        flat = m.ravel()
        pos = np.where(flat, np.cumsum(flat) - 1, -1).astype(np.int64)
    n = int(pos.max()) + 1 if pos.size else 0
    indptr, indices = _grid_rows(rows, cols, pos, _QUEEN if contiguity == "queen" else _ROOK)
    return sparse.csr_array((np.ones(len(indices)), indices, indptr), shape=(n, n))


def grid_graph(
    rows: int,
    cols: int,
    *,
    contiguity: Literal["queen", "rook"] = "queen",
    mask: np.ndarray | None = None,
    ids: Sequence[object] | pd.Index | None = None,
) -> Graph:
    """Binary contiguity of a grid as a :class:`libpysal.graph.Graph` (see :func:`grid_csr`).

    ``ids`` names the kept cells in row-major order (e.g. their INSPIRE codes,
    :func:`spatial_poverty.export.grid.cell_id`); by default 0..n-1. Equal to
    ``Graph.build_contiguity(squares, rook=...)`` on the squares of the same cells.
    """
    w = grid_csr(rows, cols, contiguity=contiguity, mask=mask)
    if ids is not None and len(ids) != w.shape[0]:
        raise StatisticsError(f"ids needs one name per kept cell ({w.shape[0]}); {len(ids)} were given instead")
    return Graph.from_sparse(w, ids=None if ids is None else np.asarray(ids))
