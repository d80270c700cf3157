"""The ranking constants of a lookup, in one list: where each lives, how its value was chosen,
and the value that turns its rule off.

The constants stay beside the code that reads them (a reader of ``rerank`` sees its weights);
this list is their register. ``medcode eval ablate`` turns each rule off in turn and prints
what it is worth on the tuning set (``assistant.eval.tuning``: the code sets' own text) and on
any other file given; ``tests/search/test_ranking.py`` fails when a ranking module gains a
constant this list does not name, or names one that is gone.

Sets named in ``why``: *tuning* is knowledge/eval/tuning_icd10cm.jsonl (inclusion terms and
Index entries; its ``_holdout`` file is the check), *lay* knowledge/eval/icd10cm_lay_dev, the
*mix* the lay, pcs and hcpcs dev files written for routing, *followups* followups_dev.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Rule:
    """One ranking constant: ``module.attribute``, or ``module.function:field`` for a field of
    a function's default weights object."""

    name: str
    target: str
    off: Any
    why: str

    @property
    def module(self) -> str:
        return self.target.rsplit(".", 1)[0]

    @property
    def attribute(self) -> str:
        return self.target.rsplit(".", 1)[1]

    def value(self) -> Any:
        module = importlib.import_module(self.module)
        name, _, field = self.attribute.partition(":")
        found = getattr(module, name)
        return getattr(_weights(found), field) if field else found

    @contextmanager
    def disabled(self) -> Iterator[None]:
        """The rule off for the duration (one thread: the ablation runs questions in turn)."""
        module = importlib.import_module(self.module)
        name, _, field = self.attribute.partition(":")
        if field:
            function = getattr(module, name)
            before = function.__defaults__
            function.__defaults__ = tuple(
                _replaced(d, field, self.off) if dataclasses.is_dataclass(d) else d for d in before
            )
            try:
                yield
            finally:
                function.__defaults__ = before
            return
        before = getattr(module, name)
        setattr(module, name, self.off)
        try:
            yield
        finally:
            setattr(module, name, before)


def _replaced(weights: Any, field: str, value: Any) -> Any:
    return dataclasses.replace(weights, **{field: value})


def _weights(function: Any) -> Any:

    return next(d for d in function.__defaults__ if dataclasses.is_dataclass(d))


RERANK = "assistant.search.rerank"
ICD = "assistant.codesets.icd10cm.search"
CHOOSE = "assistant.answer.choose"
HCPCS = "assistant.codesets.hcpcs.search"
LOOKUP = "assistant.answer.lookup"
FLAT = "assistant.search.flat"
SECTIONS = "assistant.search.sections"


RULES: tuple[Rule, ...] = (
    Rule(
        "word overlap",
        f"{RERANK}.rescore:overlap",
        0.0,
        "0.3: set by hand on the ICD-10-CM dev set when the reranker was written; what it is "
        "worth now is the ablation's figure (README).",
    ),
    Rule(
        "polarity (with/without, negation, axes)",
        f"{RERANK}.rescore:polarity",
        0.0,
        "0.1: one contradiction must outweigh the small cosine gap between siblings ('with' "
        "and 'without bleeding'); set by hand on the ICD-10-CM dev set.",
    ),
    Rule(
        "qualifiers (other/unspecified, bare diagnosis)",
        f"{RERANK}.rescore:qualifier",
        0.0,
        "0.04: per qualifier point, small next to polarity, because I.A.9.b defaults decide "
        "only between otherwise equal siblings; set by hand on the ICD-10-CM dev set.",
    ),
    Rule(
        "numbers in title ranges",
        f"{RERANK}.rescore:number",
        0.0,
        "0.1: a number inside a title's range (BMI 42 in 40.0-44.9) must beat the siblings' "
        "cosine differences, which are smaller; set on rows written for it (tests).",
    ),
    Rule(
        "bare-diagnosis length",
        f"{RERANK}.BARE_WORDS",
        0,
        "2: one- and two-word diagnoses ('pneumonia', 'acute bronchitis') take the "
        "unspecified form (I.A.9.b); set by hand on the ICD-10-CM dev set.",
    ),
    Rule(
        "'other' title when unsaid",
        f"{RERANK}.OTHER_UNSAID",
        0.0,
        "0.5: chosen on lay and followups (top1 0.883 -> 0.917, 0.657 -> 0.743) at 0.003 on "
        "the ICD-10-CM dev set; larger values cost more there than they gained.",
    ),
    Rule(
        "narrowing words unsaid",
        f"{RERANK}.NARROWING",
        0.0,
        "0.25: chosen with OTHER_UNSAID on the same sets (a title that adds conditions the "
        "question does not state fits it less, I.A.9.b).",
    ),
    Rule(
        "detail the question states and the code leaves unsaid",
        f"{RERANK}.MISSED_AXIS",
        0.0,
        "1.0: on followups_dev top1 0.743 -> 0.771 with lay_dev unchanged and the tuning set "
        "one row of 478 lower; 2.0 gained more follow-ups but cost lay and tuning rows.",
    ),
    Rule(
        "BM25 of a code's own words",
        f"{ICD}.LEXICAL_WEIGHT",
        0.0,
        "0.1: normalised BM25 beside cosine; set by hand on the ICD-10-CM dev set.",
    ),
    Rule(
        "headers' codes join the pool",
        f"{ICD}.HEADERS",
        0,
        "5: the codes under the best five category headers join the pool, so a question "
        "that matches a header ('Type 2 diabetes mellitus') reaches its leaves.",
    ),
    Rule(
        "Alphabetic Index trails",
        f"{ICD}.INDEX_TRUST",
        0.0,
        "0.95: a trail's similarity counts slightly less than the title's own, so equal "
        "matches go to the Tabular (a tie-breaker, not a tuned value).",
    ),
    Rule(
        "manifestation for 'classified elsewhere'",
        f"{ICD}.MANIFESTATION_WEIGHT",
        0.0,
        "0.04: enough to order a manifestation code first when 'classified elsewhere' is "
        "said (its titles say so), small enough not to move anything else.",
    ),
    Rule(
        "a named encounter wants a 7th-character code",
        f"{ICD}.ENCOUNTER_WEIGHT",
        0.0,
        "0.06: the smallest of 0.03/0.06/0.1 that orders 'dislocation of right shoulder, "
        "subsequent encounter' under S43 over M24.411 (followups 0.857 -> 0.886); tuning, "
        "lay and ../shared/eval lookup_dev unchanged at each (I.C.19.a).",
    ),
    Rule(
        "routing: each set's vocabulary",
        f"{CHOOSE}.SMOOTHING",
        1e12,
        "200 texts: the same grid search; off = every set's word estimate is the shared "
        "background, so the words of a question say nothing about its set.",
    ),
    Rule(
        "routing: unclear shows the other set second",
        f"{LOOKUP}.UNCLEAR",
        0.0,
        "1.0 log-odds: chosen with the routing constants, so a question that could be either "
        "set finds its code in the first two.",
    ),
    Rule(
        "routing: diagnosis prior",
        f"{CHOOSE}.PRIORS",
        {},
        "icd10cm 2.5: grid search on the mix (right set 0.933), checked on its holdout files.",
    ),
    Rule(
        "routing: operation words",
        f"{CHOOSE}.PROCEDURE_BONUS",
        0.0,
        "8.0: the same grid search; an operation word is near-certain evidence of a procedure. "
        "Operation words are the root operations, the Index's one-word procedure main terms "
        "and their abbreviations, and its 2-3 word ones of sections 0, 1 and 5 ('Cesarean "
        "section'); those two were added on the Index alone: pcs_dev 0.762/0.825 -> "
        "0.810/0.873, no ICD-10-CM or HCPCS set moved.",
    ),
    Rule(
        "routing: state and encounter words",
        f"{CHOOSE}.DIAGNOSIS_BONUS",
        0.0,
        "8.0: the same grid search; 'status', 'history of', 'fitting' name ICD-10-CM Z codes.",
    ),
    Rule(
        "routing: closeness to each set's records",
        f"{CHOOSE}.CLOSENESS_WEIGHT",
        0.0,
        "30.0: the same grid search (log-odds per unit cosine to each set's nearest record).",
    ),
    Rule(
        "routing: stated dose",
        f"{CHOOSE}.DOSE_BONUS",
        0.0,
        "4.0: the same grid search; HCPCS drug codes are billed per dose.",
    ),
    Rule(
        "BM25 beside cosine (HCPCS, ICD-10-PCS Index, CPT)",
        f"{FLAT}.LEXICAL_WEIGHT",
        0.0,
        "0.1: taken over from ICD-10-CM's value, not tuned for these sets.",
    ),
    Rule(
        "HCPCS: dose fit",
        f"{HCPCS}.DOSE_WEIGHT",
        0.0,
        "0.3: set by hand on hcpcs_dev: a descriptor whose dose unit fits beats the drug's "
        "other codes.",
    ),
    Rule(
        "HCPCS: route contradicted",
        f"{HCPCS}.ROUTE_WEIGHT",
        0.0,
        "0.1: set by hand on hcpcs_dev; an oral code for an injection question is wrong.",
    ),
    Rule(
        "HCPCS: NOC last",
        f"{HCPCS}.NOC_PENALTY",
        0.0,
        "0.1: CMS's NOC list is for items no specific code describes; set by hand on hcpcs_dev.",
    ),
    Rule(
        "HCPCS: S codes after national codes",
        f"{HCPCS}.S_CODE_PENALTY",
        0.0,
        "0.1: best of 0.03/0.05/0.1 on hcpcs_dev (top1 0.726 -> 0.745 with --codeset hcpcs), "
        "checked on hcpcs_holdout (0.643 -> 0.667); routing mix unchanged. S codes are for "
        "private payers and Medicare does not accept them (CMS).",
    ),
    Rule(
        "HCPCS: a drug code names the drug asked for",
        f"{HCPCS}.DRUG_NAME_PENALTY",
        0.0,
        "0.2 of 0.1/0.2/0.3 on knowledge/eval/tuning_hcpcs_drugs (drug questions written from "
        "the J-code descriptors by `eval tuning-set`): top1/top5 0.843/0.991 -> 0.848/1.000, "
        "its holdout 0.753/0.974 -> 0.766/0.987; hcpcs_dev unchanged (0.745/0.941).",
    ),
    Rule(
        "HCPCS: a product-named drug code only for that product",
        f"{HCPCS}.PRODUCT_PENALTY",
        0.0,
        "0.03, the smallest of 0.03/0.05/0.1/0.15 that keeps hcpcs_dev at its best (0.765 -> "
        "0.775 top1 auto; 0.794/0.971 with --codeset hcpcs at every value) and costs least on "
        "tuning_hcpcs_drugs (0.848 -> 0.843: that set drops the product from questions whose "
        "code names one); hcpcs_holdout and the drug holdout unchanged (0.667, 0.766).",
    ),
    Rule(
        "HCPCS: compounded only when said",
        f"{HCPCS}.COMPOUNDED_PENALTY",
        0.0,
        "0.1, as NOC_PENALTY (set by hand): hcpcs_dev 0.765 -> 0.775 top1 auto; the holdouts and "
        "tuning_hcpcs_drugs unchanged. The descriptors split inhalation drugs (J7604-J7699) "
        "into compounded and FDA-approved non-compounded products.",
    ),
    Rule(
        "guidelines: a circumstance the question does not state",
        f"{SECTIONS}.CIRCUMSTANCE_PENALTY",
        0.0,
        "0.05: 0, 0.02, 0.05 and 0.1 tried on knowledge/eval/guidelines_cases_dev; hit1 "
        "0.60 -> 0.64 for every value from 0.02 to 0.1 (the middle one taken); its holdout "
        "and the guideline questions of ../shared/eval unchanged (0.833/0.917 both).",
    ),
    Rule(
        "HCPCS: modifiers are not items",
        f"{HCPCS}.MODIFIER_PENALTY",
        0.0,
        "0.5: a modifier is never the answer to a question about an item; set by hand. A "
        "modifier whose meaning the question says in words ('no ABN on file': GZ) is exempt "
        "(2026-12-04: hcpcs_dev 0.784/0.961 -> 0.804/0.971; holdouts, drug tuning unchanged).",
    ),
)

# Constants of the ranking modules that are sizes or limits, not weights of a rule: named here
# so the register test knows them.
NOT_WEIGHTS = {
    f"{ICD}.POOL": "candidates re-scored per query (latency bound)",
    f"{ICD}.INDEX_DEPTH": "Index trails read per query (latency bound)",
    f"{FLAT}.POOL": "candidates re-scored per query (latency bound)",
    f"{LOOKUP}.MIN_DENSE": "below it no code is offered (no correct best match of the "
    "ICD-10-CM dev set scored lower); a refusal threshold, not a weight",
}
# The modules whose numeric constants must all be named above.
MODULES = (RERANK, ICD, CHOOSE, HCPCS, LOOKUP, FLAT, SECTIONS)
