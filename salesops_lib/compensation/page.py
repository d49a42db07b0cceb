"""What a page of the quotas and compensation report shows: the whole plan, or one rep's pay.

The report (``notebooks/quotas_compensation.ipynb``) renders two kinds of page from the same
notebook, told apart by its ``rep`` parameter:

* the **whole-plan page** (``rep`` empty): company headline cards (quota total, capacity, plan
  cost), quota setting, fairness, the backtest, the pay curve with the top payouts, and the
  plan cost with its backtest and sensitivity: every section of :data:`SECTIONS`;
* a **pay statement** (``rep`` set; ``salesops report --per rep`` renders one per rep under
  ``statements/``): the rep is shown their own pay and nothing that names or sums other reps'
  pay: the rep's headline cards (their plan, quota, credited bookings, attainment, earnings
  and payout with its parts, :func:`headline`), the statement lines and next tier, and the
  plan's pay curve. Sections marked ``statement=False`` in :data:`SECTIONS` are left out:
  their heading is not written (:func:`heading`) and their steps are neither computed nor
  drawn (:func:`plan_only`).

The notebook stays free of branches: a section's heading is one call, and each step of a
whole-plan section goes through :func:`plan_only`.
"""

from __future__ import annotations

from typing import NamedTuple

from .narrative import key_numbers
from .statements import rep_headline


class Section(NamedTuple):
    """A section of the report: its ``##`` heading (empty for a paragraph that continues the
    section before it), its one-sentence introduction (empty for a step the notebook shows
    without one), and whether a rep's pay statement shows it."""

    heading: str
    sentence: str
    statement: bool


#: The report's sections in page order. ``statement`` False: the section shows company-wide
#: numbers or other reps (quota splits, fairness, top payouts, plan cost), so it is only on the
#: whole-plan page.
SECTIONS: dict[str, Section] = {
    "headline": Section("", "", True),         # the company's cards, or the rep's own
    "basis": Section("", "", False),           # what proposed quotas were set from
    "pay_period": Section("", "", True),       # the plan period paid (a month on a quarter)
    "statement": Section("Pay statement", "One rep's pay for the period, line by line: every "
                         "line names its deal, rule and tier, and the lines add up to the "
                         "payout.", True),
    "quota_methods": Section("Quota by team and method", "The same company number split by "
                             "each method, set from what was known the day before the "
                             "period.", False),
    "fairness": Section("Fairness", "Whether attainment follows territory potential or tenure "
                        "rather than the rep, and how evenly it spreads.", False),
    "backtest": Section("Backtest of the quota methods", "Each method's quotas for last year, "
                        "set before it began, against what reps then sold.", False),
    "pay_curve": Section("Pay curve", "What the plan pays per period at each level of "
                         "attainment, with and without the gate met.", True),
    "payouts": Section("", "", False),         # top payouts and the total over every rep
    "cost": Section("Plan cost", "Total pay for the period across simulated outcomes, drawn "
                    "from each rep's history and the pipeline forecast.", False),
    "cost_backtest": Section("", "Whether the simulated band can be trusted: the same "
                             "simulation replayed on past quarters, against what they "
                             "actually cost.", False),
    "sensitivity": Section("", "How P50 cost moves when each plan parameter moves by 10%, on "
                           "the same simulated outcomes.", False),
}


def sections(rep: str = "") -> tuple[str, ...]:
    """Names of the sections (keys of :data:`SECTIONS`, in page order) that the page shows:
    all of them on the whole-plan page (``rep`` empty), only those a pay statement may show
    (the rep's own numbers and the plan's curve) when ``rep`` is set."""
    return tuple(name for name, s in SECTIONS.items() if not rep or s.statement)


def shows(section: str, rep: str = "") -> bool:
    """Whether the page for ``rep`` ("" for the whole plan) shows ``section``."""
    if section not in SECTIONS:
        raise KeyError(f"no section {section!r} in the report (sections: "
                       f"{', '.join(SECTIONS)})")
    return section in sections(rep)


def heading(section: str, rep: str = ""):
    """The section's heading and introductory sentence as Markdown, or nothing when the page
    for ``rep`` does not show the section (a statement leaves out whole-plan sections,
    heading and all)."""
    from IPython.display import Markdown

    if not shows(section, rep):
        return None
    s = SECTIONS[section]
    if not (s.heading or s.sentence):
        return None
    return Markdown((f"## {s.heading}\n" if s.heading else "") + s.sentence)


def plan_only(rep: str, step, *args, **kwargs):
    """``step(*args, **kwargs)`` on the whole-plan page; ``None`` on a rep's pay statement,
    without calling ``step`` (nothing computed, drawn or shown). Every step of a section that
    :func:`sections` leaves out of a statement goes through here."""
    if rep:
        return None
    return step(*args, **kwargs)


def headline(pay, rep: str, quotas, capacity, forecast, sim) -> list:
    """The page's headline cards (for :func:`salesops_lib.viz.kpis`).

    On the whole-plan page (``rep`` empty), :func:`narrative.key_numbers` of ``quotas``,
    ``capacity``, ``forecast`` and ``sim``: quota total, capacity, reps expected at quota and
    plan cost. On a statement, only ``rep``'s own numbers from the pay run ``pay``
    (:func:`statements.rep_headline`: plan, quota, credited, attainment, earnings and payout
    with its parts); the company arguments are ignored (on a statement they are ``None``,
    see :func:`plan_only`).
    """
    if rep:
        return rep_headline(pay, rep)
    return key_numbers(quotas, capacity, forecast, sim)
