"""The history of a pipeline's published runs, and what changed from one run to another.

Every published run leaves a record in ``<processed>/<name>/history/<finished>_<run id>.json``: its id and time,
the configuration's SHA-256, the seed, every input's and every output's SHA-256, which stages were recomputed or
reused, and the class of every municipality in every classed layer (:data:`CLASS_FIELDS`). The history folder is
carried from one published run to the next (inside the folder that is published whole), so it survives as long as
the output does, and a failed run leaves it as it was.

:func:`compare` lists what changed between two records: inputs, configuration, seed, and the municipalities whose
index decile, LISA cluster, Gi* hot/cold-spot class, bivariate cluster, access class, or a register's trend class
or emerging hot spot category changed, with before and after. ``spatial-poverty diff`` prints it; the report shows
it for the run against the one before.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from spatial_poverty.errors import DataSourceError

__all__ = [
    "CLASS_FIELDS",
    "HISTORY_DIR",
    "compare",
    "compare_units",
    "diff_lines",
    "find_records",
    "history_record",
    "load_history",
    "unit_classes",
]

HISTORY_DIR = "history"
#: Published files that name their run (its id and time): they differ between any two runs, so a record leaves
#: them out of its outputs (manifest.json and run.log have no SHA-256 in the manifest to begin with).
RUN_OWN_OUTPUTS = ("report.html",)
#: Layer (name, or a pattern with ``*``) -> a field that classes a municipality in it, and what it is called.
CLASS_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("deprivation_index", "decile", "index decile (1 = most deprived)"),
    ("lisa_*", "cluster", "LISA cluster"),
    ("gistar_*", "gi_bin", "Gi* class (+3 hot spot 99% ... -3 cold spot 99%)"),
    ("bilisa_*", "cluster", "bivariate LISA cluster"),
    ("municipal_access", "desert_class", "access class (population x travel time)"),
    ("register_*_trend", "trend", "register trend (Mann-Kendall)"),
    ("register_*_trend", "ehsa_category", "register emerging hot spot category"),
)


def _class_fields(layer: str) -> list[tuple[str, str]]:
    """The (field, label) pairs that class municipalities in ``layer``."""
    return [(field, label) for pattern, field, label in CLASS_FIELDS if fnmatch.fnmatchcase(layer, pattern)]


def unit_classes(gpkg: Path) -> dict[str, dict[str, Any]]:
    """``"<layer>.<field>"`` -> {municipality code: class} for every classed layer of a run's GeoPackage, and
    ``"names"`` -> {code: Greek name}."""
    import pyogrio

    out: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for layer, _ in pyogrio.list_layers(gpkg):
        fields = [f for f, _ in _class_fields(str(layer))]
        if not fields and layer != "municipalities":
            continue
        present = set(pyogrio.read_info(gpkg, layer=layer)["fields"])
        columns = [c for c in ("code", "name_el", *fields) if c in present]
        if "code" not in columns:
            continue
        frame = pyogrio.read_dataframe(gpkg, layer=layer, columns=columns, read_geometry=False)
        codes = frame["code"].astype(str)
        if "name_el" in frame:
            names.update(zip(codes, frame["name_el"].astype(str), strict=True))
        for field in fields:
            if field in frame:
                out[f"{layer}.{field}"] = {c: _plain(v) for c, v in zip(codes, frame[field], strict=True)}
    out["names"] = names
    return out


def _plain(value: Any) -> Any:
    """A JSON value: numpy scalars as Python numbers, missing as None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    item = getattr(value, "item", None)
    return item() if item is not None else value


def history_record(manifest: Mapping[str, Any], units: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The record of a run: from its manifest and :func:`unit_classes` of its GeoPackage."""
    return {
        "run_id": manifest.get("run_id"),
        "pipeline": manifest.get("pipeline"),
        "started_at": manifest.get("started_at"),
        "finished_at": manifest.get("finished_at"),
        "config_sha256": manifest.get("config_sha256"),
        "data_config_sha256": manifest.get("data_config_sha256"),
        "config": manifest.get("config"),
        "seed": manifest.get("seed"),
        "inputs": {i["id"]: i.get("sha256") for i in manifest.get("inputs", [])},
        "outputs": {
            o["path"]: o["sha256"]
            for o in manifest.get("outputs", [])
            if o.get("sha256") and o["path"] not in RUN_OWN_OUTPUTS
        },
        "stages": manifest.get("stages", {}),
        "units": {k: dict(v) for k, v in units.items()},
    }


def record_name(record: Mapping[str, Any]) -> str:
    """``<finished, compact>_<run id>.json``: names sort in the order the runs finished."""
    stamp = re.sub(r"[^0-9T]", "", str(record.get("finished_at") or ""))[:15]
    return f"{stamp}_{record.get('run_id')}.json"


def load_history(folder: Path) -> list[dict[str, Any]]:
    """The records in ``folder`` (a run folder or its ``history/``), oldest first."""
    folder = folder / HISTORY_DIR if (folder / HISTORY_DIR).is_dir() else folder
    records = []
    for path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataSourceError(f"{path}: not a readable run record ({exc})") from exc
        if isinstance(record, dict) and "run_id" in record:
            records.append(record)
    return sorted(records, key=lambda r: (str(r.get("finished_at")), str(r.get("run_id"))))


def find_records(records: Sequence[Mapping[str, Any]], wanted: Sequence[str]) -> list[Mapping[str, Any]]:
    """The records named by run id (or a unique prefix of one); with no names, the last two.

    Raises
    ------
    DataSourceError
        Fewer than two records, or a name that matches none or several (naming the known ids).
    """
    known = ", ".join(f"{str(r['run_id'])[:12]} ({r.get('finished_at')})" for r in records) or "none"
    if not wanted:
        if len(records) < 2:
            raise DataSourceError(f"the history has {len(records)} run(s); a comparison needs two (runs: {known})")
        return [records[-2], records[-1]]
    out = []
    for name in wanted:
        hits = [r for r in records if str(r["run_id"]).startswith(name)]
        if len(hits) != 1:
            what = "no run" if not hits else f"{len(hits)} runs"
            raise DataSourceError(f"{what} with id {name!r} in the history; the runs are: {known}")
        out.append(hits[0])
    return out


def _sections(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> list[str]:
    a, b = a or {}, b or {}
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def compare(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """What changed from run ``before`` to run ``after`` (two records of :func:`history_record`)."""
    ins_a, ins_b = before.get("inputs", {}), after.get("inputs", {})
    inputs = [
        {"id": i, "before": ins_a.get(i), "after": ins_b.get(i)}
        for i in sorted(set(ins_a) | set(ins_b))
        if ins_a.get(i) != ins_b.get(i)
    ]
    units_a, units_b = before.get("units", {}), after.get("units", {})
    names = {**units_a.get("names", {}), **units_b.get("names", {})}
    labels = {}
    changes = []
    for key in sorted((set(units_a) | set(units_b)) - {"names"}):
        layer, field = key.rsplit(".", 1)
        labels[key] = dict(_class_fields(layer)).get(field, field)
        a, b = units_a.get(key, {}), units_b.get(key, {})
        for code in sorted(set(a) | set(b)):
            if a.get(code) != b.get(code):
                changes.append({"code": code, "name": names.get(code, ""), "layer": layer, "field": field,
                                "before": a.get(code), "after": b.get(code)})  # fmt: skip
    outs_a, outs_b = before.get("outputs", {}), after.get("outputs", {})
    return {
        "before": {k: before.get(k) for k in ("run_id", "finished_at", "seed", "config_sha256")},
        "after": {k: after.get(k) for k in ("run_id", "finished_at", "seed", "config_sha256")},
        "inputs": inputs,
        "config_sections": _sections(before.get("config"), after.get("config")),
        "classes": changes,
        "labels": labels,
        "municipalities": len({c["code"] for c in changes}),
        "outputs_changed": sorted(p for p in set(outs_a) & set(outs_b) if outs_a[p] != outs_b[p]),
    }


def compare_units(
    previous: Mapping[str, Any], manifest: Mapping[str, Any], units: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """What changed since ``previous`` in the run being made (its manifest so far and its classes)."""
    return compare(previous, history_record(manifest, units))


def _short(sha: str | None) -> str:
    return sha[:12] if sha else "absent"


def diff_lines(d: Mapping[str, Any]) -> list[str]:
    """A comparison as text, one page: what ``spatial-poverty diff`` prints."""
    b, a = d["before"], d["after"]
    out = [f"from run {str(b['run_id'])[:12]} ({b['finished_at']}) to run {str(a['run_id'])[:12]} ({a['finished_at']})"]
    if b.get("seed") != a.get("seed"):
        out.append(f"seed: {b.get('seed')} -> {a.get('seed')}")
    if d["config_sections"]:
        out.append(f"configuration changed in: {', '.join(d['config_sections'])}")
    out.append(f"inputs changed: {len(d['inputs'])}")
    out += [f"  {i['id']}: {_short(i['before'])} -> {_short(i['after'])}" for i in d["inputs"]]
    out.append(f"municipalities that changed class: {d['municipalities']} ({len(d['classes'])} changes)")
    for c in d["classes"]:
        label = d["labels"].get(f"{c['layer']}.{c['field']}", c["field"])
        out.append(f"  {c['code']} {c['name']}: {c['layer']} {label}: {c['before']} -> {c['after']}")
    if d.get("outputs_changed"):
        out.append(f"published files whose content changed: {len(d['outputs_changed'])}")
        out += [f"  {p}" for p in d["outputs_changed"]]
    return out
