"""The bookings forecast on the executive summary: the forecast page's own number, not a second
forecast.

:func:`page_outlook` is :func:`~salesops_lib.forecast.blend.outlook` with the forecast page's
settings (the page's total does not depend on its breakdown by team; a run that changes the
page's settings changes the summary's too), so the two pages show one number for one period;
:func:`brief_view` shows the cards a leader needs, taken from the forecast page's own
(:func:`~salesops_lib.forecast.views.headline`), so wording and rounding match too.
"""

from __future__ import annotations

from .. import viz
from ..performance.scorecard import is_lazy
from . import blend
from .views import closed, final_result, headline

#: Why a summary on a source kept in the database shows no forecast.
LAZY_NOTE = ("No forecast here: it reads every deal in memory, which this summary does not do "
             "for a source this large; the bookings forecast page has it")


def page_outlook(ds, period, **settings) -> blend.Outlook | str:
    """The forecast page's outlook of ``period``, or the reason there is none, as a sentence:
    too little history on the forecast's date (:class:`blend.NotForecastable`), or a source
    kept in the database (:data:`LAZY_NOTE`).

    ``settings`` are the page's (``granularity``, ``model``, ``horizon``, ``periods_back``,
    ``seed``; by default :func:`blend.outlook`'s, which the page uses too): a report run passes
    the summary whatever it gives the page (:data:`salesops_lib.report.params.FOLLOWS`)."""
    if is_lazy(ds):
        return LAZY_NOTE
    try:
        return blend.outlook(ds, period, **settings)
    except blend.NotForecastable as e:
        return str(e)


def brief_cards(ds, ol: blend.Outlook) -> list[tuple]:
    """Cards for :func:`salesops_lib.viz.kpis`. While the period runs: the forecast with its
    range, and against quota. Once it is over: the forecast made on its first day with its
    range and whether the result fell inside, and its error against the final result
    (forecast ÷ result − 1: positive when the forecast was too high)."""
    cards = headline(ol, ds)
    final = final_result(ds, ol.period)
    if final is None or not closed(ol):
        return cards[:2]
    value = float(ol.summary.set_index("source").at["blend", "value"])
    error = (viz.signed_pct(value / final - 1) if final > 0 else "–",
             f"forecast {viz.money(value)} against the final {viz.money(final)}")
    return [cards[-1], ("forecast vs result", *error)]


def brief_view(ds, ol: blend.Outlook | str):
    """:func:`brief_cards` as a row of cards, or the reason there is no forecast."""
    if isinstance(ol, str):
        return viz.callout(ol.rstrip(".") + ".")
    return viz.kpis(brief_cards(ds, ol))
