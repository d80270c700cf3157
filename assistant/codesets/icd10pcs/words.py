"""Words of a procedure description: stems, sides, numbers, negation and medical word parts.

Coders read "lap chole" as laparoscopic cholecystectomy and "cholecystectomy" as gallbladder
plus -ectomy. This module turns a description (or a label of the tables) into stems that can
be compared, expanding the common operative-note abbreviations and splitting compound terms
into their combining forms (the anatomy) and suffix (the kind of operation).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from functools import lru_cache

import snowballstemmer

# Stemmer objects are not thread-safe: one shared instance, used under a lock.
_LOCK = threading.Lock()
# Shortest stem that may match a longer one by prefix ("excis" ~ "excision"), and the most
# characters the longer may add: Snowball leaves such pairs apart ("catheter"/"cathet");
# five and three keep "colon" from "colonoscop" and "duoden" from "duodenotom".
MIN_PREFIX = 5
MAX_EXTRA = 3

STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "to",
        "in",
        "into",
        "on",
        "onto",
        "at",
        "by",
        "for",
        "from",
        "with",
        "via",
        "using",
        "through",
        "under",
        "over",
        "is",
        "was",
        "were",
        "be",
        "been",
        "procedure",
        "procedures",
        "patient",
        "performed",
        "perform",
        "status",
        "post",
        "pt",
        "s",
        "p",
        "w",
        "o",
        "x",
        "per",
        "or",
        "as",
        "then",
    ]
)
SIDE_WORDS = {"right": "Right", "left": "Left", "bilateral": "Bilateral", "both": "Bilateral"}
NEGATIONS = frozenset({"without", "no", "non", "not", "w/o"})

# Common operative-note abbreviations (standard clinical shorthand, not tuned to any set).
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"i\s*&\s*d", "incision and drainage"),
    (r"d\s*&\s*c", "dilation and curettage"),
    (r"d\s*&\s*e", "dilation and evacuation"),
    (r"c-?section", "cesarean section"),
    (r"lap", "laparoscopic"),
    (r"chole", "cholecystectomy"),
    (r"appy", "appendectomy"),
    (r"ex-?lap", "exploratory laparotomy"),
    (r"orif", "open reduction internal fixation"),
    (r"crpp", "closed reduction percutaneous pinning"),
    (r"tka|tkr", "total knee replacement"),
    (r"tha|thr", "total hip replacement"),
    (r"tsa", "total shoulder replacement"),
    (r"ptca", "percutaneous transluminal coronary angioplasty"),
    (r"pci", "percutaneous coronary angioplasty"),
    (r"pta", "percutaneous transluminal angioplasty"),
    (r"des", "drug-eluting stent"),
    (r"bms", "bare metal stent"),
    (r"cabg", "coronary artery bypass graft"),
    (r"svg", "saphenous vein graft"),
    (r"lima", "left internal mammary artery"),
    (r"rima", "right internal mammary artery"),
    (r"tavr|tavi", "transcatheter aortic valve replacement"),
    (r"avr", "aortic valve replacement"),
    (r"mvr", "mitral valve replacement"),
    (r"egd", "esophagogastroduodenoscopy"),
    (r"ercp", "endoscopic retrograde cholangiopancreatography"),
    (r"peg", "percutaneous endoscopic gastrostomy"),
    (r"ng", "nasogastric"),
    (r"og", "orogastric"),
    (r"ett", "endotracheal tube"),
    (r"trach", "tracheostomy"),
    (r"turp", "transurethral resection of prostate"),
    (r"turbt", "transurethral resection of bladder tumor"),
    (r"eswl", "extracorporeal shockwave lithotripsy"),
    (r"pcnl", "percutaneous nephrolithotomy"),
    (r"tah", "total abdominal hysterectomy"),
    (r"bso", "bilateral salpingo-oophorectomy"),
    (r"btl", "bilateral tubal ligation"),
    (r"svd|nsvd", "spontaneous vaginal delivery"),
    (r"bka", "below knee amputation"),
    (r"aka", "above knee amputation"),
    (r"stsg", "split thickness skin graft"),
    (r"ftsg", "full thickness skin graft"),
    (r"lp", "lumbar puncture"),
    (r"bal", "bronchoalveolar lavage"),
    (r"vats", "video-assisted thoracoscopic"),
    (r"iol", "intraocular lens"),
    (r"ivc", "inferior vena cava"),
    (r"svc", "superior vena cava"),
    (r"cvc", "central venous catheter"),
    (r"picc", "peripherally inserted central catheter"),
    (r"tee", "transesophageal echocardiogram"),
    (r"tte", "transthoracic echocardiogram"),
    (r"acdf", "anterior cervical discectomy and fusion"),
    (r"plif|tlif", "posterior lumbar interbody fusion"),
    (r"alif", "anterior lumbar interbody fusion"),
    (r"prbcs?", "packed red blood cells"),
    (r"ffp", "fresh frozen plasma"),
    (r"hd", "hemodialysis"),
    (r"crrt", "continuous renal replacement therapy"),
    (r"ecmo", "extracorporeal membrane oxygenation"),
    (r"iabp", "intra-aortic balloon pump"),
    (r"av", "arteriovenous"),
    (r"vp", "ventriculoperitoneal"),
    (r"rll", "right lower lobe"),
    (r"rml", "right middle lobe"),
    (r"rul", "right upper lobe"),
    (r"lll", "left lower lobe"),
    (r"lul", "left upper lobe"),
    (r"foley", "foley indwelling urethral catheter"),
    (r"mri", "magnetic resonance imaging"),
    (r"a?icd", "implantable cardioverter-defibrillator"),
    (r"ct", "computerized tomography"),
)
_ABBREVIATION = [(re.compile(rf"(?<![\w-])(?:{p})(?![\w-])", re.I), r) for p, r in ABBREVIATIONS]

# Everyday or adjective forms -> the words the tables and Index use (a Latin adjective names
# the organ: "gastric" is the stomach). General anatomy vocabulary.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "gastric": ("stomach",),
    "renal": ("kidney",),
    "hepatic": ("liver",),
    "pulmonary": ("lung",),
    "cardiac": ("heart",),
    "cerebral": ("brain",),
    "venous": ("vein",),
    "arterial": ("artery",),
    "cutaneous": ("skin",),
    "ocular": ("eye",),
    "nasal": ("nose",),
    "oral": ("mouth",),
    "vesical": ("bladder",),
    "uterine": ("uterus",),
    "ovarian": ("ovary",),
    "splenic": ("spleen",),
    "pancreatic": ("pancreas",),
    "biliary": ("bile", "duct"),
    "colonic": ("colon",),
    "colon": ("large", "intestine"),
    "bowel": ("intestine",),
    "gut": ("intestine",),
    "rectal": ("rectum",),
    "anal": ("anus",),
    "ventricular": ("ventricle",),
    "atrial": ("atrium",),
    "tracheal": ("trachea",),
    "esophageal": ("esophagus",),
    "duodenal": ("duodenum",),
    "thoracic": ("thorax", "chest"),
    "abdominal": ("abdomen",),
    "pleural": ("pleura",),
    "peritoneal": ("peritoneum",),
    "vaginal": ("vagina",),
    "cervical": ("cervix", "neck"),
    "mammary": ("breast",),
    "tubal": ("fallopian", "tube"),
    "stent": ("intraluminal", "device"),
    "mesh": ("synthetic", "substitute"),
    "prosthesis": ("synthetic", "substitute"),
    "prosthetic": ("synthetic", "substitute"),
    "mechanical": ("synthetic", "substitute"),
    "bovine": ("zooplastic",),
    "porcine": ("zooplastic",),
    "split": ("partial",),
    "steroid": ("anti-inflammatory",),
    # Solid matter taken out: the Extirpation definition ("taking or cutting out solid matter").
    "hematoma": ("extirpation",),
    "stone": ("extirpation",),
    "clot": ("extirpation",),
    "thrombus": ("extirpation",),
    "calculus": ("extirpation",),
    "calculi": ("extirpation",),
    "chemotherapy": ("antineoplastic",),
    "deceased": ("allogeneic",),
    "cadaver": ("allogeneic",),
    "vein": ("venous",),
    "autograft": ("autologous", "graft"),
    "allograft": ("nonautologous", "graft"),
    "xenograft": ("zooplastic", "graft"),
    # A shunt reroutes contents: the Bypass definition ("altering the route of passage").
    "shunt": ("bypass",),
    "knee": ("knee", "joint"),
    "hip": ("hip", "joint"),
    "shoulder": ("shoulder", "joint"),
    "umbilical": ("abdominal", "wall"),
    "ventral": ("abdominal", "wall"),
    "great": ("1st",),
    "big": ("1st",),
    "hallux": ("1st", "toe"),
    "ventilation": ("respiratory",),
    "dialysis": ("filtration", "urinary"),
    "hemodialysis": ("filtration", "urinary"),
    "heart": ("cardiac",),
    # A tube, catheter or drain left in place is a device (a drain one for drainage).
    "tube": ("device",),
    "catheter": ("device",),
    "drain": ("drainage", "device"),
    "femoral": ("femur",),
    "thigh": ("upper", "leg"),
    "forearm": ("lower", "arm"),
    "shin": ("lower", "leg"),
    "first": ("1st",),
    "second": ("2nd",),
    "third": ("3rd",),
    "fourth": ("4th",),
    "fifth": ("5th",),
    "foreign": ("extirpation",),
}

# Combining forms of compound terms -> the anatomy words they stand for (textbook roots).
COMBINING_FORMS: dict[str, tuple[str, ...]] = {
    "append": ("appendix",),
    "arthr": ("joint",),
    "angi": ("vessel",),
    "aort": ("aorta",),
    "arter": ("artery",),
    "blephar": ("eyelid",),
    "bronch": ("bronchus", "bronchial"),
    "alveol": ("alveolar", "lung"),
    "cardi": ("heart",),
    "cholecyst": ("gallbladder",),
    "choledoch": ("common", "bile", "duct"),
    "col": ("colon", "large", "intestine"),
    "colp": ("vagina",),
    "crani": ("cranial",),
    "cyst": ("bladder",),
    "duoden": ("duodenum",),
    "enter": ("intestine",),
    "esophag": ("esophagus",),
    "gastr": ("stomach",),
    "gloss": ("tongue",),
    "hepat": ("liver",),
    "hyster": ("uterus",),
    "ile": ("ileum",),
    "jejun": ("jejunum",),
    "lapar": ("abdomen", "peritoneal"),
    "laryng": ("larynx",),
    "lob": ("lobe",),
    "mast": ("breast",),
    "mamm": ("breast",),
    "menisc": ("knee", "joint"),
    "my": ("muscle",),
    "myring": ("tympanic", "membrane"),
    "nephr": ("kidney",),
    "neur": ("nerve",),
    "oophor": ("ovary",),
    "orchi": ("testis",),
    "oste": ("bone",),
    "pancreat": ("pancreas",),
    "pericardi": ("pericardium", "pericardial"),
    "pharyng": ("pharynx",),
    "phleb": ("vein",),
    "pleur": ("pleura", "pleural"),
    "pneum": ("lung",),
    "proct": ("rectum",),
    "prostat": ("prostate",),
    "pyel": ("kidney", "pelvis"),
    "rhin": ("nose",),
    "salping": ("fallopian", "tube"),
    "sigmoid": ("sigmoid", "colon"),
    "splen": ("spleen",),
    "stern": ("sternum",),
    "thorac": ("chest", "pleural"),
    "thora": ("chest", "pleural"),
    "thyroid": ("thyroid",),
    "tonsill": ("tonsils",),
    "trache": ("trachea",),
    "ureter": ("ureter",),
    "urethr": ("urethra",),
    "vas": ("vas", "deferens"),
    "ventricul": ("ventricle",),
    "para": ("peritoneal",),
    "parathyroid": ("parathyroid",),
    "sept": ("septum",),
    "orchid": ("testis",),
    "lumb": ("lumbar",),
    "periton": ("peritoneal",),
}
# Suffixes of compound terms; which root operations each means is read from the Index.
# Longest first, so "tracheostomy" ends in "ostomy" before "tomy".
SUFFIXES = tuple(
    sorted(
        (
            "ectomy",
            "otomy",
            "tomy",
            "ostomy",
            "stomy",
            "plasty",
            "orrhaphy",
            "rrhaphy",
            "pexy",
            "scopy",
            "scopic",
            "centesis",
            "lysis",
            "desis",
            "tripsy",
            "graphy",
            "gram",
        ),
        key=len,
        reverse=True,
    )
)
# "CABG x3": the count of bypassed coronary arteries, as the tables word it.
_GRAFT_COUNT = re.compile(r"\b(bypass(?: graft)?|cabg)\s*x\s?([1-4])\b", re.I)
_COUNTS = {
    "1": "one artery",
    "2": "two arteries",
    "3": "three arteries",
    "4": "four or more arteries",
}
_SCOPES = frozenset({"scopy", "scopic"})
_SPINE = re.compile(r"\b([ctls])(\d{1,2})\b(?:\s*-\s*[ctls]?\d{1,2})?", re.I)
_SPINE_WORDS = {"c": "cervical", "t": "thoracic", "l": "lumbar", "s": "sacrum"}
_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*|&")


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.Stemmer:
    """The one English Snowball stemmer (used only under ``_LOCK``)."""
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """The comparable stem of one lower-case word."""
    # Snowball keeps "-y" as "i" ("laparoscopi") but drops "-ic" ("laparoscop"); dropping
    # that final "i" of a longer stem lets "laparoscopy" meet "laparoscopic".
    with _LOCK:
        stemmed: str = _stemmer().stemWord(word)
    if len(stemmed) > 5 and stemmed.endswith("i"):  # not "testi" (testis) -> "test"
        stemmed = stemmed[:-1]
    return stemmed


def same(a: str, b: str) -> bool:
    """Whether two stems are the same word, allowing a short ending ("excis" ~ "excision")."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if not long_.startswith(short):
        return False
    extra = len(long_) - len(short)
    # Four-letter stems ("uret" of ureter, "ulna") take only a two-letter ending ("ureter").
    return (len(short) >= MIN_PREFIX and extra <= MAX_EXTRA) or (len(short) == 4 and extra <= 2)


def tokens(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` (hyphenated words kept whole)."""
    return _TOKEN.findall(text.lower())


@lru_cache(maxsize=1 << 17)
def content_stems(text: str) -> tuple[str, ...]:
    """Stems of the words of a label or title that carry meaning (no stop or side words)."""
    found: list[str] = []
    for token in tokens(text.replace("(", " ").replace(")", " ")):
        if token in STOP or token in SIDE_WORDS:
            continue
        found.extend(_token_stems(token))
    return tuple(dict.fromkeys(found))


def _token_stems(token: str) -> list[str]:
    """A token's stem, and for a hyphenated one its parts' ("drug-eluting": drug, elut)."""
    # A "non-" word stays whole: "non-excisional" must not read as "excisional".
    if "-" not in token:
        return [stem(token)]
    whole = stem(token)
    if token.startswith("non-"):
        return [whole]
    return [whole, *(stem(part) for part in token.split("-") if part and part not in STOP)]


def split_compound(word: str) -> tuple[tuple[str, ...], str]:
    """(anatomy words, suffix) of a compound: 'cholecystectomy' -> (gallbladder,), 'ectomy'."""
    # A word without a known suffix is a compound only when two or more combining forms make
    # it up ("ventriculoperitoneal"), so that ordinary words are not read as word parts.
    suffix = next((s for s in SUFFIXES if word.endswith(s) and len(word) > len(s) + 2), "")
    stem_part = word[: len(word) - len(suffix)] if suffix else word
    anatomy: list[str] = []
    found = 0
    # Read combining forms left to right, longest first ("cholecyst" before "col").
    forms = sorted(COMBINING_FORMS, key=len, reverse=True)
    position = 0
    while position < len(stem_part):
        form = next((f for f in forms if stem_part.startswith(f, position)), None)
        if form is None:
            position += 1
            continue
        anatomy.extend(COMBINING_FORMS[form])
        found += 1
        position += len(form)
    if not suffix and found < 2:
        return (), ""
    return tuple(anatomy), suffix


@dataclass(frozen=True)
class Words:
    """A description's words ready for matching."""

    text: str  # after abbreviation expansion
    stems: frozenset[str]  # what the description says (negated words left out)
    derived: frozenset[str]  # anatomy read from word parts and synonyms (weaker evidence)
    route: frozenset[str]  # anatomy of a scope word ("bronchoscopy"): the way in, not the site
    negated: frozenset[str]  # stems said not to apply ("without mesh")
    suffixes: tuple[str, ...]  # compound suffixes present ("ectomy", "scopy")
    side: str  # "Right", "Left", "Bilateral" or ""
    numbers: tuple[float, ...]
    # Answers already given by ``has`` (a build asks the same stems thousands of times).
    _seen: dict[tuple[str, bool, bool], bool] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def has(self, word_stem: str, derived: bool = True, route: bool = False) -> bool:
        """Whether the description says ``word_stem`` (optionally through derived words)."""
        key = (word_stem, derived, route)
        found = self._seen.get(key)
        if found is None:
            pool = self.stems
            if derived:
                pool = pool | self.derived
            if route:
                pool = pool | self.route
            found = word_stem in pool or any(same(word_stem, s) for s in pool)
            self._seen[key] = found
        return found

    def without(self, used: frozenset[str]) -> Words:
        """These words less the stems another character of the code has already used."""
        if not used:
            return self
        return replace(self, stems=self.stems - used, derived=self.derived - used)


def expand(text: str) -> str:
    """``text`` with abbreviations written out and spine levels ("L4-L5") named."""
    expanded = _GRAFT_COUNT.sub(lambda m: f"{m.group(1)} {_COUNTS[m.group(2)]}", text)
    for pattern, replacement in _ABBREVIATION:
        expanded = pattern.sub(replacement, expanded)
    return _SPINE.sub(lambda m: f"{_SPINE_WORDS[m.group(1).lower()]} vertebral", expanded)


def analyse(text: str) -> Words:
    """Read a procedure description into :class:`Words`."""
    expanded = expand(text)
    stems: list[str] = []
    derived: list[str] = []
    route: list[str] = []
    negated: list[str] = []
    suffixes: list[str] = []
    negating = False
    for raw in re.split(r"([,;.()]| with | and )", expanded.lower()):
        if raw in (",", ";", ".", "(", ")", " with ", " and "):
            negating = False
            continue
        for token in tokens(raw):
            if token in NEGATIONS:
                negating = True
                continue
            if token in STOP or token in SIDE_WORDS:
                continue
            if token.startswith("non-"):
                negated.append(stem(token[4:]))
            parts = [token] if token.startswith("non-") else [token, *token.split("-")]
            for part in dict.fromkeys(parts):
                anatomy, suffix = split_compound(part)
                extra = [stem(w) for w in (*anatomy, *SYNONYMS.get(part, ()))]
                if negating:
                    negated.extend([stem(part), *extra])
                    continue
                stems.append(stem(part))
                (route if suffix in _SCOPES else derived).extend(extra)
                if suffix:
                    suffixes.append(suffix)
    return Words(
        text=expanded,
        stems=frozenset(stems),
        derived=frozenset(derived) - frozenset(negated),
        route=frozenset(route),
        negated=frozenset(negated),
        suffixes=tuple(dict.fromkeys(suffixes)),
        side=_side(expanded),
        numbers=tuple(float(n) for n in re.findall(r"\b\d+(?:\.\d+)?\b", text)),
    )


def _side(text: str) -> str:
    """The side a description names: Right, Left, Bilateral (both named, or said) or ""."""
    found = {SIDE_WORDS[t] for t in tokens(text) if t in SIDE_WORDS}
    if "Bilateral" in found or {"Right", "Left"} <= found:
        return "Bilateral"
    return next(iter(found), "")
