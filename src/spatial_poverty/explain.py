"""Plain-language explanations of the measures a run shows, in Greek and English.

One paragraph per statistic, index and access measure: what it is, how to read it, and what it cannot say. The
report prints the paragraph of its language under each section, and the interactive map shows it in the info box
of each layer; both read :data:`EXPLAIN`, so the two never disagree.
"""

from __future__ import annotations

__all__ = ["EXPLAIN", "explain"]

#: key -> {"el": paragraph, "en": paragraph}
EXPLAIN: dict[str, dict[str, str]] = {
    "moran": {
        "el": "Ο ολικός δείκτης I του Moran μετρά αν οι γειτονικοί δήμοι έχουν παρόμοιες τιμές. Θετικό I σημαίνει ότι "
        "οι υψηλές τιμές συγκεντρώνονται κοντά σε υψηλές και οι χαμηλές κοντά σε χαμηλές· κοντά στο E[I] (σχεδόν "
        "μηδέν) σημαίνει τυχαία χωρική διάταξη. Η ψευδο-p προκύπτει από τυχαίες αναδιατάξεις των τιμών. Ένας "
        "αριθμός για όλη την περιοχή: δεν λέει πού βρίσκονται οι συγκεντρώσεις ούτε γιατί υπάρχουν.",
        "en": "Global Moran's I measures whether neighbouring municipalities have similar values. A positive I means "
        "high values sit near high values and low near low; a value near E[I] (close to zero) means no spatial "
        "pattern. The pseudo p-value comes from random reshuffles of the values. It is one number for the whole "
        "area: it does not say where the clusters are, nor why they exist.",
    },
    "lisa": {
        "el": "Οι τοπικές συστάδες LISA (τοπικός δείκτης Moran) συγκρίνουν κάθε δήμο με τον μέσο όρο των γειτόνων "
        "του. «Υψηλό-Υψηλό»: υψηλή τιμή ανάμεσα σε υψηλές· «Χαμηλό-Χαμηλό»: χαμηλή ανάμεσα σε χαμηλές· "
        "«Υψηλό-Χαμηλό» και «Χαμηλό-Υψηλό»: δήμος που ξεχωρίζει από τους γείτονές του. Μόνο οι δήμοι που περνούν "
        "τον έλεγχο σημαντικότητας της εκτέλεσης χρωματίζονται. Μια συστάδα δείχνει πού, όχι γιατί: δεν είναι "
        "αιτία, και εξαρτάται από τον ορισμό των γειτόνων (ιδίως στα νησιά).",
        "en": "LISA clusters (local Moran) compare each municipality with the mean of its neighbours. High-High: a "
        "high value among high values; Low-Low: low among low; High-Low and Low-High: a municipality that stands "
        "out from its neighbours. Only municipalities that pass the run's significance rule are coloured. A "
        "cluster shows where, not why: it is not a cause, and it depends on how neighbours are defined (islands "
        "above all).",
    },
    "gistar": {
        "el": "Τα θερμά και ψυχρά σημεία Getis-Ord Gi* συγκρίνουν το άθροισμα μιας περιοχής (ο δήμος και οι γείτονές "
        "του) με το σύνολο. Θερμό σημείο: η περιοχή έχει μαζί ασυνήθιστα υψηλές τιμές· ψυχρό: ασυνήθιστα χαμηλές· "
        "οι κλάσεις 90/95/99 % δίνουν τη βεβαιότητα. Δεν λέει ότι ο ίδιος ο δήμος είναι ακραίος, ούτε την αιτία.",
        "en": "Getis-Ord Gi* hot and cold spots compare the sum over an area (a municipality and its neighbours) with "
        "the whole. Hot spot: the area together has unusually high values; cold: unusually low; the 90/95/99 % "
        "classes give the confidence. It does not say that the municipality itself is extreme, nor the cause.",
    },
    "bilisa": {
        "el": "Οι δισδιάστατες συστάδες συγκρίνουν την τιμή μιας μεταβλητής σε κάθε δήμο με τη μέση τιμή μιας "
        "δεύτερης μεταβλητής στους γείτονές του (π.χ. αποστέρηση απέναντι στην πρόσβαση των γειτόνων). Δείχνουν "
        "συνύπαρξη στον χώρο, όχι σχέση αιτίας.",
        "en": "Bivariate clusters compare one variable in each municipality with the mean of a second variable in its "
        "neighbours (for example deprivation against the neighbours' access). They show co-location in space, not "
        "cause and effect.",
    },
    "deprivation_index": {
        "el": "Ο σύνθετος δείκτης αποστέρησης συνδυάζει τυποποιημένους δείκτες (εισόδημα, απασχόληση, παραγωγική "
        "δομή, πυκνότητα) με τα βάρη της συνταγής. Υψηλότερη τιμή = πιο αποστερημένος δήμος, σε σχέση με τους "
        "άλλους δήμους της ίδιας εκτέλεσης. Η κατάταξη έχει αβεβαιότητα (ζώνη 5%–95%) και ο δείκτης είναι τόσο "
        "επίκαιρος όσο τα δεδομένα του: δείτε τα έτη των εισόδων. Δεν είναι ποσοστό φτώχειας.",
        "en": "The composite deprivation index combines standardised indicators (income, employment, economic "
        "structure, density) with the recipe's weights. Higher = more deprived, relative to the other "
        "municipalities of the same run. The ranking is uncertain (the 5%-95% band) and the index is only as recent "
        "as its data: see the years of its inputs. It is not a poverty rate.",
    },
    "rank_band": {
        "el": "Η ζώνη κατάταξης 5%–95% δείχνει πού βρέθηκε ο δήμος στις προσομοιώσεις Monte Carlo του δείκτη "
        "(άλλα βάρη, άλλη τυποποίηση, άλλη συνάθροιση). Δήμοι με επικαλυπτόμενες ζώνες δεν διακρίνονται με "
        "ασφάλεια μεταξύ τους.",
        "en": "The 5%-95% rank band shows where the municipality fell across the index's Monte Carlo runs (other "
        "weights, normalisations and aggregations). Municipalities whose bands overlap cannot be told apart with "
        "confidence.",
    },
    "e2sfca": {
        "el": "Ο δείκτης E2SFCA (enhanced two-step floating catchment area) μετρά τις υπηρεσίες ανά κάτοικο που "
        "βρίσκονται σε απόσταση διαδρομής έως το όριο λεπτών, με μικρότερο βάρος στις πιο μακρινές και λαμβάνοντας "
        "υπόψη πόσοι άλλοι μοιράζονται κάθε υπηρεσία. Υψηλότερο = καλύτερη πρόσβαση. Μετρά προσφορά στον χώρο, όχι "
        "ποιότητα ή διαθεσιμότητα της υπηρεσίας, και είναι τόσο πλήρης όσο το μητρώο υπηρεσιών.",
        "en": "E2SFCA (enhanced two-step floating catchment area) measures services per resident within the "
        "travel-time limit, weighting farther services less and accounting for how many others share each service. "
        "Higher = "
        "better access. It measures supply in space, not the quality or opening hours of a service, and is only as "
        "complete as the service register.",
    },
    "nearest_min_mean": {
        "el": "Ο μέσος χρόνος έως την πλησιέστερη υπηρεσία (λεπτά), σταθμισμένος με τον πληθυσμό των οικισμών του "
        "δήμου· με πλοίο όπου χρειάζεται, με υπόθεση αναμονής για το δρομολόγιο. Υψηλότερο = χειρότερη πρόσβαση. "
        "Είναι εκτίμηση μοντέλου (ταχύτητες, συχνότητα πλοίων), όχι μετρημένος χρόνος.",
        "en": "The mean time to the nearest service (minutes), weighted by the population of the municipality's "
        "settlements; by ferry where needed, with an assumed wait for the sailing. Higher = worse access. It is a "
        "model estimate (speeds, ferry frequency), not a measured time.",
    },
    "needs_ferry_share": {
        "el": "Το μερίδιο του πληθυσμού του δήμου που χρειάζεται πλοίο για να φτάσει στην πλησιέστερη υπηρεσία. "
        "Δείχνει εξάρτηση από τη θάλασσα, όχι πόσο συχνά ταξιδεύουν οι κάτοικοι.",
        "en": "The share of the municipality's population that needs a ferry to reach its nearest service. It shows "
        "dependence on the sea, not how often residents travel.",
    },
    "share_within": {
        "el": "Το μερίδιο του πληθυσμού που φτάνει σε υπηρεσία μέσα στο όριο λεπτών. Υψηλότερο = καλύτερη πρόσβαση.",
        "en": "The share of the population that reaches a service within the time limit. Higher = better access.",
    },
    "gini": {
        "el": "Ο συντελεστής Gini (0 έως 1) μετρά πόσο άνισα κατανέμεται ο χρόνος πρόσβασης ή ο δείκτης E2SFCA "
        "στους κατοίκους: 0 = όλοι ίδια, κοντά στο 1 = λίγοι συγκεντρώνουν όλο το βάρος. Δεν λέει ποιοι είναι οι "
        "αδικημένοι· ο πίνακας ανά δήμο το δείχνει.",
        "en": "The Gini coefficient (0 to 1) measures how unequally the access time or E2SFCA is spread across "
        "residents: 0 = all the same, near 1 = a few carry all of it. It does not say who is worse off; the table "
        "by municipality does.",
    },
    "access_class": {
        "el": "Η κλάση «αποστέρηση-πρόσβαση» συνδυάζει το τριτημόριο του δείκτη αποστέρησης (3 = πιο αποστερημένο) "
        "με το τριτημόριο του E2SFCA (1 = χειρότερη πρόσβαση). «Έρημος υπηρεσιών» είναι η κλάση 3-1: υψηλή "
        "αποστέρηση και χαμηλή πρόσβαση. Επισημαίνει προτεραιότητες για έλεγχο επί τόπου, όχι ανάγκη που μετρήθηκε.",
        "en": "The deprivation-access class pairs the tercile of the deprivation index (3 = most deprived) with the "
        "tercile of E2SFCA (1 = worst access). A service desert is class 3-1: high deprivation and low access. It "
        "flags priorities for checking on the ground, not a measured need.",
    },
    "choropleth": {
        "el": "Χρωματισμός σε πέντε κλάσεις ίσου πλήθους δήμων (ποσοστημόρια). Τα χρώματα συγκρίνουν δήμους της ίδιας "
        "εκτέλεσης· μικροί πληθυσμοί δίνουν ασταθή ποσοστά.",
        "en": "Five classes with equal numbers of municipalities (quantiles). The colours compare municipalities of "
        "the same run; small populations give unstable rates.",
    },
}


def explain(key: str, lang: str = "el") -> str:
    """The paragraph of ``key`` in ``lang`` (``share_within_30min`` reads ``share_within``); "" if none."""
    if key.startswith("share_within_"):
        key = "share_within"
    if key.startswith("deprivation_index"):
        key = "deprivation_index"
    entry = EXPLAIN.get(key)
    return entry.get("el" if lang == "el" else "en", "") if entry else ""
