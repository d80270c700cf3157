"""Finding HCPCS Level II codes for a biller's words: supplies, equipment, drugs by dose.

On top of the flat hybrid search, a biller's checks: brand names read as their generic drug
and lay supply words as the descriptor's wording; the dose against the descriptor's billing
unit (with the units to bill); the route; not-otherwise-classified codes only when nothing
specific fits; modifiers only when the question asks for one, else named beside the item.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from assistant.codesets.hcpcs import dose
from assistant.codesets.hcpcs.modifiers import modifiers_named
from assistant.codesets.hcpcs.words import read_item
from assistant.core.codeset import CodeHit
from assistant.search.flat import FlatCodeSearch
from assistant.search.rerank import Weights
from assistant.sources.packaged import knowledge_file
from assistant.text.bridges import Bridge, expand, load_terms

if TYPE_CHECKING:
    from assistant.codesets.hcpcs.codeset import Hcpcs
    from assistant.search.backends import SearchBackends

# Dose agreement: the fit score (0 mismatch .. 1 exact, 0.5 when nothing can be judged) is
# centred on 0.5 and weighted so an exact billing unit outweighs a small cosine difference
# between two strengths of one drug; tuned on knowledge/eval/hcpcs_dev.jsonl.
DOSE_WEIGHT = 0.3
ROUTE_WEIGHT = 0.1  # a stated route the descriptor contradicts ("oral" for an injection)
NOC_PENALTY = 0.1  # "not otherwise classified" only when no specific code fits (CMS NOC list)
MODIFIER_PENALTY = 0.5  # a modifier is never the answer to a question about an item
# S codes are temporary national codes for private payers, which Medicare does not accept (CMS,
# HCPCS Level II code sets): where a national code fits as well, it goes first.
S_CODE_PENALTY = 0.1
_ASKS_PRIVATE = re.compile(r"\b(?:private|commercial|bcbs|blue cross|non-?medicare)\b", re.I)
# A drug code for another drug is wrong whatever its dose and route: when the question names a
# drug (a word of some drug code's name), a drug code whose name shares none of those words
# loses this much (how the value was chosen: assistant/search/ranking.py).
DRUG_NAME_PENALTY = 0.2
# A descriptor that names one product or labeler in parentheses ("triamcinolone acetonide
# (xipere)", "pemetrexed (accord)") is for that product only; when the question names none of
# them, the drug's unnamed code fits it better (how chosen: assistant/search/ranking.py).
PRODUCT_PENALTY = 0.03
# "Compounded product" and "FDA-approved final product, non-compounded" split inhalation drugs
# (J7604-J7699): a question that does not say compounded is about the approved product, and
# one that says compounded is not about it (how chosen: assistant/search/ranking.py).
COMPOUNDED_PENALTY = 0.1
_COMPOUNDED = re.compile(r"(?<!non-)(?<!non )\bcompounded\b", re.I)
_NON_COMPOUNDED = re.compile(r"\bnon[- ]?compounded\b|\bfda[- ]approved\b", re.I)
# A parenthesis that names a product or labeler: one to three words, no digits, not a note.
_NAMING = re.compile(r"\(([a-z][a-z -]*)\)")
_NOT_NAMING = re.compile(r"^(?:e\.g|i\.e|for|not|code|see|use|includes?|list)\b")
# Salt, form and class words that many drug names share ("ceftriaxone sodium", "cefoperazone
# sodium"): the drug's name is the other words (USP salt and dosage-form nomenclature).
NOT_A_NAME = frozenset(
    [
        "sodium",
        "disodium",
        "potassium",
        "calcium",
        "magnesium",
        "hydrochloride",
        "hcl",
        "dihydrochloride",
        "sulfate",
        "acetate",
        "acetonide",
        "chloride",
        "bromide",
        "phosphate",
        "citrate",
        "mesylate",
        "maleate",
        "tartrate",
        "succinate",
        "fumarate",
        "besylate",
        "lactate",
        "gluconate",
        "tromethamine",
        "and",
        "for",
        "with",
        "per",
        "oral",
        "injection",
        "solution",
        "suspension",
        "infusion",
        "inhalation",
        "human",
        "recombinant",
        "factor",
        "immune",
        "globulin",
        "alfa",
        "beta",
        "not",
        "otherwise",
        "specified",
        "unit",
        "units",
        "dose",
        "product",
        "compounded",
        "non-compounded",
        "concentrate",
        "liposomal",
        "extended",
        "release",
    ]
)
_ASKS_MODIFIER = re.compile(r"\bmodifiers?\b|\bmod\b", re.I)


@lru_cache(maxsize=1024)
def _named_modifiers(text: str) -> frozenset[str]:
    """Modifiers whose meaning the question says in words ("no ABN on file": GZ): those are
    answers it may be asking for, not items' look-alikes."""
    return frozenset(h.modifier for h in modifiers_named(text))


_ASKS_UNLISTED = re.compile(r"\bnot otherwise|\bnoc\b|\bunlisted\b|\bunclassified\b", re.I)


class HcpcsSearch(FlatCodeSearch):
    """The search behind ``Hcpcs.searcher``."""

    codeset: Hcpcs

    def __init__(self, codeset: Hcpcs, backends: SearchBackends) -> None:
        super().__init__(codeset, backends, codeset.version_key)

    @cached_property
    def brands(self) -> list[Bridge]:
        return load_terms(knowledge_file("hcpcs", "brands.toml"))

    def search_codes(self, query: str, k: int | None = None) -> list[CodeHit]:
        k = k or self.k
        modifiers = self.codeset.data.modifiers
        named = [h for h in modifiers_named(query) if h.modifier in modifiers]
        asks = bool(_ASKS_MODIFIER.search(query))
        hits = super().search_codes(query, k)
        if asks and named:  # "which modifier for the right side?": the modifier itself
            first = [
                self.hit(
                    h.modifier,
                    modifiers[h.modifier].long,
                    1.0,
                    ["modifier-words"],
                    h.said,
                    1.0,
                    query,
                )
                for h in named
            ]
            return (first + [h for h in hits if h.code not in {f.code for f in first}])[:k]
        if named and hits and hits[0].billable:  # an item on one side: the modifier goes with it
            hits[0].detail["modifiers"] = [h.modifier for h in named]
        return hits

    @cached_property
    def drug_words(self) -> dict[str, frozenset[str]]:
        """Drug code (one billed by an amount) -> the words of its descriptor."""
        return {
            code: _name_words(entry.long)
            for code, entry in self.codeset.data.codes.items()
            if dose.billing_units(entry.long)
        }

    @cached_property
    def drug_names(self) -> frozenset[str]:
        """Words that name a drug: each drug descriptor's first part that is not the route
        ("Injection, ceftriaxone sodium, per 250 mg" -> ceftriaxone), less salt and form words."""
        names: set[str] = set()
        for code in self.drug_words:
            parts = [p.strip() for p in re.split(r"[,;]", self.codeset.data.codes[code].long)]
            parts = [p for p in parts if p.lower() not in ("injection", "inj", "infusion")]
            if parts:
                names |= _name_words(parts[0])
        return frozenset(names - NOT_A_NAME)

    @cached_property
    def product_names(self) -> dict[str, frozenset[str]]:
        """Drug code -> the product or labeler its descriptor names in parentheses: words that
        the HCPCS descriptors give only inside parentheses ("xipere", "accord"), never as the
        drug, form or salt ("human", "recombinant" occur outside parentheses too)."""
        outside: set[str] = set()
        for entry in self.codeset.data.codes.values():
            outside |= _name_words(_NAMING.sub(" ", entry.long.lower()))
        names = {}
        for code in self.drug_words:
            found: set[str] = set()
            for group in _NAMING.findall(self.codeset.data.codes[code].long.lower()):
                if len(group.split()) <= 3 and not _NOT_NAMING.match(group):
                    found |= _name_words(group)
            if found := found - outside - NOT_A_NAME:
                names[code] = frozenset(found)
        return names

    def reading(self, words: str) -> str:
        return expand(read_item(words).text, self.brands)

    def wordings(self, text: str) -> list[str]:
        return [text, dose.read_drug(text).words]

    def weights(self, text: str) -> Weights:
        # A stated dose is judged against the billing unit by DOSE_WEIGHT; the generic number
        # fit would count the same milligrams a second time.
        return Weights(number=0.0) if dose.read_drug(text).doses else Weights()

    def adjust(self, text: str, code: str, title: str) -> float:
        entry = self.codeset.data.get(code)
        if entry is None:
            return 0.0
        drug = dose.read_drug(text)
        score = 0.0
        if drug.doses:
            score += DOSE_WEIGHT * (dose.dose_fit(text, title).score - dose.NO_DOSE)
        if dose.route_agreement(drug.routes, dose.descriptor_routes(title)) == "conflict":
            score -= ROUTE_WEIGHT
        if entry.noc and not _ASKS_UNLISTED.search(text):
            score -= NOC_PENALTY
        if (
            entry.kind == "modifier"
            and not _ASKS_MODIFIER.search(text)
            and code not in _named_modifiers(text)
        ):
            score -= MODIFIER_PENALTY
        if code.startswith("S") and not _ASKS_PRIVATE.search(text):
            score -= S_CODE_PENALTY
        named = _name_words(drug.words) & self.drug_names
        if named and code in self.drug_words and not named & self.drug_words[code]:
            score -= DRUG_NAME_PENALTY
        if (products := self.product_names.get(code)) and not products & _name_words(text):
            score -= PRODUCT_PENALTY
        if (
            _COMPOUNDED.search(title)
            and not _COMPOUNDED.search(text)
            or _NON_COMPOUNDED.search(title)
            and _COMPOUNDED.search(text)
        ):
            score -= COMPOUNDED_PENALTY
        return score

    def detail(self, text: str, code: str) -> dict[str, Any]:
        entry = self.codeset.data.get(code)
        if entry is None:
            return {}
        out: dict[str, Any] = {"short_description": entry.short, "kind": entry.kind}
        if dose.query_doses(text):
            fit = dose.dose_fit(text, entry.long)
            if fit.fits and fit.units:
                out["units"] = fit.units
                out["advice"] = fit.advice(entry.code)
        return out


def _name_words(text: str) -> frozenset[str]:
    """The words of a drug name, hyphenated names also by their stem ("pegfilgrastim-jmdb")."""
    found = set()
    for word in re.findall(r"[a-z][a-z-]{2,}", text.lower()):
        found.add(word)
        found.add(word.split("-")[0])
    return frozenset(found)
