"""What a biller's words say beyond plain word overlap: codes and modifiers typed in a question,
and supply and equipment words read into the wording HCPCS descriptors use. Modifiers named in
words are in ``modifiers``; ranking is left to the project's search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.codesets.hcpcs.dose import Amount, query_doses
from assistant.codesets.hcpcs.files import Release, normalize_code

Fitting = Literal["off_the_shelf", "prefabricated", "custom"]

# --- typed codes -----------------------------------------------------------------------------

_TOKEN = re.compile(r"(?<![\w.])[A-Za-z]\d{4}(?![\w.])")
_MODIFIER_WORD = re.compile(
    r"\b(?:modifiers?|mod)\b\s*[:#]?\s*"
    r"(?P<list>-?[A-Za-z0-9]{2}\b(?:\s*(?:,|/|&|and|or|\+)\s*-?[A-Za-z0-9]{2}\b)*)",
    re.I,
)
# Two-letter words that follow "modifier" in a sentence; some (AT, GO, AS, ME) are also
# modifiers, so they count when typed in capitals.
_SENTENCE_WORDS = frozenset(
    {"an", "or", "to", "is", "on", "of", "in", "it", "be", "do", "me", "my", "if", "at", "by"}
    | {"so", "we", "us", "no", "go", "as", "am"}
)
_APPENDED = re.compile(r"\b([A-Za-z]\d{4})((?:-[A-Za-z0-9]{2})+)\b")


def find_codes(text: str, release: Release | None = None) -> list[str]:
    """HCPCS codes and modifiers typed in a question, canonical and in order: codes by shape
    ("j0696"), modifiers after the word modifier ("modifier rt") or appended to a code
    ("L3908-RT"). With a release, a modifier must be one it knows or a CPT one (two digits)."""
    found: list[tuple[int, str]] = []
    for match in _TOKEN.finditer(text):
        if code := normalize_code(match.group(0)):
            found.append((match.start(), code))
    spans = [(m.start("list"), m.group("list")) for m in _MODIFIER_WORD.finditer(text)]
    spans += [(m.start(2), m.group(2)) for m in _APPENDED.finditer(text)]
    for start, listed in spans:
        for part in re.finditer(r"(?<!\w)-?[A-Za-z0-9]{2}\b", listed):
            token = part.group(0).lstrip("-")
            if token.islower() and token in _SENTENCE_WORDS:
                continue  # "modifier is ...": a word of the sentence unless typed in capitals
            modifier = normalize_code(token, modifier=True)
            if modifier and (
                release is None or modifier in release.modifiers or modifier.isdigit()
            ):
                found.append((start + part.start(), modifier))
    seen: dict[str, None] = {}
    for _, code in sorted(found):
        seen.setdefault(code, None)
    return list(seen)


# --- supply and equipment words --------------------------------------------------------------


@dataclass(frozen=True)
class Bridge:
    """A lay supply phrase and the wording HCPCS descriptors use for it, with its source."""

    pattern: re.Pattern[str]
    means: str
    source: str


def _bridge(say: str, means: str, source: str) -> Bridge:
    return Bridge(re.compile(rf"(?<![\w-])(?:{say})(?![\w-])", re.I), means, source)


_LCD_DME = "CMS DME MAC LCD"
_ORTHOSES = "CMS DME MAC LCDs L33686 Ankle-Foot/Knee-Ankle-Foot Orthoses and L33790 Spinal Orthoses"
# Levels of ground service (BLS, ALS1, ALS2, SCT), emergency or not, mileage, air transport.
_AMBULANCE = "Medicare Benefit Policy Manual (Pub. 100-02) ch. 10, Ambulance Services"
BRIDGES: tuple[Bridge, ...] = (
    # Orthosis abbreviations as prescriptions write them, spelled out as L-code descriptors do.
    _bridge(r"afos?", "ankle foot orthosis", _ORTHOSES),
    _bridge(r"kafos?", "knee ankle foot orthosis", _ORTHOSES),
    _bridge(r"whfos?", "wrist hand finger orthosis", _ORTHOSES),
    _bridge(r"tlsos?", "thoracic-lumbar-sacral orthosis", _ORTHOSES),
    _bridge(r"lsos?|back\s+brace", "lumbar-sacral orthosis", _ORTHOSES),
    _bridge(
        r"braces?",
        "orthosis",
        "Medicare Benefit Policy Manual ch. 15 §130: braces are orthoses (HCPCS L codes)",
    ),
    _bridge(
        # The words every PAP descriptor shares: the device (E0601) and its accessories
        # (A7030-A7046, "used with positive airway pressure device"); "cpap" itself still
        # names the device's own descriptor.
        r"cpap(?:\s+(?:machine|unit))?",
        "positive airway pressure device",
        f"{_LCD_DME} L33718 Positive Airway Pressure Devices",
    ),
    _bridge(
        r"(?<!compression\s)(?<!support\s)hoses?",
        "tubing",
        "HCPCS Level II descriptors name hoses as tubing (A7037 PAP tubing, A4616 oxygen tubing)",
    ),
    _bridge(
        r"bi-?pap(?:\s+(?:machine|unit))?",
        "respiratory assist device, bi-level pressure capability",
        f"{_LCD_DME} L33800 Respiratory Assist Devices",
    ),
    _bridge(
        r"(?:diabetic|glucose|blood\s+sugar|sugar)\s+(?:test\s+)?strips|test\s+strips",
        "blood glucose test or reagent strips",
        f"{_LCD_DME} L33822 Glucose Monitors",
    ),
    _bridge(
        r"gluco(?:meter|se\s+meter)|blood\s+sugar\s+meter|sugar\s+meter",
        "home blood glucose monitor",
        f"{_LCD_DME} L33822 Glucose Monitors",
    ),
    _bridge(
        r"(?:front[\s-]+)?(?:wheeled|rolling|two[\s-]+wheeled|2[\s-]+wheeled)\s+walker|walker\s+with\s+wheels",
        "walker, wheeled",
        f"{_LCD_DME} L33791 Walkers",
    ),
    _bridge(
        r"(?:manual|regular|basic)\s+wheelchair",
        "standard wheelchair",
        f"{_LCD_DME} L33788 Manual Wheelchair Bases",
    ),
    _bridge(
        r"(?:power|electric|motorized)\s+wheelchair",
        "power wheelchair",
        f"{_LCD_DME} L33789 Power Mobility Devices",
    ),
    _bridge(
        r"(?:mobility\s+)?scooter",
        "power operated vehicle",
        f"{_LCD_DME} L33789 Power Mobility Devices (POVs, scooters)",
    ),
    _bridge(
        r"portable\s+oxygen(?:\s+tank)?",
        "portable gaseous oxygen system",
        f"{_LCD_DME} L33797 Oxygen and Oxygen Equipment",
    ),
    _bridge(
        r"o2\s+concentrator",
        "oxygen concentrator",
        f"{_LCD_DME} L33797 Oxygen and Oxygen Equipment",
    ),
    _bridge(
        r"neb(?:ulizer)?\s+(?:machine|compressor)",
        "nebulizer, with compressor",
        f"{_LCD_DME} L33370 Nebulizers",
    ),
    _bridge(
        r"tens\s+(?:unit|machine)",
        "transcutaneous electrical nerve stimulation (tens) device",
        f"{_LCD_DME} L33802 Transcutaneous Electrical Nerve Stimulators",
    ),
    _bridge(
        r"full(?:y)?[\s-]+electric",
        "total electric",
        "HCPCS E0265/E0266, E0296/E0297 descriptors ('total electric (head, foot and height "
        "adjustments)'), against semi-electric (head and foot only)",
    ),
    _bridge(
        r"bedside\s+commode|commode",
        "commode chair",
        "HCPCS E0163-E0165 descriptors ('commode chair')",
    ),
    _bridge(
        r"shower\s+chair|bath\s+chair",
        "bath/shower chair",
        "HCPCS E0240 descriptor ('bath/shower chair')",
    ),
    _bridge(
        r"(?:cam|walking|walker)\s+boot|moon\s+boot",
        "walking boot",
        "HCPCS L4360/L4361 descriptors ('walking boot')",
    ),
    _bridge(
        r"compression\s+(?:stockings?|socks?|hose)",
        "gradient compression stocking",
        "HCPCS A6530-A6549 descriptors ('gradient compression stocking')",
    ),
    _bridge(
        r"diabetic\s+shoes?",
        "for diabetics only, depth-inlay shoe",
        f"{_LCD_DME} L33369 Therapeutic Shoes for Persons with Diabetes",
    ),
    _bridge(
        r"(?:adult\s+)?diapers?|incontinence\s+briefs?",
        "adult sized disposable incontinence product, brief/diaper",
        "HCPCS T4521-T4524 descriptors ('brief/diaper')",
    ),
    _bridge(
        r"pull-?ups?",
        "protective underwear/pull-on",
        "HCPCS T4525-T4528 descriptors ('protective underwear/pull-on')",
    ),
    _bridge(
        r"(?:ostomy|colostomy|ileostomy)\s+bags?",
        "ostomy pouch",
        f"{_LCD_DME} L33828 Ostomy Supplies ('pouch')",
    ),
    _bridge(
        r"foley(?:\s+catheter)?",
        "indwelling catheter, foley type",
        f"{_LCD_DME} L33803 Urological Supplies",
    ),
    _bridge(
        # The short descriptors themselves abbreviate catheter as "cath" (A4221, A4300, A4353).
        r"caths?",
        "catheter",
        "HCPCS Level II short descriptors ('cath' for catheter, e.g. A4353)",
    ),
    _bridge(
        r"hoyer(?:\s+lift)?",
        "patient lift, hydraulic or mechanical",
        "HCPCS E0630 descriptor; Hoyer is a brand of hydraulic/mechanical patient lift (Joerns)",
    ),
    _bridge(
        r"cpm(?:\s+(?:machine|unit|device))?",
        "continuous passive motion exercise device",
        "HCPCS E0936 short descriptor ('Cpm device') for E0935/E0936",
    ),
    _bridge(
        r"post-?op(?:erative)?\s+(?:shoe|boot)",
        "surgical boot/shoe",
        "HCPCS L3260 descriptor ('Ambulatory surgical boot', 'Surgical boot/shoe, each')",
    ),
    _bridge(
        r"\bbls\b|basic\s+ambulance",
        "basic life support",
        _AMBULANCE,
    ),
    _bridge(
        r"als\s*-?\s*1|als\s+level\s+(?:1|one)",
        "advanced life support, level 1",
        _AMBULANCE,
    ),
    _bridge(
        r"als\s*-?\s*2|als\s+level\s+(?:2|two)",
        "advanced life support, level 2",
        _AMBULANCE,
    ),
    _bridge(r"\bals\b", "advanced life support", _AMBULANCE),
    _bridge(
        r"\bsct\b|critical\s+care\s+(?:ambulance\s+)?(?:transport|transfer)",
        "specialty care transport",
        _AMBULANCE,
    ),
    _bridge(
        r"non-?emergent|non-?urgent|scheduled\s+transport",
        "non-emergency",
        _AMBULANCE,
    ),
    _bridge(
        r"emergent",
        "emergency",
        _AMBULANCE,
    ),
    _bridge(
        r"(?:ambulance\s+)?(?:mileage|miles)",
        "ground mileage, per statute mile",
        _AMBULANCE,
    ),
    _bridge(
        r"helicopter|medevac",
        "conventional air services, rotary wing",
        _AMBULANCE,
    ),
    _bridge(
        r"(?:air)?plane|jet",
        "conventional air services, fixed wing",
        _AMBULANCE,
    ),
    _bridge(
        r"flu\s+(?:shot|vaccine|jab)",
        "influenza virus vaccine",
        "CDC, Influenza (Flu) Vaccines; CMS MLN Medicare Part B immunization billing (G0008)",
    ),
    _bridge(
        r"pneumonia\s+(?:shot|vaccine)",
        "pneumococcal vaccine",
        "CDC, Pneumococcal Vaccination; CMS MLN Medicare Part B immunization billing (G0009)",
    ),
)
_FITTINGS: tuple[tuple[Fitting, re.Pattern[str], str], ...] = (
    # 42 CFR 414.402: off-the-shelf orthotics need minimal self-adjustment; HCPCS writes
    # "prefabricated, off-the-shelf".
    (
        "off_the_shelf",
        re.compile(r"\boff[\s-]+the[\s-]+shelf\b|\bots\b", re.I),
        "prefabricated, off-the-shelf",
    ),
    # HCPCS: "prefabricated item that has been trimmed, bent, molded, assembled, or otherwise
    # customized to fit a specific patient by an individual with expertise".
    (
        "prefabricated",
        re.compile(r"\bprefab(?:ricated)?\b|\bcustom[\s-]+fit(?:ted)?\b", re.I),
        "prefabricated, includes fitting and adjustment",
    ),
    (
        "custom",
        re.compile(
            r"\bcustom[\s-]+(?:made|molded|moulded|fabricated|built)\b|\bmade\s+to\s+measure\b",
            re.I,
        ),
        "custom fabricated",
    ),
)


@dataclass(frozen=True)
class ItemQuery:
    """A supply or equipment question read as far as plain text goes."""

    text: str  # the question with each lay phrase followed by the HCPCS wording it means
    bridged: tuple[str, ...]  # the HCPCS wordings added
    fitting: Fitting | None  # off the shelf / prefabricated and fitted / custom fabricated
    quantities: tuple[Amount, ...]  # "strips, 100" -> 100 each


def read_item(text: str) -> ItemQuery:
    """Supply and equipment words ("cpap machine", "walker with wheels", "knee brace off the
    shelf") each followed by the wording HCPCS descriptors use; the original words are kept."""
    spans: list[tuple[int, int, str]] = []
    for bridge in BRIDGES:  # earlier bridges win where two read the same words ("als 1")
        for match in bridge.pattern.finditer(text):
            if not any(a < match.end() and match.start() < b for a, b, _ in spans):
                spans.append((match.start(), match.end(), bridge.means))
                break  # once is enough for the search
    spans.sort()
    parts, last = [], 0
    for _, end, means in spans:
        parts.append(f"{text[last:end]} {means}")
        last = end
    expanded = "".join(parts) + text[last:]
    bridged = [means for _, _, means in spans]
    fitting: Fitting | None = None
    for kind, pattern, means in _FITTINGS:
        if pattern.search(text):
            fitting = kind
            expanded = f"{expanded} {means}"
            bridged.append(means)
            break
    counts = tuple(a for a in query_doses(text) if a.dimension in {"count", "package"})
    return ItemQuery(expanded, tuple(dict.fromkeys(bridged)), fitting, counts)
