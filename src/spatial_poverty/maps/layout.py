"""Layout checks of a finished figure: no text cut at the figure's edge, no text drawn over other text.

:func:`text_defects` draws the figure once and measures the bounding box (in pixels, at the figure's dpi) of
every text that is drawn: titles, labels, the tick labels inside the axis limits, legend entries, the source
line. The run's static maps are checked as they are saved and the defects recorded in the manifest.
"""

from __future__ import annotations

from itertools import combinations

from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

__all__ = ["TOLERANCE_PX", "declutter", "text_defects"]

#: Overlaps and overhangs up to this many pixels (at 100 dpi) are rounding, not defects.
TOLERANCE_PX = 1.0


def _hidden_ticklabels(fig: Figure) -> set[int]:
    """Tick labels that matplotlib does not draw: their tick lies outside the axis's view interval."""
    out: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            assert isinstance(axis, Axis)
            lo, hi = sorted(axis.get_view_interval())
            span = (hi - lo) or 1.0
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                loc = tick.get_loc()
                if loc is None or not (lo - 1e-9 * span <= loc <= hi + 1e-9 * span) or not tick.get_visible():
                    out.update({id(tick.label1), id(tick.label2)})
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                if not tick.label2.get_visible():
                    out.add(id(tick.label2))
    return out


def _drawn_texts(fig: Figure) -> list[Text]:
    hidden = _hidden_ticklabels(fig)
    texts = []
    for t in fig.findobj(Text):
        if id(t) in hidden or not t.get_visible() or not t.get_text().strip() or t.get_alpha() == 0:
            continue
        if t.axes is not None and not t.axes.get_visible():
            continue
        texts.append(t)
    return texts


def text_defects(fig: Figure, *, tolerance_px: float = TOLERANCE_PX) -> list[str]:
    """What is wrong with the text of ``fig``: each text cut at the figure's edge and each pair of texts that
    overlap, as sentences naming the texts; an empty list for a clean figure."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    scale = fig.dpi / 100.0
    tol = tolerance_px * scale
    frame = Bbox.from_bounds(0, 0, fig.bbox.width, fig.bbox.height)
    boxes = [(t, t.get_window_extent(renderer)) for t in _drawn_texts(fig)]
    defects = []
    for t, b in boxes:
        if b.x0 < frame.x0 - tol or b.y0 < frame.y0 - tol or b.x1 > frame.x1 + tol or b.y1 > frame.y1 + tol:
            defects.append(f"text cut at the figure's edge: {_name(t)}")
    for (t1, b1), (t2, b2) in combinations(boxes, 2):
        w = min(b1.x1, b2.x1) - max(b1.x0, b2.x0)
        h = min(b1.y1, b2.y1) - max(b1.y0, b2.y0)
        if w > tol and h > tol:
            defects.append(f"texts overlap ({w / scale:.0f} x {h / scale:.0f} px): {_name(t1)} and {_name(t2)}")
    return defects


#: Where :func:`declutter` tries a point's label, in points from the point: (dx, dy, horizontal alignment).
_OFFSETS = ((3, 3, "left"), (3, -9, "left"), (-3, 3, "right"), (-3, -9, "right"), (0, 8, "center"), (0, -13, "center"))


def declutter(fig: Figure, labels: list[Annotation]) -> int:
    """Place point labels so that none overlaps another text: each label takes the first of a few positions
    around its point where it overlaps nothing already placed (axis labels, ticks and legend included); a label
    with no free position is hidden (its point stays). Returns the number hidden."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    own = {id(a) for a in labels}
    placed = [t.get_window_extent(renderer) for t in _drawn_texts(fig) if id(t) not in own]
    frame = Bbox.from_bounds(0, 0, fig.bbox.width, fig.bbox.height)
    hidden = 0
    for a in labels:
        for dx, dy, ha in _OFFSETS:
            a.set_position((dx, dy))
            a.set_horizontalalignment(ha)
            box = a.get_window_extent(renderer)
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(b) for b in placed):
                placed.append(box)
                break
        else:
            a.set_visible(False)
            hidden += 1
    return hidden


def _name(t: Text) -> str:
    text = t.get_text().replace("\n", " ")
    return repr(text if len(text) <= 60 else text[:57] + "...")
