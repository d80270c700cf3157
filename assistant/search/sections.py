"""Ranking guideline sections for a case question: what a passage's title says beyond the
question.

Many sections of the Official Guidelines restate a rule for one circumstance: a postprocedural
infection, a newborn, a pregnancy (I.C.1.d.5 beside I.C.1.d.2, I.C.16.f beside I.C.1.d.1).
A question that states no such circumstance is about the general rule, so a section whose
title names one ranks after a section that fits as well without it, as a code whose title
names a newborn or a pregnancy does for a lookup (Guidelines I.C.15.a, I.C.16.a).
"""

from __future__ import annotations

from assistant.text.stems import terms

# Circumstances a section's title may restrict its rule to.
CIRCUMSTANCES = terms(
    "postprocedural postoperative intraoperative procedure surgery surgical "
    "newborn neonatal perinatal fetal fetus "
    "pregnancy pregnant childbirth puerperium puerperal obstetric abortion maternal"
)
# Cosine-similarity units a section loses per circumstance its title names and the question
# does not (at most one counted). Chosen on knowledge/eval/guidelines_cases_dev (0, 0.02,
# 0.05, 0.1 tried; see the ranking register), checked on its holdout and on the guideline
# questions of ../shared/eval.
CIRCUMSTANCE_PENALTY = 0.05


def unstated_circumstance(question: str, title: str) -> float:
    """The score a section loses for restricting its rule to a circumstance the question does
    not state ("Postprocedural infection and postprocedural septic shock" for a question about
    septic shock)."""
    asked = terms(question)
    named = (terms(title) & CIRCUMSTANCES) - asked
    return -CIRCUMSTANCE_PENALTY if named else 0.0
