"""Drug doses and routes as people say them, and how a dose fits a HCPCS descriptor's billing unit.

"ceftriaxone 500 mg IM" against J0696 "Injection, ceftriaxone sodium, per 250 mg" fits: bill 2
units. The rule is CMS's (Medicare Claims Processing Manual, Pub. 100-04, ch. 17 §10): drugs are
billed in multiples of the dosage in the HCPCS long descriptor, a dose between multiples rounds up
to the next unit, and a dose below the descriptor's amount bills one unit; units follow the dose
given, not how the drug is packaged. Finding the drug by name is left to the search.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

Dimension = Literal["mass", "activity", "volume", "meq", "radioactivity", "package", "count"]
Basis = Literal["per", "up_to", "strength"]
Agreement = Literal["agree", "conflict", "silent"]

# Unit spellings -> (dimension, size in the dimension's base unit: mg, units, ml, mEq, mCi, each).
_UNITS: dict[str, tuple[Dimension, float]] = {
    **dict.fromkeys(["g", "gm", "gms", "gram", "grams"], ("mass", 1000.0)),
    **dict.fromkeys(["mg", "mgs", "milligram", "milligrams"], ("mass", 1.0)),
    **dict.fromkeys(["mcg", "ug", "µg", "microgram", "micrograms"], ("mass", 0.001)),
    # HCPCS writes units, IU and USP units alike; all count the same activity units.
    **dict.fromkeys(
        ["unit", "units", "u", "iu", "ius", "i.u.", "usp unit", "usp units", "international units"],
        ("activity", 1.0),
    ),
    **dict.fromkeys(["ml", "mls", "cc", "ccs", "milliliter", "milliliters"], ("volume", 1.0)),
    **dict.fromkeys(["l", "liter", "liters", "litre", "litres"], ("volume", 1000.0)),
    **dict.fromkeys(["meq", "milliequivalent", "milliequivalents"], ("meq", 1.0)),
    **dict.fromkeys(["mci", "millicurie", "millicuries"], ("radioactivity", 1.0)),
    **dict.fromkeys(["uci", "µci", "microcurie", "microcuries"], ("radioactivity", 0.001)),
    **dict.fromkeys(["vial", "vials", "ampule", "ampules", "ampul", "amp"], ("package", 1.0)),
    **dict.fromkeys(["strip", "strips", "lancet", "lancets"], ("count", 1.0)),
}
_BASE_NAMES: dict[Dimension, str] = {
    "mass": "mg",
    "activity": "units",
    "volume": "ml",
    "meq": "mEq",
    "radioactivity": "mCi",
    "package": "vial",
    "count": "each",
}
_UNIT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
# "up to X" and the ways HCPCS descriptors say the same cap ("less than or equal to 6 mg").
_CAP = r"\bup\s+to\b|\bless\s+than\s+or\s+equal\s+to\b|\bnot\s+to\s+exceed\b"
# Amounts that are not the billing unit: a range's floor ("greater than 3 mg"), the package
# ("provided in 1.1 mg vial") or what one unit equals ("500 ml = 1 unit").
_NOT_A_UNIT = re.compile(r"(?:\b(?:greater|more)\s+than|\bprovided\s+in|=)\s*$", re.I)
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\.\d+)(?:\s*(?:thousand|million))?"
_AMOUNT = re.compile(
    rf"(?P<basis>\bper\b|{_CAP})?\s*(?P<num>(?<![\w.])(?<!\d,){_NUMBER})?\s*-?\s*"
    rf"(?P<unit>{_UNIT})(?!\w)",
    re.I,
)
_BOX = re.compile(r"\bper\s+(?:box|pack|package|bottle)\s+of\s+(?P<num>\d[\d,]*)(?P<noun>)", re.I)
_COUNT_AFTER = re.compile(
    r"\b(?P<noun>strips|lancets)\s*,?\s*(?:x\s*)?(?P<num>\d[\d,]*)\b(?!\s*(?:mg|mcg|ml|g)\b)", re.I
)
_MULTIPLIERS = {"thousand": 1_000.0, "million": 1_000_000.0}

# How well a dose fits a billing unit, best first. An ordering, not a measurement: exact amounts
# beat multiples (the code whose unit is the dose is the one a coder picks), multiples beat
# rounding up (a sibling code may have a closer unit), and a dose over an "up to" cap is billable
# only by CMS's multiples rule; to be tuned against knowledge/eval/hcpcs_dev.jsonl.
EXACT = 1.0
WITHIN_CAP = 0.95  # "up to X" and the dose is below X: one unit
MULTIPLE = 0.9
ROUNDED_UP = 0.8
BELOW_UNIT = 0.7  # dose smaller than "per X": one unit
OVER_CAP = 0.5
NO_DOSE = 0.5  # nothing to judge: neither for nor against
MISMATCH = 0.0


@dataclass(frozen=True)
class Amount:
    """An amount of drug or supply in its dimension's base unit (mg, units, ml, mEq, mCi, each)."""

    value: float
    dimension: Dimension
    text: str  # as written: "1 g", "1,000 units"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class BillingUnit:
    """What one unit of a HCPCS code is: "per 250 mg", "up to 1 g", "10 mg"."""

    amount: Amount
    basis: Basis
    text: str


@dataclass(frozen=True)
class Fit:
    """How a query's dose fits a descriptor's billing unit, and the units to bill."""

    fits: bool
    score: float
    units: int | None = None
    dose: Amount | None = None
    unit: BillingUnit | None = None
    reason: str = ""

    def advice(self, code: str) -> str:
        """``bill 2 units of J0696 for 500 mg`` (or why no units can be given)."""
        if not self.fits or self.units is None or self.dose is None:
            return f"{code}: {self.reason}"
        plural = "unit" if self.units == 1 else "units"
        return f"bill {self.units} {plural} of {code} for {self.dose.text}"


@dataclass(frozen=True)
class DrugQuery:
    """A drug question read apart: the words naming the drug, the doses and the routes."""

    words: str
    doses: tuple[Amount, ...]
    routes: frozenset[str]


def query_doses(text: str) -> list[Amount]:
    """Doses a query states: "250 mg", "1 g", "1,000 units", "10 mcg", "5 ml", "per vial"."""
    return [amount for amount, _, _ in _amounts(text)]


def billing_units(descriptor: str) -> list[BillingUnit]:
    """The billing units a HCPCS descriptor states: "per 250 mg", "up to 1 g", "10 mg", "per ml".

    Concentrations ("10.16 mg/ml") describe the product, not the unit, and are left out when the
    descriptor states anything else.
    """
    # With nothing else stated, "torsemide, 10 mg/ml" bills per 10 mg.
    found = _amounts(descriptor) or _amounts(descriptor, concentrations=True)
    return [BillingUnit(a, basis, descriptor[i:j].strip(" ,;()")) for a, basis, (i, j) in found]


def fit_amount(dose: Amount, unit: BillingUnit) -> Fit:
    """How one dose fits one billing unit (CMS Pub. 100-04 ch. 17 §10, see the module docstring)."""
    if dose.dimension != unit.amount.dimension:
        return Fit(False, MISMATCH, None, dose, unit, _mismatch(dose, unit))
    size = unit.amount.value
    ratio = dose.value / size
    close = math.isclose(ratio, round(ratio), rel_tol=1e-9)
    units = max(1, round(ratio) if close else math.ceil(ratio))
    if unit.basis == "up_to":
        if ratio <= 1 or units == 1:
            score = EXACT if close and units == 1 else WITHIN_CAP
            return Fit(True, score, 1, dose, unit, f"{dose} is within '{unit.text}': 1 unit")
        return Fit(
            True,
            OVER_CAP,
            units,
            dose,
            unit,
            f"{dose} is over '{unit.text}'; billed in multiples of it: {units} units",
        )
    if close and units == 1:
        return Fit(True, EXACT, 1, dose, unit, f"{dose} is one unit of '{unit.text}'")
    if close:
        return Fit(True, MULTIPLE, units, dose, unit, f"{dose} = {units} × '{unit.text}'")
    if ratio < 1:
        return Fit(True, BELOW_UNIT, 1, dose, unit, f"{dose} is less than '{unit.text}': 1 unit")
    return Fit(
        True,
        ROUNDED_UP,
        units,
        dose,
        unit,
        f"{dose} is not a multiple of '{unit.text}': rounded up to {units} units",
    )


def dose_fit(query: str, descriptor: str) -> Fit:
    """The best fit of any dose the query states to any billing unit of the descriptor."""
    doses = query_doses(query)
    if not doses:
        return Fit(False, NO_DOSE, reason="the question states no dose")
    units = billing_units(descriptor)
    if not units:
        return Fit(False, NO_DOSE, dose=doses[0], reason="the descriptor states no amount")
    fits = [fit_amount(dose, unit) for dose in doses for unit in units]
    return max(fits, key=lambda fit: (fit.score, -(fit.units or 0)))


# --- routes ----------------------------------------------------------------------------------

# Query spellings -> the route words HCPCS descriptors use. Abbreviations are the standard
# prescription ones (IV, IM, SC/SQ/subq, PO, neb).
_QUERY_ROUTES = {
    "intravenous": r"iv|i\.v\.|ivp|iv\s+push|intravenous(?:ly)?",
    "intramuscular": r"im|i\.m\.|intramuscular(?:ly)?",
    "subcutaneous": r"sc|sq|subq|sub-q|subcut|subcutaneous(?:ly)?",
    "injection": r"inj|injections?|injectable|injected|shots?",
    "infusion": r"infusions?|infused|drip",
    "oral": r"po|p\.o\.|oral(?:ly)?|by\s+mouth|tablets?|tabs?|capsules?|caps|pills?",
    "inhalation": r"inhal(?:ation|ed|er)|nebuli[sz](?:er|ed)|nebs?|breathing\s+treatment",
}
# Descriptor wording -> route; HCPCS also names narrower routes, kept so they can disagree.
_DESCRIPTOR_ROUTES = {
    "intravenous": r"intravenous",
    "intramuscular": r"intramuscular",
    "subcutaneous": r"subcutaneous",
    "injection": r"injection",
    "infusion": r"infusion",
    "oral": r"oral",
    "inhalation": r"inhalation",
    "intravitreal": r"intravitreal",
    "intrathecal": r"intrathecal",
    "intravesical": r"intravesical",
    "intra-articular": r"intra-?articular",
    "intradermal": r"intradermal",
    "intraocular": r"intraocular",
    "topical": r"topical",
    "ophthalmic": r"ophthalmic",
    "nasal": r"nasal|intranasal",
    "implant": r"implants?",
}
_QUERY_ROUTE_RE = {
    r: re.compile(rf"(?<![\w-])(?:{p})(?![\w-])", re.I) for r, p in _QUERY_ROUTES.items()
}
_DESCRIPTOR_ROUTE_RE = {r: re.compile(rf"\b(?:{p})\b", re.I) for r, p in _DESCRIPTOR_ROUTES.items()}
_GENERAL = frozenset({"injection", "infusion"})  # any parenteral route: HCPCS "Injection, X"
_ENTERAL_OR_INHALED = frozenset({"oral", "inhalation", "topical", "ophthalmic", "nasal"})


def query_routes(text: str) -> frozenset[str]:
    """Routes a query names: "IM" -> intramuscular, "by mouth" -> oral, "neb" -> inhalation."""
    return frozenset(r for r, pattern in _QUERY_ROUTE_RE.items() if pattern.search(text))


def descriptor_routes(descriptor: str) -> frozenset[str]:
    """Routes a HCPCS descriptor names ("Injection, ...", "..., for intravenous use", "oral")."""
    return frozenset(r for r, pattern in _DESCRIPTOR_ROUTE_RE.items() if pattern.search(descriptor))


def route_agreement(query: frozenset[str], descriptor: frozenset[str]) -> Agreement:
    """Whether the routes agree: "IM" agrees with "Injection, X" but not with "for intravenous use"
    or "oral"; "silent" when either side names none."""
    if not query or not descriptor:
        return "silent"
    asked, given = _specific(query), _specific(descriptor)
    return "agree" if any(_compatible(a, g) for a in asked for g in given) else "conflict"


def read_drug(text: str) -> DrugQuery:
    """The drug words of a query with its doses and routes taken out: "rocephin 500mg IM" ->
    words "rocephin", dose 500 mg, route intramuscular."""
    spans = [span for _, _, span in _amounts(text)]
    spans += [m.span() for m in _AMOUNT.finditer(text) if m.group("num")]  # concentrations too
    for pattern in _QUERY_ROUTE_RE.values():
        spans += [m.span() for m in pattern.finditer(text)]
    kept, last = [], 0
    for start, end in sorted(spans):
        if start >= last:
            kept.append(text[last:start])
            last = end
    kept.append(text[last:])
    words = " ".join(re.sub(r"[^\w\s-]", " ", "".join(kept)).split())
    return DrugQuery(words, tuple(query_doses(text)), query_routes(text))


def _specific(routes: frozenset[str]) -> frozenset[str]:
    narrow = routes - _GENERAL
    return narrow or routes


def _compatible(asked: str, given: str) -> bool:
    if asked == given:
        return True
    general = {asked, given} & _GENERAL
    # "injection"/"infusion" covers any parenteral route, not oral, inhaled or topical use.
    return bool(general) and not ({asked, given} & _ENTERAL_OR_INHALED)


# --- amounts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Raw:
    amount: Amount
    basis: Basis
    span: tuple[int, int]
    start: int  # where the number (or the unit word) starts
    numbered: bool
    slash_before: bool
    slash_after: bool


def _amounts(
    text: str, concentrations: bool = False
) -> list[tuple[Amount, Basis, tuple[int, int]]]:
    raw: list[_Raw] = []
    for match in _AMOUNT.finditer(text):
        number, basis_word = match.group("num"), (match.group("basis") or "").lower()
        dimension, size = _UNITS[match.group("unit").lower()]
        start = match.start("num") if number else match.start("unit")
        written = " ".join(text[start : match.end("unit")].split())
        if not number:
            written = f"1 {match.group('unit')}"  # "per vial" is one vial
        value = (_number(number) if number else 1.0) * size
        basis: Basis = "per" if basis_word == "per" else "up_to" if basis_word else "strength"
        raw.append(
            _Raw(
                Amount(value, dimension, written),
                basis,
                match.span(),
                start,
                bool(number),
                text[:start].rstrip().endswith("/"),
                text[match.end("unit") :].lstrip().startswith("/"),
            )
        )
    found: list[tuple[Amount, Basis, tuple[int, int]]] = []
    for index, item in enumerate(raw):
        if not item.numbered and item.basis != "per":
            continue  # a unit word alone ("penicillin g", "mg/ml") is not an amount
        if _NOT_A_UNIT.search(text[: item.start]):
            continue
        if item.slash_before and raw[index - 1].slash_after and not _pair(raw[index - 1], item):
            continue
        after = raw[index + 1] if index + 1 < len(raw) else None
        if after and item.slash_after and after.slash_before and not _pair(item, after):
            kept = concentrations and not after.numbered  # "10 mg/ml" read as its 10 mg
            if not kept:
                continue
        found.append((item.amount, item.basis, item.span))
    for pattern in (_BOX, _COUNT_AFTER):
        for match in pattern.finditer(text):
            value = _number(match.group("num"))
            basis = "per" if pattern is _BOX else "strength"
            written = f"{match.group('num')} {match.group('noun') or 'each'}"
            found.append((Amount(value, "count", written), basis, match.span()))
    return sorted(found, key=lambda item: item[2])


def _pair(numerator: _Raw, denominator: _Raw) -> bool:
    """Whether "A/B" states two amounts of one dose ("4 mg/2 ml"), rather than a concentration
    ("10.16 mg/ml") or two ingredients of a combination ("1 g/0.125 g")."""
    return denominator.numbered and numerator.amount.dimension != denominator.amount.dimension


def _number(text: str) -> float:
    parts = text.replace(",", "").split()
    value = float(parts[0])
    return value * _MULTIPLIERS.get(parts[1].lower(), 1.0) if len(parts) > 1 else value


def _mismatch(dose: Amount, unit: BillingUnit) -> str:
    if dose.dimension == "package":
        # CMS Pub. 100-04 ch. 17 §10: units follow the dose given, not the vial it came in.
        return f"'{unit.text}' bills by {_BASE_NAMES[unit.amount.dimension]}, not by {dose.text}: give the dose"
    return f"{dose} cannot be billed in '{unit.text}' ({_BASE_NAMES[dose.dimension]} vs {_BASE_NAMES[unit.amount.dimension]})"
