"""Compiles the knowledge files' small pattern language into spaCy Matcher patterns.

    follow * home|work      "follow", up to 3 other words, then "home" or "work"
    ?really scared          "really" is optional
    **                      up to 6 other words
    what_is|whats the       "what is" or "whats", then "the": `_` joins the words of one
                            alternative (a space would start the next word of the pattern)

Every word is reduced with the same `norm` function used on messages, so a
pattern written as "following" also matches "followed", "folowing" and "follows".
"""

from __future__ import annotations

from itertools import product
from typing import Callable, Dict, List, Sequence

Token = Dict[str, object]
MatcherPattern = List[Token]

GAPS = {"*": 3, "**": 6}
_ANY_WORD: Token = {"IS_PUNCT": False, "OP": "?"}


def pattern_words(pattern: str, tokenize: Callable[[str], Sequence[str]]) -> List[str]:
    """The words of a pattern, as the tokenizer splits them (for building vocabularies)."""
    words: List[str] = []
    for item in pattern.split():
        if item in GAPS:
            continue
        for alternative in _alternatives(item):
            words.extend(tokenize(alternative))
    return words


def _alternatives(item: str) -> List[str]:
    return [alternative.replace("_", " ") for alternative in item.lstrip("?").split("|")]


def compile_pattern(
    pattern: str,
    tokenize: Callable[[str], Sequence[str]],
    norm: Callable[[str], str],
    attr: str = "NORM",
) -> List[MatcherPattern]:
    """Compiles one pattern; alternatives of several tokens expand into several patterns.

    `attr` is the token attribute matched: NORM (lemma, spell-corrected) for content
    words, LOWER for grammar markers whose exact form matters ("was" is not "is").
    """
    slots: List[List[MatcherPattern]] = []
    for item in pattern.split():
        if item in GAPS:
            slots.append([[dict(_ANY_WORD) for _ in range(GAPS[item])]])
            continue
        optional = item.startswith("?")
        alternatives = [
            [norm(word) for word in tokenize(alternative)]
            for alternative in _alternatives(item)
            if alternative
        ]
        single = sorted({alt[0] for alt in alternatives if len(alt) == 1})
        choices: List[MatcherPattern] = []
        if single:
            token: Token = {attr: {"IN": single}}
            if optional:
                token["OP"] = "?"
            choices.append([token])
        for alt in alternatives:
            if len(alt) > 1:
                choices.append([{attr: word} for word in alt])
        if optional and any(len(alt) > 1 for alt in alternatives):
            choices.append([])
        slots.append(choices)
    return [
        [token for part in combination for token in part]
        for combination in product(*slots)
        if any(part for part in combination)
    ]
