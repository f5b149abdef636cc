"""Metadata inside the GeoPackage: an ISO 19139 record and the run's manifest (``gpkg_metadata``).

The ISO 19115/19139 record (``md_standard_uri`` ``http://www.isotc211.org/2005/gmd``) carries the title (Greek,
with the English one as alternate title), the abstract, the lineage (sources and processing steps), keywords in
Greek and English, the attribution each source's licence requires, the geographic extent and the CRS: what the
national geo-information system (ΕΓΠΣ) and INSPIRE-minded catalogues harvest. The run manifest (configuration,
SHA-256 of every input, package versions, seed, statistics) is stored beside it as JSON, a child of the ISO record,
so the file itself says which run made it. Both are referenced at ``geopackage`` scope in
``gpkg_metadata_reference``, with the release timestamp (never the clock).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyproj

from spatial_poverty.export.schema import layer_spec

if TYPE_CHECKING:
    from spatial_poverty.export.record import Delivery

__all__ = ["ISO_19139_URI", "MANIFEST_URI", "build_id", "iso19139", "write_metadata"]

ISO_19139_URI = "http://www.isotc211.org/2005/gmd"
#: ``md_standard_uri`` of the run manifest (JSON).
MANIFEST_URI = "urn:spatial-poverty:run-manifest:1"

NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gml": "http://www.opengis.net/gml",
    "xlink": "http://www.w3.org/1999/xlink",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

_CODELISTS = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml"

KEYWORDS_EL = (
    "φτώχεια",
    "κοινωνικός αποκλεισμός",
    "κοινωνική ένταξη",
    "δήμοι",
    "πληθυσμός",
    "χωρική αυτοσυσχέτιση",
    "Περιφερειακό Παρατηρητήριο Κοινωνικής Ένταξης",
)
KEYWORDS_EN = (
    "poverty",
    "social exclusion",
    "social inclusion",
    "municipalities",
    "population",
    "spatial autocorrelation",
    "Regional Observatory of Social Inclusion",
)
ORGANISATION = "Περιφερειακά Παρατηρητήρια Κοινωνικής Ένταξης (ν. 4445/2016) / spatial_poverty"


def build_id(record: Mapping[str, Any]) -> str:
    """A short identifier of a run's reproducible record: identical runs share it."""
    blob = json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:16]


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


def _el(parent: ET.Element, path: str) -> ET.Element:
    node = parent
    for tag in path.split("/"):
        node = ET.SubElement(node, _q(tag))
    return node


def _text(parent: ET.Element, path: str, text: str, kind: str = "gco:CharacterString") -> ET.Element:
    node = _el(parent, path)
    ET.SubElement(node, _q(kind)).text = text
    return node


def _code(parent: ET.Element, path: str, codelist: str, value: str) -> None:
    node = _el(parent, path)
    node.set("codeList", f"{_CODELISTS}#{codelist}")
    node.set("codeListValue", value)
    node.text = value


def _party(parent: ET.Element, role: str) -> None:
    party = _el(parent, "gmd:CI_ResponsibleParty")
    _text(party, "gmd:organisationName", ORGANISATION)
    _code(party, "gmd:role/gmd:CI_RoleCode", "CI_RoleCode", role)


def _keywords(parent: ET.Element, words: tuple[str, ...], kind: str) -> None:
    kw = _el(parent, "gmd:descriptiveKeywords/gmd:MD_Keywords")
    for w in words:
        _text(kw, "gmd:keyword", w)
    _code(kw, "gmd:type/gmd:MD_KeywordTypeCode", "MD_KeywordTypeCode", kind)


def extent_wgs84(layers: Mapping[str, pd.DataFrame]) -> tuple[float, float, float, float] | None:
    """West, south, east, north of all feature layers, in degrees (EPSG:4326)."""
    boxes = []
    for frame in layers.values():
        if isinstance(frame, gpd.GeoDataFrame) and len(frame) and frame.crs is not None:
            boxes.append(frame.to_crs(4326).total_bounds)
    if not boxes:
        return None
    return (
        float(min(b[0] for b in boxes)),
        float(min(b[1] for b in boxes)),
        float(max(b[2] for b in boxes)),
        float(max(b[3] for b in boxes)),
    )


def iso19139(delivery: Delivery, layers: Mapping[str, pd.DataFrame]) -> str:
    """The ISO 19139 XML record of a delivery."""
    date = delivery.timestamp[:10]
    root = ET.Element(_q("gmd:MD_Metadata"))
    _text(root, "gmd:fileIdentifier", f"spatial_poverty:{delivery.name}:{build_id(delivery.record)}")
    _code(root, "gmd:language/gmd:LanguageCode", "LanguageCode", "gre")
    _code(root, "gmd:characterSet/gmd:MD_CharacterSetCode", "MD_CharacterSetCode", "utf8")
    _code(root, "gmd:hierarchyLevel/gmd:MD_ScopeCode", "MD_ScopeCode", "dataset")
    _party(_el(root, "gmd:contact"), "pointOfContact")
    _text(root, "gmd:dateStamp", date, "gco:Date")
    _text(root, "gmd:metadataStandardName", "ISO 19115:2003/19139")
    _text(root, "gmd:metadataStandardVersion", "1.0")
    rs = _el(root, "gmd:referenceSystemInfo/gmd:MD_ReferenceSystem/gmd:referenceSystemIdentifier/gmd:RS_Identifier")
    _text(rs, "gmd:code", delivery.crs)
    _text(rs, "gmd:codeSpace", "EPSG")
    _text(rs, "gmd:version", pyproj.proj_version_str)

    ident = _el(root, "gmd:identificationInfo/gmd:MD_DataIdentification")
    cit = _el(ident, "gmd:citation/gmd:CI_Citation")
    _text(cit, "gmd:title", delivery.title)
    if delivery.title_en:
        _text(cit, "gmd:alternateTitle", delivery.title_en)
    cdate = _el(cit, "gmd:date/gmd:CI_Date")
    _text(cdate, "gmd:date", date, "gco:Date")
    _code(cdate, "gmd:dateType/gmd:CI_DateTypeCode", "CI_DateTypeCode", "publication")
    _text(cit, "gmd:identifier/gmd:MD_Identifier/gmd:code", f"{delivery.name}:{build_id(delivery.record)}")

    names = [f"{layer_spec(n).title_el} / {layer_spec(n).title_en} ({n})" for n in layers]
    abstract = (
        f"{delivery.title}. Γεωχωρικά δεδομένα ανά δήμο (κωδικοί ΕΛ.ΣΤΑΤ. 2021) για τα Περιφερειακά "
        "Παρατηρητήρια Κοινωνικής Ένταξης: δείκτες, χωρική αυτοσυσχέτιση και ό,τι άλλο ορίζει η διαδικασία. "
        f"{delivery.title_en or delivery.name}. Municipal data (ELSTAT 2021 codes) for the Regional Observatories "
        f"of Social Inclusion. Layers: {'; '.join(names)}. Field definitions: docs/exchange_schema.md of "
        "spatial_poverty; the run manifest (inputs with SHA-256, versions, seed, configuration) is stored in this "
        "GeoPackage's gpkg_metadata."
    )
    _text(ident, "gmd:abstract", abstract)
    _text(ident, "gmd:purpose", "Παρακολούθηση της φτώχειας και του κοινωνικού αποκλεισμού (ν. 4445/2016)")
    for attribution in dict.fromkeys(s.attribution for s in delivery.sources):
        _text(ident, "gmd:credit", attribution)
    _code(ident, "gmd:status/gmd:MD_ProgressCode", "MD_ProgressCode", "completed")
    _party(_el(ident, "gmd:pointOfContact"), "originator")
    _keywords(ident, KEYWORDS_EL, "theme")
    _keywords(ident, KEYWORDS_EN, "theme")
    legal = _el(ident, "gmd:resourceConstraints/gmd:MD_LegalConstraints")
    _code(legal, "gmd:useConstraints/gmd:MD_RestrictionCode", "MD_RestrictionCode", "otherRestrictions")
    for s in delivery.sources:
        _text(legal, "gmd:otherConstraints", f"{s.title}: {s.licence}; {s.attribution}")
    _code(
        ident,
        "gmd:spatialRepresentationType/gmd:MD_SpatialRepresentationTypeCode",
        "MD_SpatialRepresentationTypeCode",
        "vector",
    )
    _code(ident, "gmd:language/gmd:LanguageCode", "LanguageCode", "gre")
    _code(ident, "gmd:language/gmd:LanguageCode", "LanguageCode", "eng")
    _code(ident, "gmd:characterSet/gmd:MD_CharacterSetCode", "MD_CharacterSetCode", "utf8")
    _el(ident, "gmd:topicCategory/gmd:MD_TopicCategoryCode").text = "society"
    bbox = extent_wgs84(layers)
    if bbox is not None:
        geo = _el(ident, "gmd:extent/gmd:EX_Extent/gmd:geographicElement/gmd:EX_GeographicBoundingBox")
        for tag, v in zip(
            ("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude", "northBoundLatitude"),
            (bbox[0], bbox[2], bbox[1], bbox[3]),
            strict=True,
        ):
            _text(geo, f"gmd:{tag}", f"{v:.6f}", "gco:Decimal")

    dist = _el(root, "gmd:distributionInfo/gmd:MD_Distribution/gmd:distributionFormat/gmd:MD_Format")
    _text(dist, "gmd:name", "GeoPackage")
    _text(dist, "gmd:version", "1.2")

    dq = _el(root, "gmd:dataQualityInfo/gmd:DQ_DataQuality")
    _code(dq, "gmd:scope/gmd:DQ_Scope/gmd:level/gmd:MD_ScopeCode", "MD_ScopeCode", "dataset")
    lin = _el(dq, "gmd:lineage/gmd:LI_Lineage")
    cfg = delivery.record.get("config", {})
    stats = cfg.get("statistics", {}) if isinstance(cfg, Mapping) else {}
    _text(
        lin,
        "gmd:statement",
        "Παράγεται από το spatial_poverty με δηλωτική διαδικασία (pipeline YAML). Produced by spatial_poverty from "
        f"a declarative pipeline '{delivery.name}' (SHA-256 {delivery.record.get('config_sha256')} of the "
        "configuration the layers rest on, map and report options aside, as canonical JSON; "
        f"seed {delivery.record.get('seed')}): inputs verified against their catalogued SHA-256, joined on the "
        "ELSTAT 2021 municipality code, indicators computed, spatial weights built (islands linked by k nearest "
        f"neighbours), global and local Moran's I with {stats.get('permutations', '?')} conditional permutations, "
        "every layer checked against the exchange schema, GeoPackage validated with GDAL's validator.",
    )
    for step in (
        "Έλεγχος SHA-256 των εισόδων / inputs verified against the data catalogue",
        "Σύνδεση ορίων και πληθυσμού με τον κωδικό ΕΛ.ΣΤΑΤ. 2021 / boundaries joined to population by code",
        "Υπολογισμός δεικτών / indicators computed",
        "Χωρικά βάρη και αυτοσυσχέτιση / spatial weights and autocorrelation",
        "Έλεγχος σχήματος ανταλλαγής και επικύρωση GeoPackage / exchange schema check, GeoPackage validation",
    ):
        _text(lin, "gmd:processStep/gmd:LI_ProcessStep/gmd:description", step)
    for s in delivery.sources:
        src = _el(lin, "gmd:source/gmd:LI_Source")
        _text(src, "gmd:description", f"{s.publisher}; {s.licence}; {s.attribution}; SHA-256 {s.sha256}")
        scit = _el(src, "gmd:sourceCitation/gmd:CI_Citation")
        _text(scit, "gmd:title", s.title)
        sdate = _el(scit, "gmd:date/gmd:CI_Date")
        _text(sdate, "gmd:date", date, "gco:Date")
        _code(sdate, "gmd:dateType/gmd:CI_DateTypeCode", "CI_DateTypeCode", "publication")
        if s.landing_page:
            _text(scit, "gmd:identifier/gmd:MD_Identifier/gmd:code", s.landing_page)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_metadata(con: sqlite3.Connection, delivery: Delivery, layers: Mapping[str, pd.DataFrame]) -> None:
    """Store the ISO 19139 record and the run manifest in ``gpkg_metadata`` (GeoPackage metadata extension)."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL, "
        "md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL, "
        "mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (reference_scope TEXT NOT NULL, table_name TEXT, "
        "column_name TEXT, row_id_value INTEGER, timestamp DATETIME NOT NULL DEFAULT "
        "(strftime('%Y-%m-%dT%H:%M:%fZ','now')), md_file_id INTEGER NOT NULL, md_parent_id INTEGER, "
        "CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id), "
        "CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id))"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, "
        "definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, "
        "extension_name))"
    )
    for table in ("gpkg_metadata", "gpkg_metadata_reference"):
        con.execute(
            "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, 'gpkg_metadata', "
            "'http://www.geopackage.org/spec120/#extension_metadata', 'read-write')",
            (table,),
        )
    iso = con.execute(
        "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) VALUES ('dataset', ?, "
        "'text/xml', ?)",
        (ISO_19139_URI, iso19139(delivery, layers)),
    ).lastrowid
    manifest = {"build_id": build_id(delivery.record), **delivery.record}
    man = con.execute(
        "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) VALUES ('dataset', ?, "
        "'application/json', ?)",
        (MANIFEST_URI, json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)),
    ).lastrowid
    for md_id, parent in ((iso, None), (man, iso)):
        con.execute(
            "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, column_name, row_id_value, timestamp, "
            "md_file_id, md_parent_id) VALUES ('geopackage', NULL, NULL, NULL, ?, ?, ?)",
            (delivery.timestamp, md_id, parent),
        )
