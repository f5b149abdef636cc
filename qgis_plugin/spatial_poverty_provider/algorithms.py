"""The algorithms: each one turns its parameters into a ``spatial-poverty`` command line (bridge.py), runs it on
the input layer (the layer's own GeoPackage when it is one, else a temporary copy) and returns its output layer,
styled by the command's ``--style`` (the toolkit's palette and Greek aliases, stored in the GeoPackage)."""

import json

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
)

from .bridge import run_cli

ISLAND_POLICIES = ["knn", "none", "keep"]
ALTERNATIVES = ["two-sided", "greater", "less"]
CORRECTIONS = ["bh", "by", "bonferroni", "none"]
SIGNIFICANCE = ["default (q with a correction, else p)", "p", "q"]

HELP_WEIGHTS = (
    "queen, rook, knn:K, distance:D (map units), kernel:BANDWIDTH, or the path of a .gal / .gwt file whose ids are "
    "the id field's values"
)


def numeric_field(name, label, *, multiple=False, optional=False):
    """A parameter: one (or several) numeric fields of the input layer."""
    return QgsProcessingParameterField(
        name, label, None, "INPUT", QgsProcessingParameterField.Numeric, allowMultiple=multiple, optional=optional
    )


class _Algorithm(QgsProcessingAlgorithm):
    """What every algorithm shares: the input layer, its id field and the weights with their island policy."""

    command = ()
    algorithm_id = ""  # default: the command's last word
    group_name = "Spatial autocorrelation"
    title = ""
    help_text = ""

    def createInstance(self):
        return type(self)()

    def name(self):
        return self.algorithm_id or self.command[-1].replace("-", "_")

    def displayName(self):
        return self.title

    def group(self):
        return self.group_name

    def groupId(self):
        return self.group_name.lower().replace(" ", "_")

    def shortHelpString(self):
        return self.help_text

    # ------------------------------------------------------------------------------------------ parameters
    def add_input(self):
        self.addParameter(
            QgsProcessingParameterFeatureSource("INPUT", "Polygon layer", [QgsProcessing.TypeVectorPolygon])
        )
        self.addParameter(QgsProcessingParameterField("ID_FIELD", "Id field (one value per unit)", "code", "INPUT"))

    def add_variable(self):
        self.addParameter(numeric_field("FIELD", "Field to analyse"))

    def add_weights(self, island_default=0, island_k=3):
        weights = QgsProcessingParameterString(
            "WEIGHTS", "Weights (queen, rook, knn:K, distance:D, kernel:B, file)", "queen"
        )
        weights.setHelp(HELP_WEIGHTS)
        self.addParameter(weights)
        self.addParameter(
            QgsProcessingParameterEnum(
                "ISLAND_POLICY", "Units with no neighbour (islands)", ISLAND_POLICIES, defaultValue=island_default
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "ISLAND_K",
                "Neighbours per island (policy knn)",
                QgsProcessingParameterNumber.Integer,
                island_k,
                False,
                1,
                50,
            )
        )

    def add_inference(self, local=True):
        self.addParameter(
            QgsProcessingParameterNumber(
                "PERMUTATIONS", "Permutations", QgsProcessingParameterNumber.Integer, 999, False, 0, 99999
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "SEED", "Seed (same seed, same p-values)", QgsProcessingParameterNumber.Integer, 12345, False, 0
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum("ALTERNATIVE", "Alternative hypothesis", ALTERNATIVES, defaultValue=0)
        )
        if not local:
            return
        self.addParameter(
            QgsProcessingParameterNumber(
                "ALPHA", "Significance level", QgsProcessingParameterNumber.Double, 0.05, False, 0.0, 1.0
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum("CORRECTION", "Multiple-testing correction", CORRECTIONS, defaultValue=0)
        )
        self.addParameter(QgsProcessingParameterEnum("SIGNIFICANCE", "Significant when", SIGNIFICANCE, defaultValue=0))

    # ----------------------------------------------------------------------------------------- arguments
    def input_args(self, parameters, context, feedback):
        path, layer = self.parameterAsCompatibleSourceLayerPathAndLayerName(
            parameters, "INPUT", context, ["gpkg"], "gpkg", feedback
        )
        if not path:
            raise QgsProcessingException("The input layer could not be read")
        args = [path, "--id", self.parameterAsString(parameters, "ID_FIELD", context)]
        return args + (["--layer", layer] if layer else [])

    def weights_args(self, parameters, context):
        policy = ISLAND_POLICIES[self.parameterAsEnum(parameters, "ISLAND_POLICY", context)]
        return [
            "--weights", self.parameterAsString(parameters, "WEIGHTS", context).strip() or "queen",
            "--island-policy", policy,
            "--island-k", self.parameterAsInt(parameters, "ISLAND_K", context),
        ]  # fmt: skip

    def inference_args(self, parameters, context, local=True):
        args = [
            "--permutations", self.parameterAsInt(parameters, "PERMUTATIONS", context),
            "--seed", self.parameterAsInt(parameters, "SEED", context),
            "--alternative", ALTERNATIVES[self.parameterAsEnum(parameters, "ALTERNATIVE", context)],
        ]  # fmt: skip
        if local:
            args += [
                "--alpha", self.parameterAsDouble(parameters, "ALPHA", context),
                "--correction", CORRECTIONS[self.parameterAsEnum(parameters, "CORRECTION", context)],
            ]  # fmt: skip
            rule = self.parameterAsEnum(parameters, "SIGNIFICANCE", context)
            if rule:
                args += ["--significance", SIGNIFICANCE[rule]]
        return args

    def destination(self, parameters, context):
        out = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        if not out.lower().endswith(".gpkg"):
            raise QgsProcessingException(f"Save the result as a GeoPackage (.gpkg): {out!r} is not one")
        return out


def _summary_lines(summary):
    """The run's summary, for the log: counts first, then the weights."""
    lines = []
    for key in ("statistic", "n", "permutations", "seed", "alternative", "correction", "alpha", "significance"):
        if key in summary:
            lines.append(f"{key}: {summary[key]}")
    for key in ("clusters", "gi_bin_counts"):
        if key in summary:
            lines.append(f"{key}: " + ", ".join(f"{k} {v}" for k, v in summary[key].items()))
    w = summary.get("weights", {})
    if w:
        lines.append(
            f"weights: {w.get('kind')}, island policy {w.get('island_policy')} (k={w.get('k')}), "
            f"{len(w.get('links_added', []))} links added, {w.get('n_components')} component(s), "
            f"{len(w.get('isolates', w.get('isolates_final', [])))} isolate(s) left"
        )
    return lines


class _LocalAlgorithm(_Algorithm):
    """A local statistic: a layer with the id field, the variable and the statistic's fields, styled."""

    def initAlgorithm(self, config=None):
        self.add_input()
        self.add_variable()
        self.add_weights()
        self.add_inference()
        self.addParameter(
            QgsProcessingParameterVectorDestination("OUTPUT", self.title, QgsProcessing.TypeVectorPolygon)
        )
        self.addOutput(QgsProcessingOutputString("SUMMARY", "Summary (JSON)"))

    def processAlgorithm(self, parameters, context, feedback):
        out = self.destination(parameters, context)
        var = self.parameterAsString(parameters, "FIELD", context)
        args = [*self.command, *self.input_args(parameters, context, feedback), "--var", var,
                *self.weights_args(parameters, context), *self.inference_args(parameters, context),
                "--out", out, "--force", "--style"]  # fmt: skip
        summary = run_cli(args, feedback)
        for line in _summary_lines(summary):
            feedback.pushInfo(line)
        return {"OUTPUT": f"{out}|layername={summary['layer']}", "SUMMARY": json.dumps(summary, ensure_ascii=False)}


class LisaAlgorithm(_LocalAlgorithm):
    command = ("stats", "lisa")
    title = "Local Moran (LISA)"
    help_text = (
        "Local Moran's I with conditional permutation inference (GeoDa's cluster labels and colours): fields "
        "lisa_i, lisa_p, lisa_q, lisa_cluster. Runs 'spatial-poverty stats lisa'; the same seed gives the same "
        "p-values as the command line."
    )


class GiStarAlgorithm(_LocalAlgorithm):
    command = ("stats", "gistar")
    title = "Getis-Ord Gi* hot spots"
    help_text = (
        "Getis-Ord Gi* (ArcGIS's formula, binary weights with the unit itself): fields gi_z, gi_p, gi_bin "
        "(hot/cold spot at 90/95/99 %), gi_q, significant. Runs 'spatial-poverty stats gistar'."
    )


class LocalGearyAlgorithm(_LocalAlgorithm):
    command = ("stats", "local-geary")
    title = "Local Geary"
    help_text = (
        "Local Geary c (Anselin 2019) with permutation inference: fields geary_c, geary_p, geary_q, geary_cluster "
        "(GeoDa's labels). Runs 'spatial-poverty stats local-geary'."
    )


class GlobalMoranAlgorithm(_Algorithm):
    command = ("stats", "moran")
    title = "Global Moran's I"
    help_text = (
        "Global Moran's I with its normal, randomisation and permutation p-values. Runs 'spatial-poverty stats "
        "moran'; the values are in the log and in the outputs I, P_SIM and SUMMARY."
    )

    def initAlgorithm(self, config=None):
        self.add_input()
        self.add_variable()
        self.add_weights()
        self.add_inference(local=False)
        self.addOutput(QgsProcessingOutputNumber("I", "Moran's I"))
        self.addOutput(QgsProcessingOutputNumber("P_SIM", "Pseudo p-value"))
        self.addOutput(QgsProcessingOutputString("SUMMARY", "Summary (JSON)"))

    def processAlgorithm(self, parameters, context, feedback):
        var = self.parameterAsString(parameters, "FIELD", context)
        policy = ISLAND_POLICIES[self.parameterAsEnum(parameters, "ISLAND_POLICY", context)]
        if policy == "keep":
            raise QgsProcessingException("A global statistic needs every unit to have a neighbour: use policy knn")
        args = [
            *self.command,
            *self.input_args(parameters, context, feedback),
            "--var",
            var,
            *self.weights_args(parameters, context),
            *self.inference_args(parameters, context, local=False),
        ]
        summary = run_cli(args, feedback)
        feedback.pushInfo(
            f"Moran's I of {var}: {summary.get('I')} (E[I] {summary.get('EI')}), pseudo p {summary.get('p_sim')}, "
            f"z (randomisation) {summary.get('z_rand')}"
        )
        for line in _summary_lines(summary)[-1:]:
            feedback.pushInfo(line)
        return {"I": summary.get("I"), "P_SIM": summary.get("p_sim"), "SUMMARY": json.dumps(summary)}


class WeightsAlgorithm(_Algorithm):
    command = ("stats", "weights")
    title = "Archipelago weights report"
    group_name = "Weights"
    help_text = (
        "Builds the spatial weights with the island policy (each island linked to its k nearest units) and reports "
        "isolates, links added and connected components; the links are drawn as lines, 'origin' saying which ones "
        "the island policy added. Runs 'spatial-poverty stats weights'."
    )

    def initAlgorithm(self, config=None):
        self.add_input()
        self.add_weights()
        self.addParameter(
            QgsProcessingParameterVectorDestination("OUTPUT", "Weights links", QgsProcessing.TypeVectorLine)
        )
        self.addOutput(QgsProcessingOutputNumber("COMPONENTS", "Connected components"))
        self.addOutput(QgsProcessingOutputString("SUMMARY", "Summary (JSON)"))

    def processAlgorithm(self, parameters, context, feedback):
        out = self.destination(parameters, context)
        args = [*self.command, *self.input_args(parameters, context, feedback), *self.weights_args(parameters, context),
                "--out", out, "--force"]  # fmt: skip
        summary = run_cli(args, feedback)
        w = summary["weights"]
        feedback.pushInfo(
            f"{w['n']} units; {len(w.get('isolates_contiguity', []))} without a neighbour before the island policy; "
            f"{len(w.get('links_added', []))} links added; {w['n_components']} component(s) "
            f"of sizes {w.get('component_sizes')}"
        )
        return {
            "OUTPUT": f"{out}|layername=weights_links",
            "COMPONENTS": w["n_components"],
            "SUMMARY": json.dumps(summary, ensure_ascii=False),
        }


class FayHerriotAlgorithm(_Algorithm):
    command = ("sae", "fh")
    title = "Small-area estimation (Fay-Herriot)"
    group_name = "Small-area estimation"
    help_text = (
        "Fay-Herriot EBLUPs of an area-level direct estimate (for example a survey's AROPE rate per municipality) "
        "with covariates known for every area: estimate (eblup), MSE (analytic, Prasad-Rao, or parametric "
        "bootstrap), CV, 95 % interval and quality class (publish / flag / suppress; a suppressed area carries no "
        "number). Areas with an empty direct estimate get the synthetic estimate. Optional: arcsine transform with "
        "the effective sample size, spatial (SAR) area effects on the project's island weights, benchmarking to "
        "a regional figure. Runs 'spatial-poverty sae fh'."
    )

    METHODS = ("reml", "ml", "adjusted")
    TRANSFORMS = ("none", "arcsin")
    MSES = ("analytic", "bootstrap")
    QUALITY = ("eu", "statcan")

    def initAlgorithm(self, config=None):
        self.add_input()
        self.addParameter(numeric_field("DIRECT", "Direct estimate (empty: out of sample)"))
        self.addParameter(numeric_field("VARIANCE", "Sampling variance", optional=True))
        self.addParameter(numeric_field("SAMPLE_SIZE", "Effective sample size (arcsine)", optional=True))
        self.addParameter(numeric_field("COVARIATES", "Covariates", multiple=True, optional=True))
        self.addParameter(QgsProcessingParameterEnum("METHOD", "Fit", list(self.METHODS), defaultValue=0))
        self.addParameter(QgsProcessingParameterEnum("TRANSFORM", "Transform", list(self.TRANSFORMS), defaultValue=0))
        self.addParameter(QgsProcessingParameterEnum("MSE", "MSE", list(self.MSES), defaultValue=0))
        self.addParameter(
            QgsProcessingParameterNumber(
                "BOOTSTRAP", "Bootstrap replicates", QgsProcessingParameterNumber.Integer, 1000, False, 10
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "SEED", "Seed of the bootstrap", QgsProcessingParameterNumber.Integer, 12345, False, 0
            )
        )
        self.addParameter(QgsProcessingParameterBoolean("SPATIAL", "Spatial (SAR) area effects", False))
        self.addParameter(QgsProcessingParameterEnum("QUALITY", "CV thresholds", list(self.QUALITY), defaultValue=0))
        self.addParameter(
            QgsProcessingParameterNumber(
                "BENCHMARK", "Benchmark to this regional figure", QgsProcessingParameterNumber.Double, None, True
            )
        )
        self.addParameter(numeric_field("BENCHMARK_WEIGHTS", "Population (weights of the benchmark)", optional=True))
        self.addParameter(
            QgsProcessingParameterVectorDestination("OUTPUT", self.title, QgsProcessing.TypeVectorPolygon)
        )
        self.addOutput(QgsProcessingOutputNumber("SIGMA2_U", "Area variance (sigma2_u)"))
        self.addOutput(QgsProcessingOutputString("SUMMARY", "Summary (JSON)"))

    def processAlgorithm(self, parameters, context, feedback):
        out = self.destination(parameters, context)
        args = [*self.command, *self.input_args(parameters, context, feedback),
                "--direct", self.parameterAsString(parameters, "DIRECT", context),
                "--method", self.METHODS[self.parameterAsEnum(parameters, "METHOD", context)],
                "--transform", self.TRANSFORMS[self.parameterAsEnum(parameters, "TRANSFORM", context)],
                "--mse", self.MSES[self.parameterAsEnum(parameters, "MSE", context)],
                "--bootstrap", self.parameterAsInt(parameters, "BOOTSTRAP", context),
                "--seed", self.parameterAsInt(parameters, "SEED", context),
                "--quality", self.QUALITY[self.parameterAsEnum(parameters, "QUALITY", context)]]  # fmt: skip
        covariates = self.parameterAsFields(parameters, "COVARIATES", context)
        if covariates:
            args += ["--covariates", ",".join(covariates)]
        for name, option in (("VARIANCE", "--variance"), ("SAMPLE_SIZE", "--sample-size"),
                             ("BENCHMARK_WEIGHTS", "--benchmark-weights")):  # fmt: skip
            value = self.parameterAsString(parameters, name, context)
            if value:
                args += [option, value]
        if parameters.get("BENCHMARK") not in (None, ""):
            args += ["--benchmark", self.parameterAsDouble(parameters, "BENCHMARK", context)]
        if self.parameterAsBool(parameters, "SPATIAL", context):
            args.append("--spatial")
        args += ["--out", out, "--force", "--style"]
        summary = run_cli(args, feedback, summary_file=out[: -len(".gpkg")] + ".json")
        feedback.pushInfo(
            f"{summary.get('method')}: sigma2_u {summary.get('sigma2_u')}, beta {summary.get('beta')}, "
            f"converged {summary.get('converged')}"
        )
        return {
            "OUTPUT": f"{out}|layername=sae_fh",
            "SIGMA2_U": summary.get("sigma2_u"),
            "SUMMARY": json.dumps(summary, ensure_ascii=False),
        }


class IndexAlgorithm(_Algorithm):
    command = ("index", "build")
    algorithm_id = "index"
    title = "Deprivation index with rank uncertainty"
    group_name = "Deprivation index"
    help_text = (
        "A composite deprivation index (normalised indicators, weighted and aggregated) with the rank uncertainty "
        "of the toolkit's index stage: Monte Carlo over the weights, the normalisation and the aggregation gives "
        "each unit its rank_p05 / p50 / p95 and its probability of being in the worst decile; a unit whose band is "
        "wide, or whose data were imputed, is flagged unreliable (hatched). Indicators: fields where a higher value "
        "is more deprived (unemployment), and fields where it is less deprived (income). An index YAML (a "
        "pipeline's index: section, recipes such as 'recipe: imd' too) replaces both. Runs 'spatial-poverty index "
        "build'."
    )
    NORMALISATIONS = ("zscore", "minmax", "rank", "percentile_rank")

    def initAlgorithm(self, config=None):
        self.add_input()
        self.addParameter(
            numeric_field("INDICATORS", "Indicators: higher = more deprived", multiple=True, optional=True)
        )
        self.addParameter(numeric_field("REVERSED", "Indicators: higher = less deprived", multiple=True, optional=True))
        self.addParameter(
            QgsProcessingParameterFile("SPEC", "Index YAML (replaces the indicators)", extension="yaml", optional=True)
        )
        self.addParameter(
            QgsProcessingParameterEnum("NORMALISATION", "Normalisation", list(self.NORMALISATIONS), defaultValue=0)
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "RUNS",
                "Monte Carlo runs (empty: the YAML's, else 500)",
                QgsProcessingParameterNumber.Integer,
                None,
                True,
                0,
                100000,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                "SEED", "Seed (same seed, same bands)", QgsProcessingParameterNumber.Integer, 12345, False, 0
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorDestination("OUTPUT", self.title, QgsProcessing.TypeVectorPolygon)
        )
        self.addOutput(QgsProcessingOutputString("SUMMARY", "Summary (JSON)"))

    def processAlgorithm(self, parameters, context, feedback):
        out = self.destination(parameters, context)
        args = [*self.command, *self.input_args(parameters, context, feedback),
                "--seed", self.parameterAsInt(parameters, "SEED", context)]  # fmt: skip
        if parameters.get("RUNS") not in (None, ""):
            args += ["--runs", self.parameterAsInt(parameters, "RUNS", context)]
        spec = self.parameterAsFile(parameters, "SPEC", context)
        if spec:
            args += ["--spec", spec]
        else:
            fields = [*self.parameterAsFields(parameters, "INDICATORS", context),
                      *(f"-{f}" for f in self.parameterAsFields(parameters, "REVERSED", context))]  # fmt: skip
            if not fields:
                raise QgsProcessingException("Choose at least one indicator, or an index YAML")
            args += [f"--indicator={f}" for f in fields]
            args += ["--normalisation", self.NORMALISATIONS[self.parameterAsEnum(parameters, "NORMALISATION", context)]]
        args += ["--out", out, "--force", "--style"]
        summary = run_cli(args, feedback)
        unc = summary.get("uncertainty", {})
        feedback.pushInfo(
            f"{summary['n']} units; most deprived {', '.join(summary['most_deprived'])}; {summary['unreliable']} "
            f"unreliable; mean 90% rank band {unc.get('mean_band_width')} ranks over {unc.get('runs')} runs"
        )
        return {"OUTPUT": f"{out}|layername={summary['layer']}", "SUMMARY": json.dumps(summary, ensure_ascii=False)}


ALGORITHMS = [
    GlobalMoranAlgorithm,
    LisaAlgorithm,
    GiStarAlgorithm,
    LocalGearyAlgorithm,
    WeightsAlgorithm,
    FayHerriotAlgorithm,
    IndexAlgorithm,
]
