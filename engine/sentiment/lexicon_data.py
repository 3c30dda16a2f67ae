"""Finance word list for the lexicon model: valences on VADER's -4..+4 scale, neutralised words, phrases."""

from __future__ import annotations


def _forms(valence: float, *words: str) -> dict[str, float]:
    return {w: valence for w in words}


# Loughran-McDonald-style tone words as they appear in market headlines. VADER lacks most of them
# ("beats", "plunge", "probe") or scores them too softly ("miss" -0.6, "warns" -0.4).
POSITIVE: dict[str, float] = {
    **_forms(2.0, "beat", "beats", "outperform", "outperforms", "outperformed", "outperformance"),
    **_forms(2.0, "upgrade", "upgrades", "upgraded", "bullish", "upbeat", "stellar", "bumper", "blowout"),
    **_forms(2.2, "surge", "surges", "surged", "surging", "soar", "soars", "soared", "soaring"),
    **_forms(1.8, "rally", "rallies", "rallied", "rallying", "skyrocket", "skyrockets", "zooms"),
    **_forms(1.5, "jump", "jumps", "jumped", "jumping", "spurt", "spurts", "rebound", "rebounds", "rebounded"),
    **_forms(1.3, "climb", "climbs", "climbed", "climbing", "rise", "rises", "rose", "rising", "advance",
             "advances", "advanced", "gain", "gains", "gained", "recover", "recovers", "recovered", "recovery"),
    **_forms(1.2, "expand", "expands", "expanded", "accelerates", "accelerated", "inflows", "upside",
             "resilient", "resilience", "tailwinds", "robust", "firm", "firmer", "buoyant"),
    **_forms(1.8, "overweight", "profitable", "buyback", "buybacks", "nod", "bags", "clinches"),
    **_forms(2.0, "profit", "profits", "approval", "approves", "approved"),
}

NEGATIVE: dict[str, float] = {
    **_forms(-1.8, "miss", "misses", "missed", "underperform", "underperforms", "underperformed"),
    **_forms(-2.0, "downgrade", "downgrades", "downgraded", "bearish", "underweight", "headwinds"),
    **_forms(-2.5, "plunge", "plunges", "plunged", "plunging", "crash", "crashes", "crashed", "rout"),
    **_forms(-2.2, "tumble", "tumbles", "tumbled", "slump", "slumps", "slumped", "sink", "sinks", "sank",
             "nosedive", "nosedives", "tank", "tanks", "tanked", "selloff", "sell-off"),
    **_forms(-1.5, "slide", "slides", "slid", "fall", "falls", "fell", "falling", "drop", "drops",
             "dropped", "decline", "declines", "declined", "declining", "dip", "dips", "dipped", "slips",
             "slipped", "slows", "slowed", "slowdown", "outflows", "weakens", "subdued", "muted"),
    **_forms(-2.0, "loss", "losses", "loss-making", "warns", "warned", "warning", "downturn", "layoffs",
             "layoff", "recall", "recalls", "recalled", "curbs", "curb", "halts", "halted", "suspends",
             "delays", "writedown", "write-off", "impairment", "delisting", "jitters", "glut", "shortfall"),
    **_forms(-2.0, "probe", "probes", "probed", "probing", "scrutiny", "investigation", "raid", "raids",
             "raided", "fined", "penalised", "penalized", "penalty", "lawsuit", "sues", "sued", "allegations",
             "alleged", "discrepancies", "irregularities", "lapses", "default", "defaults", "defaulted", "fines",
             "misuse", "misused", "misusing", "misappropriation", "siphoning", "embezzlement"),
    **_forms(-2.8, "fraud", "scam", "bribery", "laundering", "indicted", "insolvency", "insolvent",
             "bankruptcy", "bankrupt", "collapse", "collapses", "collapsed", "manipulation", "rigging"),
    "fine": -1.0,  # in filings a fine is a penalty, not "fine" (VADER +0.8)
}

# Words a general-purpose lexicon scores but that are neutral in finance (Loughran & McDonald 2011:
# "tax", "liability", "vice", "crude", "cancer", "mine", "board"), plus index and company names VADER
# reads as sentiment ("Nifty", "Yes Bank", "Hero MotoCorp", "United Spirits", "Sun Pharma").
NEUTRALISED: tuple[str, ...] = (
    "share", "shares", "crude", "vice", "liability", "liabilities", "tax", "taxes", "cancer", "mine",
    "interest", "credit", "security", "securities", "gross", "limited", "free", "bonus", "holiday",
    "nifty", "yes", "hero", "united", "trust", "care", "dear", "capital", "charges", "charged", "exposed",
    "matter", "justice", "like", "critical",
)

# Multi-word cues, joined into one token before scoring. Each entry: (cue substrings, at least one of
# which a matching headline must contain; regex on lower-cased text; replacement token; valence, or None
# for a neutral token that only stops its words from scoring). The cues let most headlines skip the regex.
_ESTIMATES = r"(?:\w+ ){0,2}(?:estimates?|expectations?|forecasts?|consensus|street|views?)"
_OUTLOOK = r"(?:\w+ ){0,3}(?:guidance|outlook|forecasts?|targets?|view)"
_EST_CUES = ("estimate", "expectation", "forecast", "consensus", "street", "view")
_OUTLOOK_CUES = ("guidance", "outlook", "forecast", "target", "view")
PHRASES: tuple[tuple[tuple[str, ...], str, str, float | None], ...] = (
    (("record",), r"\brecord (?:dates?|day)\b", "record_date", None),
    (("high",), r"\b(?:record|all[- ]time|lifetime|52[- ]week|multi[- ]year|fresh) highs?\b", "new_high", 2.3),
    (("low",), r"\b(?:record|all[- ]time|lifetime|52[- ]week|multi[- ]year|fresh) lows?\b", "new_low", -2.3),
    (("record",), r"\brecord (?:\w+ )?(?:profits?|earnings|revenues?|sales|orders?|inflows|margins?)\b",
     "record_profit", 2.8),
    (("record",), r"\brecord (?:\w+ )?(?:loss|losses|outflows|deficit)\b", "record_loss", -2.8),
    (_EST_CUES, r"\b(?:beats?|beating|tops|topped|exceeds?|exceeded|surpass(?:es|ed)?|trumps?) " + _ESTIMATES
     + r"\b", "beat_estimates", 2.5),
    (_EST_CUES, r"\b(?:miss(?:es|ed)?|lags?|trails?|falls? short of|fell short of|below) " + _ESTIMATES + r"\b",
     "missed_estimates", -2.5),
    (_OUTLOOK_CUES, r"\b(?:raises?|raised|hikes?|hiked|lifts?|lifted|ups|upgrades?|boosts?) " + _OUTLOOK
     + r"\b", "raised_guidance", 2.5),
    (_OUTLOOK_CUES, r"\b(?:cuts?|lowers?|lowered|slash(?:es|ed)?|trims?|trimmed|reduces?|reduced|withdraws?) "
     + _OUTLOOK + r"\b", "cut_guidance", -2.5),
    (("warning", "alert"), r"\bprofit (?:warning|alert)s?\b", "profit_warning", -2.5),
    (("booking", "taking"), r"\bprofit[- ](?:booking|taking)\b", "profit_booking", -0.8),
    (("cut",), r"\b(?:job|jobs|workforce|staff) cuts?\b", "job_cuts", -2.0),
    (("cut",), r"\b(?:rate|rates|repo|tax|duty|price|fee|fees|gst) (?:cut|cuts)\b", "rate_cut", None),
    (("green", "circuit", "bull"), r"\b(?:upper circuit|in the green|bull run|bull market)\b", "in_the_green", 1.8),
    (("red", "circuit", "bear"), r"\b(?:lower circuit|in the red|bear market|bear grip)\b", "in_the_red", -1.8),
    (("loan",), r"\bbad loans?\b", "bad_loans", -2.0),
    (("price",), r"\b(?:price|share|stock) price\b", "price", None),
)

FINANCE_LEXICON: dict[str, float] = {**POSITIVE, **NEGATIVE}
for _cues, _pattern, _token, _valence in PHRASES:
    if _valence is not None:
        FINANCE_LEXICON[_token] = _valence
