"""Finance lexicon scorer: VADER's rules over VADER's lexicon updated with a finance word list, made fast."""

from __future__ import annotations

import math
import re
import string
from functools import lru_cache

from vaderSentiment import vaderSentiment as vader

from engine.sentiment.lexicon_data import FINANCE_LEXICON, NEUTRALISED, PHRASES

THRESHOLD = 0.05  # |compound| below this is neutral (VADER's convention)
_NEGATE = frozenset(vader.NEGATE)
_BOOSTERS = vader.BOOSTER_DICT
_SPECIAL = vader.SPECIAL_CASES
_PHRASES = tuple((re.compile(pattern), token) for _, pattern, token, _ in PHRASES)
_NO_PHRASES: frozenset[int] = frozenset()
_CUE_PHRASES: dict[str, list[int]] = {}  # cue -> indexes of the phrases that need it
for _i, (_cues, *_) in enumerate(PHRASES):
    for _cue in _cues:
        _CUE_PHRASES.setdefault(_cue, []).append(_i)
_CUES = re.compile("(?=(" + "|".join(re.escape(c) for c in sorted(_CUE_PHRASES)) + "))")  # overlapping
_STOPWORDS = frozenset({"the", "of", "to", "for", "a"})
# Words whose presence changes VADER's arithmetic beyond adding up valences: boosters, negations, the
# "but"/"least"/"kind of"/"so"/"this" rules and the words of VADER's special idioms ("the bomb").
_MODIFIERS = frozenset(
    {w for key in [*vader.BOOSTER_DICT, *vader.SPECIAL_CASES] for w in key.split() if w not in _STOPWORDS}
    | set(vader.NEGATE) | {"no", "but", "least", "kind", "so", "this", "never", "without", "doubt"}
)
_TOKEN_TABLE_MAX = 500_000


@lru_cache(maxsize=1)
def finance_analyzer() -> vader.SentimentIntensityAnalyzer:
    """VADER with its lexicon updated by the finance word list (built once; read-only afterwards)."""
    analyzer = vader.SentimentIntensityAnalyzer()
    for word in NEUTRALISED:
        analyzer.lexicon.pop(word, None)
    analyzer.lexicon.update(FINANCE_LEXICON)
    return analyzer


@lru_cache(maxsize=1)
def plain_analyzer() -> vader.SentimentIntensityAnalyzer:
    """Stock VADER, the peer the finance lexicon is measured against."""
    return vader.SentimentIntensityAnalyzer()


def _replace_emojis(text: str, emojis: dict[str, str]) -> str:
    out: list[str] = []
    prev_space = True
    for ch in text:  # VADER's own emoji-to-words rule
        if ch in emojis:
            if not prev_space:
                out.append(" ")
            out.append(emojis[ch])
            prev_space = False
        else:
            out.append(ch)
            prev_space = ch == " "
    return "".join(out).strip()


class _CueTable(dict):
    """Raw token -> indexes of the phrases whose cue it contains (cues hold no spaces, so a phrase
    can only match where one of its cues sits inside a single token)."""

    def __missing__(self, token: str) -> frozenset[int]:
        found = _CUES.findall(token)
        value = frozenset(i for cue in found for i in _CUE_PHRASES[cue]) if found else _NO_PHRASES
        if len(self) >= _TOKEN_TABLE_MAX:
            self.clear()
        self[token] = value
        return value


_CUE_TABLE = _CueTable()


def _normalise_split(text: str) -> tuple[str, list[str]]:
    if not text.isascii():
        text = _replace_emojis(text, finance_analyzer().emojis)
    text = text.lower()
    tokens = text.split()
    if any(map(_CUE_TABLE.__getitem__, tokens)):  # most headlines hold no cue and skip the regexes
        for i in sorted(frozenset().union(*map(_CUE_TABLE.__getitem__, tokens))):
            pattern, token = _PHRASES[i]
            text = pattern.sub(token, text)
        tokens = text.split()
    return text, tokens


def normalise(text: str) -> str:
    """Lower-case text with emojis spelled out and finance phrases joined into single tokens."""
    return _normalise_split(text)[0]


def reference_compound(text: str) -> float:
    """The compound score computed by VADER itself on the normalised text (the slow reference)."""
    return finance_analyzer().polarity_scores(normalise(text))["compound"]


def _strip(token: str) -> str:
    stripped = token.strip(string.punctuation)
    return token if len(stripped) <= 2 else stripped


def _valence(words: list[str], i: int, lex: dict[str, float]) -> float:
    """VADER's sentiment_valence for word i of lower-case text (so no ALL-CAPS emphasis applies)."""
    n = len(words)
    word = words[i]
    v = lex[word]
    if word == "no" and i != n - 1 and words[i + 1] in lex:
        v = 0.0
    if (i > 0 and words[i - 1] == "no") or (i > 1 and words[i - 2] == "no") or (
        i > 2 and words[i - 3] == "no" and words[i - 1] in ("or", "nor")
    ):
        v = lex[word] * vader.N_SCALAR
    for k in range(3):
        if i > k and words[i - k - 1] not in lex:
            prev = words[i - k - 1]
            s = _BOOSTERS.get(prev, 0.0)
            if v < 0:
                s = -s
            v += s * (1.0, 0.95, 0.9)[k]
            v = _negation(v, words, k, i)
            if k == 2:
                v = _idioms(v, words, i)
    if i > 1 and words[i - 1] not in lex and words[i - 1] == "least":
        if words[i - 2] != "at" and words[i - 2] != "very":
            v *= vader.N_SCALAR
    elif i > 0 and words[i - 1] not in lex and words[i - 1] == "least":
        v *= vader.N_SCALAR
    return v


def _negated(word: str) -> bool:
    return word in _NEGATE or "n't" in word


def _negation(v: float, words: list[str], k: int, i: int) -> float:
    """VADER's _negation_check, quirks included (a lexicon word after "so"/"this" is boosted by 1.25)."""
    if k == 0:
        return v * vader.N_SCALAR if _negated(words[i - 1]) else v
    if k == 1:
        if words[i - 2] == "never" and words[i - 1] in ("so", "this"):
            return v * 1.25
        if words[i - 2] == "without" and words[i - 1] == "doubt":
            return v
        return v * vader.N_SCALAR if _negated(words[i - 2]) else v
    if (words[i - 3] == "never" and words[i - 2] in ("so", "this")) or words[i - 1] in ("so", "this"):
        return v * 1.25
    if words[i - 3] == "without" and (words[i - 2] == "doubt" or words[i - 1] == "doubt"):
        return v
    return v * vader.N_SCALAR if _negated(words[i - 3]) else v


def _idioms(v: float, words: list[str], i: int) -> float:
    """VADER's _special_idioms_check without re-lower-casing the sentence on every call."""
    w0, w1, w2, w3 = words[i], words[i - 1], words[i - 2], words[i - 3]
    before = (f"{w1} {w0}", f"{w2} {w1} {w0}", f"{w2} {w1}", f"{w3} {w2} {w1}", f"{w3} {w2}")
    for seq in before:
        if seq in _SPECIAL:
            v = _SPECIAL[seq]
            break
    n = len(words)
    if n - 1 > i and f"{w0} {words[i + 1]}" in _SPECIAL:
        v = _SPECIAL[f"{w0} {words[i + 1]}"]
    if n - 1 > i + 1 and f"{w0} {words[i + 1]} {words[i + 2]}" in _SPECIAL:
        v = _SPECIAL[f"{w0} {words[i + 1]} {words[i + 2]}"]
    for gram in (before[3], before[4], before[2]):
        if gram in _BOOSTERS:
            v += _BOOSTERS[gram]
    return v


def _punctuation_amplifier(text: str) -> float:
    ep = min(text.count("!"), 4) * 0.292
    qm = text.count("?")
    return ep + (0.0 if qm <= 1 else qm * 0.18 if qm <= 3 else 0.96)


def normalised_compound(text: str) -> float:
    """VADER's compound score of already-normalised text, rounded to 4 places as VADER does."""
    lex = finance_analyzer().lexicon
    words = [_strip(w) for w in text.split()]
    hits = [i for i, w in enumerate(words) if w in lex]
    if not hits:  # every valence is zero, so the compound is exactly zero
        return 0.0
    sentiments = [0.0] * len(words)
    for i in hits:
        if words[i] in _BOOSTERS or (words[i] == "kind" and i < len(words) - 1 and words[i + 1] == "of"):
            continue
        sentiments[i] = _valence(words, i, lex)
    if "but" in words:
        sentiments = vader.SentimentIntensityAnalyzer._but_check(words, sentiments)
    total = sum(sentiments)  # plain left-to-right sum, as VADER adds them
    if total:
        amp = _punctuation_amplifier(text)
        total = total + amp if total > 0 else total - amp
    return round(vader.normalize(total), 4)


class _TokenTable(dict):
    """Raw token -> its valence, or NaN when the token is a modifier that needs VADER's full rules."""

    def __init__(self, lexicon: dict[str, float]) -> None:
        super().__init__()
        self._lexicon = lexicon

    def __missing__(self, token: str) -> float:
        word = _strip(token)
        value = math.nan if word in _MODIFIERS or "n't" in word else self._lexicon.get(word, 0.0)
        if len(self) >= _TOKEN_TABLE_MAX:  # numbers and names make new tokens forever: stay bounded
            self.clear()
        self[token] = value
        return value


@lru_cache(maxsize=1)
def _token_table() -> _TokenTable:
    return _TokenTable(finance_analyzer().lexicon)


def _table_compound(text: str, tokens: list[str]) -> float:
    total = sum(map(_token_table().__getitem__, tokens))
    if total != total:  # NaN: a modifier word is present, VADER's full rules decide
        return normalised_compound(text)
    if total and ("!" in text or "?" in text):
        amp = _punctuation_amplifier(text)
        total = total + amp if total > 0 else total - amp
    return round(vader.normalize(total), 4)


def fast_compound(text: str) -> float:
    """normalised_compound() by table lookups: with no modifier word VADER's valences simply add up
    (same order, same floats), so the sum is taken in C; otherwise the full rules run."""
    return _table_compound(text, text.split())


def compound(text: str) -> float:
    """Finance-lexicon compound score of `text` in [-1, 1] (0.0 for empty text)."""
    return _table_compound(*_normalise_split(text)) if text and not text.isspace() else 0.0


def label_for(value: float) -> str:
    """positive / negative / neutral by VADER's ±0.05 compound threshold."""
    return "positive" if value >= THRESHOLD else "negative" if value <= -THRESHOLD else "neutral"
