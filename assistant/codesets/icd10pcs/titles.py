"""Long titles for ICD-10-PCS codes, built from the labels of their seven characters.

CMS publishes each code's long title in a separate order file; this module rebuilds titles in
the same style from the table labels alone. The rule, read off CMS long titles such as
"Resection of Appendix, Percutaneous Endoscopic Approach",
"Replacement of Left Knee Joint with Synthetic Substitute, Cemented, Open Approach",
"Insertion of Pacemaker Lead into Right Atrium, Percutaneous Approach" and
"Excision of Stomach, Via Natural or Artificial Opening Endoscopic, Diagnostic":

1. the root operation leads, with the body part joined the way the operation reads
   ("Resection of X", "Repair X", "Insertion of <device> into X", "Bypass X to <qualifier>");
2. a body-part label "Knee Joint, Left" reads "Left Knee Joint" (the part after the comma
   comes first) unless it counts vessels or names a segment ("Coronary Artery, One Artery",
   "Stomach, Pylorus"), which CMS keeps as written;
3. the device follows as "with <device>" (or is the object, for Insertion, Removal, Change,
   Revision), "Intraluminal Device, Drug-eluting" reading "Drug-eluting Intraluminal Device";
   "No Device", "No Qualifier" and "None" are left out;
4. other qualifiers come before the approach, "Diagnostic" and "New Technology Group N" after;
5. the approach ends the title as "<label> Approach" ("Via Natural or Artificial Opening..."
   labels already read as an approach and stay as they are).

Sections outside Medical and Surgical follow the same pattern with their own axes ("Fluoroscopy
of Superior Vena Cava using Other Contrast", "Introduction of Nutritional Substance into
Peripheral Vein, Percutaneous Approach"). The result matches CMS for the common shapes; rare
ones (obstetric drainage, some Administration qualifiers) may differ in word order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Tails CMS keeps after the comma: counts of vessels and named segments of one organ.
_KEEP_TAIL = re.compile(
    r"^(One|Two|Three|Four or More) Arter(y|ies)$|^(Pylorus|Ascending/Arch|Descending)$"
)
_COUNT = re.compile(r"^(Two|Three|Four or More)$")
_AFTER_APPROACH = re.compile(r"^(Diagnostic|New Technology Group \d+)$")
_NONE = re.compile(r"^(No [A-Z][a-z]+|None)$")

# Root operations whose title joins the body part without "of" (CMS: "Repair Abdominal Wall").
_BARE = frozenset({"Release", "Repair", "Supplement", "Reposition", "Map", "Transfer"})
# Root operations whose device is the object: operation, device, joining word, body part.
_DEVICE_OBJECT = {"Insertion": "into", "Removal": "from", "Change": "in", "Revision": "in"}
_JOIN = {
    "Extirpation": "of Matter from",
    "Control": "Bleeding in",
    "Detachment": "at",
    "Fragmentation": "in",
}
# Sections whose fifth character is an approach and whose sixth is a device.
_SURGICAL = frozenset("01X")


def body_part_title(label: str) -> str:
    """'Knee Joint, Left' -> 'Left Knee Joint'; kept as is when CMS keeps the comma."""
    if label.count(",") != 1:
        return label
    head, tail = (part.strip() for part in label.split(","))
    if _KEEP_TAIL.match(tail):
        return label
    return f"{tail} {head}"


def device_title(label: str) -> str:
    """'Intraluminal Device, Drug-eluting' -> 'Drug-eluting Intraluminal Device' (CMS style)."""
    parts = [part.strip() for part in label.split(",")]
    if len(parts) > 1 and _COUNT.match(parts[-1]):
        # "Intraluminal Device, Drug-eluting, Three" -> "Three Drug-eluting Intraluminal Devices"
        return f"{parts[-1]} {device_title(', '.join(parts[:-1]))}s"
    if label.count(",") != 1:
        return label
    head, tail = (part.strip() for part in label.split(","))
    if re.fullmatch(r"[\w-]+(ed|ing)", tail):
        return f"{tail} {head}"  # "Tunneled Vascular Access Device"
    if head == "Cardiac Lead":
        return f"{tail} Lead"  # "Pacemaker Lead"
    if head == "Intraluminal Device":
        return tail  # CMS names the specific device: "Endotracheal Airway"
    return label  # "Pacemaker, Dual Chamber"


def approach_title(label: str) -> str:
    """'Open' -> 'Open Approach'; 'Via Natural or Artificial Opening' stays as written."""
    return label if label.startswith("Via ") else f"{label} Approach"


def long_title(section: str, labels: Sequence[str]) -> str:
    """The long title of a code from its section character and its seven labels (1..7)."""
    if section in _SURGICAL:
        return _surgical(labels)
    if section == "2":
        return f"{labels[2]} of {body_part_title(labels[3])} {_using(labels[5])}".strip()
    if section == "3":
        return _administration(labels)
    return _other(section, labels)


def _surgical(labels: Sequence[str]) -> str:
    """Medical and Surgical, Obstetrics and New Technology titles."""
    operation, part, approach, device, qualifier = (
        labels[2],
        labels[3],
        labels[4],
        labels[5],
        labels[6],
    )
    part = body_part_title(part)
    device = "" if _NONE.match(device) else device_title(device)
    qualifier = "" if _NONE.match(qualifier) else qualifier
    if operation in _DEVICE_OBJECT and device:
        head = f"{operation} of {device} {_DEVICE_OBJECT[operation]} {part}"
        if operation == "Change":
            head = f"Change {device} in {part}"
        device = ""
    elif operation in ("Bypass", "Transfer") and qualifier:
        joiner = "from" if part.startswith("Coronary Artery") else "to"
        head = f"{operation} {part} {joiner} {qualifier}"
        qualifier = ""
    elif operation in _JOIN:
        head = f"{operation} {_JOIN[operation]} {part}"
    elif operation in _BARE:
        head = f"{operation} {part}"
    else:
        head = f"{operation} of {part}"
    if device:
        head = f"{head} with {device}"
    after = qualifier if _AFTER_APPROACH.match(qualifier) else ""
    before = "" if after else qualifier
    return _join(head, before, approach_title(approach), after)


def _administration(labels: Sequence[str]) -> str:
    """Administration: 'Introduction of <substance> into <site>, <approach>'."""
    operation, site, approach, substance, qualifier = (
        labels[2],
        labels[3],
        labels[4],
        labels[5],
        labels[6],
    )
    qualifier = "" if _NONE.match(qualifier) else qualifier
    if operation == "Irrigation":
        return _join(f"Irrigation of {site} using {substance}", approach_title(approach))
    if qualifier and set(substance.split()) <= set(qualifier.split()):
        substance, qualifier = qualifier, ""  # "Other Thrombolytic" refines "Thrombolytic"
    elif qualifier and set(qualifier.split()) <= set(substance.split()):
        qualifier = ""
    if operation == "Transfusion" and qualifier in ("Autologous", "Nonautologous"):
        substance, qualifier = f"{qualifier} {substance}", ""
    joiner = "into" if operation in ("Introduction", "Transfusion") else "of"
    return _join(f"{operation} of {substance} {joiner} {site}", approach_title(approach), qualifier)


def _other(section: str, labels: Sequence[str]) -> str:
    """Every other section: '<type> of <site>' then the remaining labels that say something."""
    kept = ["" if _NONE.match(label) else label for label in labels]
    operation, site = kept[2], body_part_title(kept[3])
    if section in "45":
        # "Measurement of Cardiac Sampling and Pressure, Left Heart, Percutaneous Approach",
        # "Assistance with Cardiac Output using Balloon Pump, Continuous".
        joiner = "with" if operation == "Assistance" else "of"
        head = f"{operation} {joiner} {kept[3]} {kept[5]}".strip()
        if section == "4":
            return _join(head, kept[6], approach_title(kept[4]) if kept[4] else "")
        return _join(f"{head} {_using(labels[6])}".strip(), kept[4])
    if section == "6":
        return _join(
            f"{operation} of {kept[6] or kept[3]}", kept[4], kept[5]
        )  # "Pheresis of Plasma, Multiple"
    if section in "789" and kept[5]:
        approach = approach_title(kept[4]) if kept[4] and section == "8" else kept[4]
        return _join(
            f"{kept[5]} of {site}", approach, kept[6]
        )  # "Robotic Assisted Procedure of ..."
    if section in "BCD":
        # "Fluoroscopy of Superior Vena Cava using Other Contrast, Guidance".
        return _join(f"{operation} of {site} {_using(labels[4])}".strip(), kept[5], kept[6])
    return _join(f"{operation} of {site}", *kept[4:])


def _using(label: str) -> str:
    """'using <label>' unless the label is a 'None' value."""
    return "" if _NONE.match(label) else f"using {label}"


def _join(*parts: str) -> str:
    """The non-empty parts joined by commas."""
    return ", ".join(part for part in parts if part)
