"""Turning messy writing into the words the patterns expect.

Two steps, both driven by data:
1. `respell`: whole-word text-speak and spelling fixes from bot/knowledge/language.yml
   ("hes folowing me hom" -> "he's folowing me home"), keeping a map back to the
   original characters so entities point at what the person wrote.
2. `Speller.norm`: per token, the lower-case lemma from spaCy's English lookup table;
   a word that is neither English nor a pattern word is corrected to the nearest
   pattern word (Damerau-Levenshtein 1, or 2 for long words) with rapidfuzz, so
   "folowing" matches "follow" without every misspelling being listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import FrozenSet, Iterable, List, Mapping, Tuple

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

_WORD = re.compile(r"[A-Za-z0-9'_/-]+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})

# Words at least this long may be corrected; longer words tolerate two edits.
MIN_CORRECTABLE = 4
TWO_EDITS_FROM = 8
# Words the English frequency table knows at least this well count as English.
KNOWN_WORD_LOG_PROB = -14.0
# Endings stripped from a word the lemma table lacks, to find the pattern word it inflects.
_INFLECTIONS = ("ing", "ed", "s")
MIN_STEM = 3


@dataclass(frozen=True)
class Respelled:
    text: str
    # For each character of `text`, the index of the character it came from.
    origin: Tuple[int, ...]

    def original_span(self, start: int, end: int) -> Tuple[int, int]:
        """Maps a [start, end) span of the respelled text back to the original."""
        if not self.origin:
            return 0, 0
        return self.origin[start], self.origin[max(start, end - 1)] + 1


def respell(text: str, spelling: Mapping[str, str]) -> Respelled:
    """Applies whole-word spelling fixes, remembering where each character came from."""
    text = text.translate(_APOSTROPHES)
    pieces: List[str] = []
    origin: List[int] = []
    position = 0
    for match in _WORD.finditer(text):
        gap = text[position : match.start()]
        pieces.append(gap)
        origin.extend(range(position, match.start()))
        word = match.group(0)
        replacement = spelling.get(word.lower())
        if replacement is None:
            pieces.append(word)
            origin.extend(range(match.start(), match.end()))
        else:
            pieces.append(replacement)
            # Every character of the replacement points into the original word.
            length = len(word)
            origin.extend(
                match.start() + min(i * length // max(len(replacement), 1), length - 1)
                for i in range(len(replacement))
            )
        position = match.end()
    pieces.append(text[position:])
    origin.extend(range(position, len(text)))
    return Respelled("".join(pieces), tuple(origin))


class Speller:
    """Lemmatises and spell-corrects single lower-case words."""

    def __init__(
        self,
        lemmas: Mapping[str, str],
        known_words: Iterable[str],
        pattern_words: Iterable[str],
    ) -> None:
        self._lemmas = lemmas
        self._pattern_lemmas: FrozenSet[str] = frozenset(pattern_words)
        surface = set(self._pattern_lemmas)
        surface.update(form for form, lemma in lemmas.items() if lemma in self._pattern_lemmas)
        self._pattern_surface = sorted(w for w in surface if w.isalpha())
        self._known: FrozenSet[str] = frozenset(known_words) | self._pattern_lemmas
        self.norm = lru_cache(maxsize=50_000)(self._norm)

    def lemma(self, word: str) -> str:
        """The lookup table's lemma; a form it lacks ("texting", "dmed") falls back to a
        pattern word it inflects ("screenshots")."""
        found = self._lemmas.get(word)
        if found is not None:
            return found
        for suffix in _INFLECTIONS:
            stem = word[: -len(suffix)]
            if word.endswith(suffix) and len(stem) >= MIN_STEM and stem in self._pattern_lemmas:
                return stem
        return word

    def _norm(self, word: str) -> str:
        word = word.lower()
        if word in self._known or word in self._lemmas or not word.isalpha():
            return self.lemma(word)
        if len(word) < MIN_CORRECTABLE:
            return word
        if word.endswith("in") and word + "g" in self._known:
            return self.lemma(word + "g")
        max_edits = 2 if len(word) >= TWO_EDITS_FROM else 1
        best = process.extractOne(
            word,
            self._pattern_surface,
            scorer=DamerauLevenshtein.distance,
            score_cutoff=max_edits,
        )
        return self.lemma(best[0]) if best else word
