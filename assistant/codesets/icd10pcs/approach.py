"""Which ICD-10-PCS approach a description names, read against the approach definitions.

The Definitions say what each approach is: Open "cutting through the skin or mucous membrane
... to expose the site"; Percutaneous "entry, by puncture or minor incision, of
instrumentation"; Percutaneous Endoscopic the same "to reach and visualize the site"; Via
Natural or Artificial Opening (Endoscopic) entry through a natural opening (to visualize it);
External "performed directly on the skin or mucous membrane" or by external force. Operative
notes name these by the instrument or the route, so the words below are sorted by which
definition they meet: a scope put through a small incision ("laparoscopic", "arthroscopic")
visualizes after a puncture (Percutaneous Endoscopic); a scope put through a natural opening
("colonoscopy", "cystoscopy") is Via Natural or Artificial Opening Endoscopic; and so on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assistant.codesets.icd10pcs.words import Words, same

OPEN = "Open"
PERCUTANEOUS = "Percutaneous"
PERC_ENDO = "Percutaneous Endoscopic"
NATURAL = "Via Natural or Artificial Opening"
NATURAL_ENDO = "Via Natural or Artificial Opening Endoscopic"
EXTERNAL = "External"

# How much a word says, chosen on knowledge/eval/pcs_dev.jsonl: a named route or instrument
# settles the approach (STRONG); a word that usually goes with one (a tube, a biopsy) only
# tips a choice nothing else decides (WEAK).
STRONG = 2.0
WEAK = 0.5
# A label that shares the route but not the scope gets this share of the word's weight
# ("transurethral" leans to both natural-opening approaches, more to the plain one).
SHARED = 0.5
# An endoscopic approach nothing names loses a little to its plain twin (dev-set choice).
SCOPE_UNSAID = 0.2

_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    PERC_ENDO: (
        ("laparoscop", STRONG),
        ("thoracoscop", STRONG),
        ("arthroscop", STRONG),
        ("mediastinoscop", STRONG),
        ("video-assist", STRONG),
        ("pelviscop", STRONG),
    ),
    NATURAL_ENDO: (
        ("endoscop", STRONG),
        ("colonoscop", STRONG),
        ("sigmoidoscop", STRONG),
        ("proctoscop", STRONG),
        ("anoscop", STRONG),
        ("esophagoscop", STRONG),
        ("gastroscop", STRONG),
        ("esophagogastroduodenoscop", STRONG),
        ("duodenoscop", STRONG),
        ("enteroscop", STRONG),
        ("bronchoscop", STRONG),
        ("laryngoscop", STRONG),
        ("cystoscop", STRONG),
        ("ureteroscop", STRONG),
        ("hysteroscop", STRONG),
        ("colposcop", STRONG),
        ("nasopharyngoscop", STRONG),
        ("resectoscop", STRONG),
        ("cholangiopancreatograph", STRONG),
        # A transurethral resection (TURP, TURBT) is done through a resectoscope.
        ("transurethral resection", STRONG),
    ),
    NATURAL: (
        ("transurethr", STRONG),
        ("urethr", WEAK),
        ("transvagin", STRONG),
        ("vagin", WEAK),
        ("transor", STRONG),
        ("nasogastr", STRONG),
        ("orogastr", STRONG),
        ("endotrach", STRONG),
        ("intub", STRONG),
        ("transan", STRONG),
        ("foley", STRONG),
        ("indwel", WEAK),
        ("transnas", STRONG),
        ("per rectum", STRONG),
    ),
    PERCUTANEOUS: (
        ("percutan", STRONG),
        ("needl", STRONG),
        ("punctur", STRONG),
        ("aspir", WEAK),
        ("transcathet", STRONG),
        ("transven", STRONG),
        ("transfemor", STRONG),
        ("translumin", STRONG),
        ("cathet", WEAK),
        ("stab", WEAK),
        ("inject", WEAK),
        ("infus", WEAK),
        ("tube", WEAK),
        ("biops", WEAK),
        ("pin", WEAK),
    ),
    OPEN: (
        ("open", STRONG),
        ("incis", WEAK),
        ("cutdown", STRONG),
        ("explor", WEAK),
        ("laparotom", STRONG),
        ("thoracotom", STRONG),
        ("sternotom", STRONG),
        ("craniotom", STRONG),
        ("arthrotom", STRONG),
    ),
    EXTERNAL: (
        ("extern", STRONG),
        ("close", STRONG),
        ("manual", WEAK),
        ("transcutan", STRONG),
        ("topic", STRONG),
        # External force applied through the skin (the External definition's second half):
        # extracorporeal shock wave lithotripsy.
        ("extracorpor", STRONG),
        ("shock wave", STRONG),
    ),
}
# Suffixes that name a route: an -otomy opens the body part, a -centesis punctures it.
# A -centesis punctures; an -otomy cuts into the part, usually but not always openly
# ("percutaneous nephrolithotomy"), so only the body-wall incisions below settle Open.
_SUFFIX_CUES = {"otomy": (OPEN, WEAK), "tomy": (OPEN, WEAK), "centesis": (PERCUTANEOUS, STRONG)}
# Endoscopic labels share the route of their plain twin.
_TWINS = {NATURAL_ENDO: NATURAL, NATURAL: NATURAL_ENDO, PERC_ENDO: PERCUTANEOUS}


@dataclass(frozen=True)
class ApproachCue:
    """Evidence for one approach: its weight and the words that gave it."""

    label: str
    weight: float
    words: tuple[str, ...]


def approach_cues(words: Words) -> dict[str, ApproachCue]:
    """Approach label -> the evidence the description gives for it."""
    found: dict[str, tuple[float, list[str]]] = {}

    def add(label: str, weight: float, word: str) -> None:
        """Keep the strongest weight for ``label`` and every word that gave one."""
        total, said = found.get(label, (0.0, []))
        found[label] = (max(total, weight), [*said, word])

    for label, cues in _CUES.items():
        for cue, weight in cues:
            if " " in cue:
                if cue in words.text.lower():
                    add(label, weight, cue)
            elif any(same(s, cue) or (len(cue) >= 5 and s.startswith(cue)) for s in words.stems):
                add(label, weight, cue)
    for suffix in words.suffixes:
        if suffix in _SUFFIX_CUES:
            label, weight = _SUFFIX_CUES[suffix]
            add(label, weight, f"-{suffix}")
    if PERC_ENDO in found and NATURAL_ENDO in found and found[NATURAL_ENDO][1] == ["endoscop"]:
        del found[NATURAL_ENDO]  # "percutaneous endoscopic": the generic word is not a route
    if NATURAL in found and found.get(NATURAL_ENDO, (0.0, []))[0] >= STRONG:
        del found[NATURAL]  # a scope named through the opening: the route is its twin's share
    return {
        label: ApproachCue(label, weight, tuple(said)) for label, (weight, said) in found.items()
    }


def approach_score(label: str, cues: Mapping[str, ApproachCue]) -> tuple[float, str]:
    """The evidence for one approach label, and the words it rests on ("" for none)."""
    own = cues.get(label)
    twin = cues.get(_TWINS.get(label, ""))
    score = own.weight if own else 0.0
    reason = ", ".join(own.words) if own else ""
    if twin and twin.weight * SHARED > score:
        score = twin.weight * SHARED
        reason = ", ".join(twin.words)
    if not reason and label.endswith("Endoscopic"):
        score -= SCOPE_UNSAID  # a scope is named when one is used
    return score, reason
