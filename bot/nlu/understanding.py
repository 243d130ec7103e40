"""Reads a message in the person's own words: behaviours, immediate danger, FOUR
cues, risk flags, services asked about and what they want to do next.

Built on spaCy (tokenizer, English lemma lookups from spacy-lookups-data, Matcher)
and the patterns in bot/knowledge; no model is downloaded. No Rasa imports: the
Rasa component in bot/nlu/components.py is a thin adapter over `Analyser`.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

import spacy
import spacy_lookups_data
from spacy.matcher import Matcher
from spacy.tokens import Doc, Token

from bot.knowledge import Knowledge, load_knowledge
from bot.nlu.normalise import KNOWN_WORD_LOG_PROB, Respelled, Speller, respell
from bot.nlu.patterns import compile_pattern, pattern_words

if TYPE_CHECKING:
    from bot.nlu.combine import LearnedBehaviours

# Tokens that end a clause: the danger rules judge tense clause by clause, so
# "he used to follow me but now he's outside" still raises the alarm.
CLAUSE_BREAKS = frozenset(
    {".", "!", "?", ";", ":", ",", "\n", "but", "so", "because", "though", "although", "however"}
)
SENTENCE_ENDS = frozenset({".", "!", "?"})
# "then" after these words is part of the clause, not the start of the next one.
THEN_JOINS = frozenset(
    {
        "and",
        "since",
        "until",
        "till",
        "til",
        "by",
        "from",
        "back",
        "now",
        "just",
        "only",
        "even",
        "was",
        "were",
        "is",
        "'s",
    }
)
# Words by which a clause refers back to the one before it ("that's the 5th time").
BACK_REFERENCES = frozenset(
    {"again", "another", "it", "that", "thats", "this", "still"}
    | {"second", "third", "fourth", "fifth", "sixth", "2nd", "3rd", "4th", "5th", "6th", "10th"}
)
# Quotation marks: what is inside them is someone else's words ("saying 'i'm outside'").
QUOTES = frozenset({"'", '"', "“", "”"})
# "and" starts a new clause when a new subject, auxiliary or time word follows it
# ("he got into my block and is knocking on my door", "he's outside and keeps ringing").
AND_STARTS_CLAUSE = frozenset(
    {
        "he",
        "she",
        "they",
        "i",
        "we",
        "someone",
        "somebody",
        "his",
        "her",
        "their",
        "my",
        "now",
        "then",
        "is",
        "are",
        "'s",
        "has",
        "have",
        "just",
        "still",
        "keeps",
        "keep",
        "there",
        "theres",
        "it",
        "wo",
        "ca",
        "won't",
        "can't",
    }
)
# How far before a match a negation word cancels it ("he has never followed me").
NEGATION_WINDOW = 3
# A negation reaches over "or" to the next verb: "he hasn't called or texted".
LINKED_BY = frozenset({"or", "nor"})
# A negation does not reach past a new subject ("i can't breathe he's outside") unless
# that subject follows a verb of belief ("i don't think i'm in danger").
SUBJECTS = frozenset({"he", "she", "they", "i", "we", "you", "someone", "somebody", "it"})
SINGULAR_SUBJECTS = frozenset({"he", "she", "someone", "somebody"})
THIRD_PERSON = SINGULAR_SUBJECTS | {"they"}
# A place said of the person themselves is no presence ("i'm sitting in my car").
FIRST_PERSON = frozenset({"i", "we"})
# Someone else in the cue, so it is not about the writer; a shape counts ("i can see a shadow").
OTHER_PEOPLE = frozenset("he she they him them someone somebody his their shadow figure silhouette".split())
# Uncertainty before a presence: "he might come round tonight".
UNCERTAIN = frozenset({"might", "may"})
BELIEF_VERBS = frozenset({"think", "reckon", "believe", "feel", "say", "said"})
# A negation before these means the behaviour goes on ("he hasn't stopped texting").
STOP_WORDS = frozenset({"stop", "quit"})
# Habitual markers that say something goes on rather than how often it happens: they
# end a presence ("he keeps coming round") but not a threat ("she keeps saying she's
# going to hurt me").
ONGOING = frozenset({"keep", "keeps", "keeping"})
# Words that make a behaviour a condition or a future rather than an event.
CONDITIONALS = frozenset({"if", "unless"})
FUTURE_WORDS = frozenset({"will", "'ll", "ll", "might"})
# "going to", "threatening to", "planning to", "wants to" before the match.
INTENT_VERBS = frozenset({"going", "threaten", "plan", "want"})
FUTURE_REACH = 3
# "is it stalking if ...", "is it normal if ...": the condition is what is happening.
JUDGEMENTS = frozenset(
    {"stalking", "stalk", "harassment", "normal", "ok", "okay", "weird", "legal", "illegal"}
)
# Behaviours that are about the future by nature: a threat is a threat.
FUTURE_BEHAVIOURS = frozenset({"threats"})
# Present-tense "be": "he's sat in his car", "she is parked outside", "he's got in"
# describe now, so an irregular past form after them is not a `past` marker.
PRESENT_BE = frozenset({"is", "are", "am", "'m", "'re", "'s", "s", "m", "re"})
# Perfect and past auxiliaries keep their `past` meaning even after "'s" ("he's been").
PAST_AUXILIARIES = frozenset({"been", "had", "did", "was", "were"})
# Words that may stand between "is" and the cue it describes ("he's still outside").
BE_ADVERBS = frozenset({"still", "just", "now", "currently", "literally", "right", "actually"})
# Present-simple verbs of saying and thinking tell nothing of habit ("he says he's outside").
STATE_VERBS = frozenset(
    {"say", "know", "think", "want", "reckon", "claim", "mean", "seem", "threaten", "swear"}
)
# Adverbs between a subject and its verb ("he just turns up", "she always waits").
SUBJECT_ADVERBS = BE_ADVERBS | {"always", "usually", "often", "sometimes", "never", "even"}
# Phrases that mean "it happened, but has stopped": a negation then marks the past,
# not that it never happened ("he doesn't follow me any more").
_STOPPED = ("any more", "anymore", "no longer", "not any longer")
# A bare place told in the same clause as a more specific behaviour is part of it: "he's
# outside banging on the door" is turning up, "smashing my car on the drive" damage;
# "he turns up at my work and waits outside" is both.
DISPLACED_BY: Dict[str, Tuple[str, ...]] = {"loitering": ("turning_up", "property_damage")}
# A match with one of these verbs is more than a place: "he waits outside". (Not "sit" or
# "stand": "he's stood at my door" is the turning up.)
WAITING_VERBS = frozenset({"wait", "hang", "lurk", "loiter", "camp"})
# Behaviours done in person: one told in the present ("there's a man going through my
# bins") in a clause that says now ("outside right now") is a presence.
IN_PERSON = frozenset({"following", "turning_up", "loitering", "watching", "property_damage"})
# A presence ending in one of these before a proper name is elsewhere: "he's in Spain".
PLACE_PREPOSITIONS = frozenset({"in", "at"})
# "now" after a long time is no emergency: "he's been following me for months now".
LONG_DURATIONS = frozenset({"days", "weeks", "months", "years", "ages", "while"})
# "texts keep coming saying he's on his way": the habit is the texts', not his.
REPORTING_VERBS = frozenset({"say", "tell", "write"})
# "he texted me if i don't come out ...": the verbs that tell a threat, and whom it is told to.
THREAT_TELLING = REPORTING_VERBS | {"text", "message", "shout", "threaten", "warn"}
PERSON_TOLD = frozenset({"i", "we", "you", "u", "she"})
SUPPORT_CHOICE_PRIORITY = ("anonymous", "not_ready", "report", "information")
# Scopes over the whole message (danger.yml): what has ended since, being somewhere else
# now, a story or a dream.
DANGER_SCOPES = (
    "over",
    "staying_elsewhere",
    "story",
    "unreal",
    "memory",
    "real",
    "unreal_after",
    "past_after",
)
# Grammar markers are matched on the exact lower-case word: their tense matters.
EXACT_WORD_GROUPS = frozenset(
    {"danger/now", "danger/past", "danger/negation", "danger/hypothetical", "danger/habitual"}
    | {f"danger/{scope}" for scope in DANGER_SCOPES}
)
# `now` markers that say nothing of the moment against a habit or a story: "omg he's
# always outside my work", "we've got CCTV of her every night".
WEAK_NOW = frozenset({"omg", "please", "quick", "quickly", "hurry", "urgent", "urgently"})
# "now" after these tells where someone lives, not what is happening: "asking where i live now".
HOME_VERBS = frozenset({"live", "lives", "living", "stay", "stays", "staying"})
# "he has forced his way in": the perfect tells of now.
PERFECT = frozenset({"has", "have", "'ve", "ve"})
# "he'd been sat outside for an hour" (spaCy splits "hed" into "he", "d").
PLUPERFECT = frozenset({"had", "'d", "d"})
# "he has sat down next to me", "she's stood by the door": where someone now is.
POSITION_PARTICIPLES = frozenset({"sat", "stood", "got"})
# After "still", where someone still is: "no hes not gone, still sat outside in his van".
STILL_THERE = frozenset({"sat", "stood", "parked"})
# "got" before these tells where someone now is: "he got in", "she got past reception".
ENTRY_WORDS = frozenset({"in", "inside", "into", "through", "thru", "past"})
# How far back "just" reaches over "and": "just got on at my stop and sat".
JOINED_REACH = 6
# Habitual words that count: a habit only when what they count is a time ("every night",
# not "every aisle").
COUNTING = frozenset({"every", "each", "most"})
# "still behind me 10 min later": "later" after these is a time since, not to come.
DURATION_UNITS = frozenset({"minute", "min", "mins", "second", "sec", "secs", "hour", "hr", "hrs"})
# Words that open a clause saying who someone is: "the man who keeps following me".
RELATIVES = frozenset({"who", "whos", "that", "which"})
# How far before a habitual or past marker "who" may be: "the lecturer who emails me constantly".
RELATIVE_REACH = 4
# Capitalised words after "since" that are times, not places.
CALENDAR = frozenset(
    {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october"}
    | {"november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
    | {"christmas", "easter", "xmas", "new", "the", "then", "last", "we", "he", "she", "they", "my"}
    | {"his", "her"}
)
# What "every", "each" or "most" counts when it tells a habit.
TIMES = frozenset(
    {"time", "night", "day", "morning", "evening", "afternoon", "week", "weekend", "shift", "few", "couple"}
    | {"month", "year", "hour", "minute", "min", "second", "lunchtime", "break", "visit", "term"}
    | {"lecture", "class", "seminar", "lesson", "session", "meeting", "match", "game", "service", "trip"}
    | {"journey", "run", "bus", "train", "commute", "holiday", "payday"}
    | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)
# "keeps turning up": a habit of visits, not a threat that goes on.
VISIT_VERBS = frozenset({"turn", "show", "come", "pop", "appear", "rock", "drop"})
# A threat for the next time they meet: "if he sees me", "next time he catches me".
MEETING_CONDITIONS = frozenset({"if", "when", "once", "whenever"})
MEETING_VERBS = frozenset({"see", "catch", "spot", "bump"})
# The stalker's harm to themselves: "he says he'll kill himself if i block him".
THEMSELVES = frozenset({"himself", "herself", "themselves", "hisself"})
# `now` markers that name the moment itself: they end a dream or memory scope.
CLOCK_NOW = frozenset({"now", "rn", "atm", "right", "tonight", "currently", "presently", "as", "this", "at"})
# An `over` marker followed by one of these is not over: "she's left a voicemail",
# "he's gone round the back", "he drove off with my daughter", "he's gone quiet", "he's
# walked off towards my street".
NOT_OVER_AFTER = frozenset(
    {"a", "an", "the", "some", "me", "us", "her", "him", "them", "it", "his", "my"}
    | {"your", "their", "this", "that", "with", "round", "around", "back", "again"}
    | {"for", "to", "upstairs", "downstairs", "inside", "outside", "in", "into"}
    | {"through", "quiet", "silent", "mad", "crazy", "missing", "on", "something"}
    | {"notes", "note", "flowers", "messages", "towards", "toward", "up", "along", "over"}
)
# "haven't seen him since" ends a story; "since the divorce" does not.
SINCE_THEN = frozenset({"then", "and", "but", "so", "thank", "thankfully", "though", "tho"})
# Words before an `over` marker that make it no ending: "i thought he left", "wait till
# he's gone", "if he leaves".
NOT_OVER_BEFORE = frozenset(
    {"thought", "think", "hope", "hoped", "hoping", "wish", "wished", "pretend"}
    | {"pretended", "pretending", "assumed", "if", "unless", "when", "once", "till"}
    | {"until", "before", "after", "whether", "pretends", "seems", "seemed", "like"}
)
# A time after these is a start, not the time of a story: "he's been outside since last night".
NOT_STORY_BEFORE = frozenset({"since", "from", "until", "till", "all", "every", "for"})
# "Back in" after these is a place, not a time: "I've gone back in", "she ran back in".
BACK_TO_A_PLACE = frozenset("go come get run walk rush head dash sneak creep step nip pop duck".split())
# Past markers that are times, not verbs: they do not stop a story told in the present.
PAST_TIMES = frozenset(
    {"ago", "before", "previously", "once", "years", "earlier", "yesterday"}
    | {"anymore", "any", "more", "no", "longer"}
)
# Past markers that, inside "who's been ...", say who someone is rather than when.
WHO_PAST = PAST_TIMES | {"been"}
# Words that bring the stalker back after an `over` marker: "he left but he's back".
RETURNS = frozenset({"back", "again", "returned", "return", "returning"})


@dataclass(frozen=True)
class Found:
    """One thing recognised in a message, with its span in the original text."""

    kind: str
    value: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Analysis:
    behaviours: Tuple[Found, ...] = ()
    # The rules' own behaviours, before the learned reader's are combined in.
    rule_behaviours: FrozenSet[str] = frozenset()
    danger: bool = False
    danger_cues: Tuple[str, ...] = ()
    # Danger words were there but the rules judged them not happening now
    # ("he used to wait outside", "what if he turns up").
    danger_ruled_out: bool = False
    four: FrozenSet[str] = frozenset()
    risk_flags: FrozenSet[str] = frozenset()
    services: Tuple[str, ...] = ()
    support_choice: Optional[str] = None
    letters: int = 0
    extra: Dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def behaviour_ids(self) -> List[str]:
        return sorted({found.value for found in self.behaviours})


def _lookup_table(name: str) -> Dict[str, object]:
    """One of spacy-lookups-data's English tables (the data spaCy's lemmatizer uses)."""
    path = Path(spacy_lookups_data.__file__).parent / "data" / f"en_{name}.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1)
def english_lemmas() -> Dict[str, str]:
    return {k.lower(): str(v).lower() for k, v in _lookup_table("lemma_lookup").items()}


@lru_cache(maxsize=1)
def english_words() -> FrozenSet[str]:
    """Common English words, from spacy-lookups-data's lemma and frequency tables."""
    lemmas = english_lemmas()
    words = set(lemmas) | set(lemmas.values())
    probs = _lookup_table("lexeme_prob")
    words.update(w.lower() for w, p in probs.items() if float(p) >= KNOWN_WORD_LOG_PROB)
    return frozenset(words)


class Analyser:
    """Compiled once from the knowledge; `analyse` is cheap per message."""

    def __init__(
        self, knowledge: Optional[Knowledge] = None, known_words: Optional[Iterable[str]] = None
    ) -> None:
        self.knowledge = knowledge or load_knowledge()
        self.nlp = spacy.blank("en")
        lemmas = english_lemmas()
        patterns = self._all_patterns()
        vocabulary: Set[str] = set()
        for pattern in (p for group in patterns.values() for p in group):
            vocabulary.update(self._respelled(w) for w in pattern_words(pattern, self._tokenize))
        self.speller = Speller(
            lemmas,
            english_words() if known_words is None else known_words,
            {lemmas.get(w, w) for w in vocabulary},
        )
        self.matcher = Matcher(self.nlp.vocab)
        for label, group in patterns.items():
            exact = label in EXACT_WORD_GROUPS
            compiled = [
                token_pattern
                for pattern in group
                for token_pattern in compile_pattern(
                    pattern,
                    self._tokenize,
                    str.lower if exact else self._pattern_norm,
                    "LOWER" if exact else "NORM",
                )
            ]
            if compiled:
                self.matcher.add(label, compiled)

    def _tokenize(self, text: str) -> List[str]:
        if text[:1] == "'" and text[1:].isalpha():
            return [text]  # a contraction on its own ("'ve", "'re") is one token in a message
        return [token.text for token in self.nlp.make_doc(text)]

    def _pattern_norm(self, word: str) -> str:
        return self.speller.lemma(self._respelled(word))

    def _respelled(self, word: str) -> str:
        """A pattern word as a message's word is read before matching: language.yml
        respells "uni" as "university" in messages, so a pattern's "uni" must be read
        the same way or it can never match. Respellings into several words ("everyday"
        -> "every day") are left as written."""
        respelled = respell(word, self.knowledge.spelling).text.lower()
        return word.lower() if " " in respelled else respelled

    def _all_patterns(self) -> Dict[str, Sequence[str]]:
        k = self.knowledge
        groups: Dict[str, Sequence[str]] = {}
        for b in k.behaviours.values():
            groups[f"behaviour/{b.id}"] = b.patterns
            groups[f"behaviour_exclude/{b.id}"] = b.exclude
        for element in k.four:
            groups[f"four/{element.id}"] = element.cues
        for flag in k.risk_flags.values():
            groups[f"risk/{flag.id}"] = flag.patterns
        for service_id, phrases in k.service_phrases.items():
            groups[f"service/{service_id}"] = phrases
        for choice, phrases in k.support_choices.items():
            groups[f"choice/{choice}"] = phrases
        for part in k.danger.__dataclass_fields__:
            groups[f"danger/{part}"] = getattr(k.danger, part)
        return groups

    def doc(self, text: str) -> Tuple[Doc, Respelled]:
        respelled = respell(text, self.knowledge.spelling)
        doc = self.nlp.make_doc(respelled.text)
        for token in doc:
            token.norm_ = self.speller.norm(token.lower_)
        return doc, respelled

    def analyse(self, text: str, learned: Optional[LearnedBehaviours] = None) -> Analysis:
        """The rules' reading of `text`; with `learned`, the behaviours are the rules' and
        the learned reader's combined (bot/nlu/combine.py)."""
        doc, respelled = self.doc(text)
        matches: Dict[str, List[Tuple[int, int]]] = {}
        for match_id, start, end in self.matcher(doc):
            matches.setdefault(self.nlp.vocab.strings[match_id], []).append((start, end))
        clauses = _clause_ids(doc)
        negations = _token_set(matches, "danger/negation")
        stopped = {clauses[i] for i, _ in _spans_of_phrases(doc, _STOPPED)}
        # "he hasn't followed me since i moved": it happened, then stopped.
        ended = stopped | {clauses[t.i] for t in doc if t.lower_ == "since"}

        def negated(start: int) -> bool:
            """True when a negation just before `start`, in its clause, applies to it."""
            return _negated(doc, start, clauses, negations)

        def holds(start: int, end: int) -> bool:
            """False when a negation just before the match says it did not happen."""
            return clauses[start] in ended or not negated(start)

        def happened(behaviour_id: str, start: int, end: int) -> bool:
            """The behaviour is told as happening, not feared or supposed ("what if he
            turns up"), unless it is said to happen again ("what do i do if he turns up
            again"); a threat is by nature about what may happen."""
            return holds(start, end) and (
                (behaviour_id in FUTURE_BEHAVIOURS and not _supposed(doc, start, clauses, future=False))
                or not _supposed(doc, start, clauses)
                or any(t.lower_ == "again" and clauses[t.i] == clauses[start] for t in doc[end:])
            )

        # A dream, memory or film tells of nothing done: "dreamt he's outside my window".
        dreamt = _dreamt(doc, matches, negated)
        behaviours = self._behaviours(
            doc, respelled, matches, clauses, lambda b, s, e: happened(b, s, e) and not dreamt(s, e)
        )
        rule_ids = {found.value for found in behaviours}
        if learned is not None:
            behaviours = learned.combine(behaviours)
        behaviour_ids = {found.value for found in behaviours}
        danger_cues = self._danger(doc, matches, clauses, negated, stopped)
        return Analysis(
            behaviours=behaviours,
            rule_behaviours=frozenset(rule_ids),
            danger=bool(danger_cues),
            danger_cues=danger_cues,
            danger_ruled_out=not danger_cues and _danger_words(matches),
            four=self._four(matches, behaviour_ids, holds),
            # Either reader's behaviours raise a risk flag: a threat the model doubts stays a risk.
            risk_flags=self._risk(matches, behaviour_ids | rule_ids, holds),
            services=_labels_in_order(matches, "service/"),
            support_choice=self._support_choice(matches, holds),
            letters=sum(ch.isalpha() for ch in text),
        )

    def _behaviours(self, doc, respelled, matches, clauses, happened) -> Tuple[Found, ...]:
        spans: Dict[str, List[Tuple[int, int]]] = {}
        for behaviour_id in self.knowledge.behaviours:
            excluded = matches.get(f"behaviour_exclude/{behaviour_id}", [])
            spans[behaviour_id] = [
                (start, end)
                for start, end in sorted(matches.get(f"behaviour/{behaviour_id}", []))
                if not _overlaps((start, end), excluded)
                and not _new_subject_within(doc, start, end, clauses)
                and happened(behaviour_id, start, end)
            ]
        for behaviour_id, rivals in DISPLACED_BY.items():
            taken = {clauses[start] for rival in rivals for start, _ in spans.get(rival, [])}
            spans[behaviour_id] = [
                (start, end)
                for start, end in spans.get(behaviour_id, [])
                if clauses[start] not in taken or any(t.norm_ in WAITING_VERBS for t in doc[start:end])
            ]
        found = []
        for behaviour_id, kept in spans.items():
            if kept:
                span = doc[kept[0][0] : kept[0][1]]
                a, b = respelled.original_span(span.start_char, span.end_char)
                found.append(Found("behaviour", behaviour_id, a, b, span.text))
        return tuple(sorted(found, key=lambda f: f.start))

    def _four(self, matches, behaviour_ids: Set[str], holds) -> FrozenSet[str]:
        present = set()
        for element in self.knowledge.four:
            if behaviour_ids & set(element.implied_by_behaviours) or any(
                holds(s, e) for s, e in matches.get(f"four/{element.id}", [])
            ):
                present.add(element.id)
        return frozenset(present)

    def _risk(self, matches, behaviour_ids: Set[str], holds) -> FrozenSet[str]:
        flags = {
            flag.id
            for flag in self.knowledge.risk_flags.values()
            if behaviour_ids & set(flag.implied_by_behaviours)
            or any(holds(s, e) for s, e in matches.get(f"risk/{flag.id}", []))
        }
        flags.update(
            flag.id
            for flag in self.knowledge.risk_flags.values()
            if flag.all_of and set(flag.all_of) <= flags
        )
        return frozenset(flags)

    def _support_choice(self, matches, holds) -> Optional[str]:
        for choice in SUPPORT_CHOICE_PRIORITY:
            if any(holds(s, e) for s, e in matches.get(f"choice/{choice}", [])):
                return choice
        return None

    def _danger(
        self,
        doc: Doc,
        matches,
        clauses: List[int],
        negated: Callable[[int], bool],
        stopped: Set[int],
    ) -> Tuple[str, ...]:
        """The cues that make this message an emergency now (empty when none).

        "Any more" ends a presence ("he's not outside any more") but not a feeling
        ("i can't do this any more"): the `stopped` clauses only cancel presence cues."""

        def marker_starts(label: str) -> Dict[int, List[int]]:
            """Where each marker of `label` starts, by clause. An irregular past form after
            a present "be" or "just" is no past marker: "he's sat outside", "he's got in",
            "she just came through the gate"."""
            starts: Dict[int, List[int]] = {}
            for s, e in matches.get(label, []):
                if label == "danger/past" and (
                    (e - s == 1 and _irregular_present(doc, s))
                    or doc[s:e].text.lower() in _STOPPED
                    # "the bloke whos been messaging me all week just got on": who he is
                    # (not "the guy who was following me", which tells what he did).
                    or (doc[s].lower_ in WHO_PAST and _describes_who(doc, s))
                ):
                    continue
                # "every aisle", "every platform": a count of places or things, not of times.
                if label == "danger/habitual" and (
                    (doc[s].lower_ in COUNTING and not _habit_in_time(doc, s))
                    # "still behind me 10 min later": a time since, not a time to come.
                    or (doc[s].lower_ == "later" and s > 0 and doc[s - 1].norm_ in DURATION_UNITS)
                ):
                    continue
                # "if he comes to the door tonight": a time inside a condition is no now;
                # nor is the now of a long time ("he's been following me for months now"),
                # nor a time that had passed ("he'd been sat outside for an hour").
                if label == "danger/now" and (
                    any(_conditional(doc, i) for i in range(s) if clauses[i] == clauses[s])
                    or (s > 0 and doc[s - 1].lower_ in LONG_DURATIONS)
                    or _pluperfect(doc, s, clauses)
                ):
                    continue
                starts.setdefault(clauses[s], []).append(s)
            if label == "danger/past":
                for token in doc:
                    if _is_year(token):  # "he threatened me back in 2019"
                        starts.setdefault(clauses[token.i], []).append(token.i)
            if label == "danger/now":
                for token in doc:
                    if _since_a_place(doc, token.i, clauses):  # "he's been behind me since Croydon"
                        starts.setdefault(clauses[token.i], []).append(token.i)
            return starts

        now, past, hypothetical, habitual = (
            marker_starts(f"danger/{group}") for group in ("now", "past", "hypothetical", "habitual")
        )
        # "omg", "please", "we've got": a `now` that names no moment.
        strong_now = {c: [s for s in starts if not _weak_now(doc, s)] for c, starts in now.items()}
        strong_now = {c: starts for c, starts in strong_now.items() if starts}
        sentences = _sentence_ids(doc)
        # A "?" counts as the first token of the next sentence: it ends the one before.
        questions = {sentences[t.i] - 1 for t in doc if t.text == "?"}
        # "he keeps driving past my house, that's 5 times in the last half hour": a
        # clause that refers back carries its `now` to the rest of the sentence.
        now_sentences = {
            sentences[s]
            for clause, starts in strong_now.items()
            for s in starts
            if any(t.lower_ in BACK_REFERENCES for t in doc if clauses[t.i] == clause)
        }
        now_anywhere = {sentences[s] for starts in now.values() for s in starts}

        def habit_of(s: int, start: int) -> bool:
            """The habitual marker at `s` makes the cue at `start` a habit. "Keep" does not
            reach into what is reported ("messages keep coming saying he's on his way"),
            except right after it ("he keeps saying he's outside")."""
            return not (
                doc[s].lower_ in ONGOING and any(t.norm_ in REPORTING_VERBS for t in doc[s + 2 : start])
            )

        excluded = matches.get("danger/exclude", [])
        stopped_at = [s for s, _ in _spans_of_phrases(doc, _STOPPED)]
        out_of_scope = _scopes(doc, matches, clauses, sentences, strong_now, habitual, hypothetical, negated)
        cues: List[Tuple[int, int]] = []
        # A `now` that refers back reaches the whole sentence: "he's ringing the intercom
        # non-stop, it's been 40 minutes".
        person_now = dict(strong_now)
        for starts in strong_now.values():
            if sentences[starts[0]] in now_sentences:
                for t in doc:
                    if sentences[t.i] == sentences[starts[0]]:
                        person_now.setdefault(clauses[t.i], starts)
        for start, end in _in_person_now(doc, matches, clauses, person_now):
            clause = clauses[start]
            # "now he's there in the car park every time i finish": these days, a habit.
            these_days = all(_leading_now(doc, s, clauses) for s in person_now[clause]) and any(
                _habit_in_time(doc, s) for s in habitual.get(clause, [])
            )
            if not (
                _overlaps((start, end), excluded)
                or negated(start)
                or _supposed(doc, start, clauses)
                or _will_come(doc, start, clauses)
                or these_days
            ):
                cues.append((start, end))
        # "he told me if I report him he'll wait for me": a threat's consequence is an
        # emergency cue (danger.yml `threatened`).
        threatened = [
            (start, end)
            for start, end in matches.get("danger/threatened", [])
            if any(_threat_condition(doc, i) for i in range(start) if clauses[i] == clauses[start])
        ]
        for kind in ("emergency", "presence"):
            for start, end in sorted(
                matches.get(f"danger/{kind}", []) + (threatened if kind == "emergency" else [])
            ):
                clause = clauses[start]
                if _overlaps((start, end), excluded) or negated(start):
                    continue
                if kind == "presence" and (
                    _about_self(doc, start, end, clauses)
                    or _elsewhere(doc, end)
                    or _will_come(doc, start, clauses)
                    or any(t.lower_ in UNCERTAIN for t in doc[max(0, start - FUTURE_REACH) : start])
                ):
                    continue
                # Habit: "he waits outside every night"; "every time i leave he says";
                # "he knocks on my door at night"; "he follows me to work". "Keeps"
                # does not make a threat a habit: "she keeps saying she'll hurt me".
                habit = any(
                    (kind == "presence" and habit_of(s, start))
                    or (s < start and (doc[s].lower_ not in ONGOING or _visits(doc, s)))
                    for s in habitual.get(clause, [])
                    # "the man who keeps following me is stood by the tills": a habit that
                    # says who he is, before what is happening, is not its habit.
                    if not (s < start and _describes_who(doc, s))
                ) or (
                    _habitual_verb(doc, clauses, clause, end)
                    if kind == "presence"
                    else _told_as_habit(doc, start)
                )
                # "omg he's always in the car park", "we've got CCTV of her every night": a
                # `now` that names no moment does not stand against a habit.
                if (
                    habit
                    and clause in now
                    and sentences[start] not in now_sentences
                    and all(_weak_now(doc, s) or _leading_now(doc, s, clauses) for s in now[clause])
                ):
                    continue
                # "he'll smash my face in if he sees me": a threat for when they next meet.
                if kind == "emergency" and _on_meeting(doc, end, clauses):
                    continue
                if clause not in now and sentences[start] not in now_sentences:
                    # A question or condition before the cue: "what if he turns up"; in a
                    # question, anywhere before it in the sentence ("if he ever turned up
                    # what's the best thing to do, lock the door and ring 999?").
                    if any(
                        s < end and not _threat_condition(doc, s) for s in hypothetical.get(clause, [])
                    ) or (
                        sentences[start] in questions
                        and any(
                            s < start and sentences[s] == sentences[start]
                            for ss in hypothetical.values()
                            for s in ss
                        )
                    ):
                        continue
                    # "he stalked me for 2 years, following me, ringing my house": a clause
                    # with no verb of its own keeps the tense of the one before it.
                    if _continues_past(doc, start, clauses, sentences, past):
                        continue
                    if habit:
                        continue
                    if kind == "presence" and any(s >= start and clauses[s] == clause for s in stopped_at):
                        continue  # "i don't think he's following me any more"
                    # "he follows me home most days, just walks behind me": a habit told
                    # in the sentence, with no now in it, reaches the clauses after it.
                    if (
                        kind == "presence"
                        and sentences[start] not in now_anywhere
                        and not _present(doc, start, end)
                        and any(
                            sentences[s] == sentences[start]
                            and (doc[s].lower_ not in ONGOING or s < start)
                            and not (s < start and _describes_who(doc, s))
                            for starts in habitual.values()
                            for s in starts
                        )
                    ):
                        continue
                    if not _present(doc, start, end) and (
                        clause in past
                        or (
                            kind == "emergency"
                            and _regular_past(doc, start)
                            # Told with no subject, as a state: "locked myself in the loo".
                            and not (start == 0 or doc[start - 1].text in SENTENCE_ENDS)
                        )
                        or (kind == "presence" and (clause in stopped or _past_tense(doc, clauses, clause)))
                    ):
                        continue
                cues.append((start, end))
        # "she keeps saying she'll kill herself if he doesn't reply": their own harm,
        # threatened, is an emergency only with a now ("he's got pills in front of him now").
        return tuple(
            dict.fromkeys(
                doc[start:end].text
                for start, end in cues
                if not out_of_scope(start, end)
                and (
                    not any(t.lower_ in THEMSELVES for t in doc[start:end])
                    or any(
                        sentences[s] == sentences[start] and not _leading_now(doc, s, clauses)
                        for starts in strong_now.values()
                        for s in starts
                    )
                )
            )
        )


def _scopes(
    doc: Doc,
    matches,
    clauses: List[int],
    sentences: List[int],
    strong_now: Dict[int, List[int]],
    habitual: Dict[int, List[int]],
    hypothetical: Dict[int, List[int]],
    negated: Callable[[int], bool],
) -> Callable[[int, int], bool]:
    """The message-wide scopes of danger.yml, as a test of one cue (start, end): true
    when the cue is told before it ended ("he's outside ... he's gone now"), inside a
    story of the past told in the present ("so last Tuesday I'm walking home and he's
    behind me"), or inside a dream or memory ("dreamt he's in the house")."""

    def spans(scope: str) -> List[Tuple[int, int]]:
        return sorted(matches.get(f"danger/{scope}", []))

    now_sentences = {sentences[s] for starts in strong_now.values() for s in starts}
    past_verbs = {
        sentences[s]
        for s, e in matches.get("danger/past", [])
        if e - s == 1 and doc[s].lower_ not in PAST_TIMES and not _irregular_present(doc, s)
    } | {sentences[t.i] for t in doc if _regular_past(doc, t.i) or t.lower_ in {"'d", "used"}}

    # A story: a past time opening a sentence told in the present, and the sentences in
    # the present after it.
    story_at = [s for s, _ in spans("story") if _story_time(doc, s)] + [
        t.i for t in doc if _is_year(t) and _story_time(doc, t.i)
    ]
    openers: Dict[int, int] = {}
    for s in story_at:
        if sentences[s] not in past_verbs and sentences[s] not in now_sentences:
            openers[sentences[s]] = min(s, openers.get(sentences[s], s))
    carried: Set[int] = set()
    active = False
    for sentence in range(sentences[-1] + 1 if sentences else 0):
        if sentence in openers:
            active = True
        elif active and sentence not in past_verbs and sentence not in now_sentences:
            carried.add(sentence)
        else:
            active = False

    unreal = [s for s, _ in spans("unreal") + spans("memory") if not negated(s)]
    real = [s for s, _ in spans("real")]
    unreal_after = [s for s, _ in spans("unreal_after") if not negated(s)]
    story_sentences = {sentences[s] for s in story_at}
    past_after = [
        s
        for s, _ in spans("past_after")
        if sentences[s] in story_sentences and sentences[s] not in now_sentences
    ]

    def over_valid(s: int, e: int) -> bool:
        """An ending that holds: not "i thought he left", "she's left a voicemail",
        "when he leaves", "he usually drives off", "he left but came back"."""
        clause = clauses[s]
        return not (
            (negated(s) and not any(t.lower_ in {"not", "n't", "never"} for t in doc[s:e]))
            or (e < len(doc) and doc[e].lower_ in NOT_OVER_AFTER)
            or (
                doc[e - 1].lower_ == "since"
                and e < len(doc)
                and doc[e].is_alpha
                and doc[e].lower_ not in SINCE_THEN
            )
            or any(doc[i].lower_ in NOT_OVER_BEFORE for i in range(s) if clauses[i] == clause)
            or clause in habitual
            or clause in hypothetical
            or any(doc[i].lower_ in RETURNS for i in range(e, len(doc)) if sentences[i] == sentences[s])
        )

    # "he just messaged 'im outside' but he's in Spain": said to be elsewhere is an ending too,
    # as is a place the exclusions name ("but hes in portugal").
    excluded = spans("exclude")
    elsewhere = [
        s
        for s, e in spans("presence")
        if doc[s].lower_ in THIRD_PERSON
        and s > 0
        and doc[s - 1].lower_ == "but"
        and (_elsewhere(doc, e) or _overlaps((e, e + 1), excluded))
    ]
    over = [s for s, e in spans("over") if over_valid(s, e)] + [s for s in elsewhere if not negated(s)]
    staying = [sentences[s] for s, e in spans("staying_elsewhere") if over_valid(s, e)]

    def out_of_scope(start: int, end: int) -> bool:
        sentence, clause = sentences[start], clauses[start]
        # "he's gone now" ends what came before it, and what its own clause tells of
        # ("he's just left after an hour of screaming at the door").
        if (
            any(s > start for s in over + unreal_after + past_after)
            or any(clauses[s] == clause for s in over)
            or (sentence in past_verbs and any(later > sentence for later in staying))
        ):
            return True
        if clause in strong_now:
            # "i keep having flashbacks, but this isn't one, he's behind me now"; not
            # "dreamt he's in the house and i'm hiding" (a cue read as a `now`).
            if any(doc[s].lower_ in CLOCK_NOW for s in strong_now[clause]):
                return False
        elif sentence in carried or (sentence in openers and openers[sentence] < start):
            return True
        return any(
            u < start and sentences[u] == sentence and not any(u < r < end for r in real) for u in unreal
        )

    return out_of_scope


def _story_time(doc: Doc, s: int) -> bool:
    """The past time at s can open a story: not a start ("he's been outside since last
    night"), nor "back in" a place after a verb of going ("I've gone back in")."""
    if s == 0:
        return True
    before = doc[s - 1]
    return not (
        before.lower_ in NOT_STORY_BEFORE or (doc[s].lower_ == "back" and before.norm_ in BACK_TO_A_PLACE)
    )


def _will_come(doc: Doc, start: int, clauses: List[int]) -> bool:
    """A bare "come" after "will" with no new subject between: "she is afraid he will come
    to England", "she'll tell the family and come to his house" (not "he's coming")."""
    if doc[start].lower_ != "come":
        return False
    i = start - 1
    while i >= 0 and clauses[i] == clauses[start] and doc[i].lower_ not in SUBJECTS:
        if doc[i].lower_ in FUTURE_WORDS:
            return True
        i -= 1
    return i >= 0 and clauses[i] == clauses[start] and i > 0 and doc[i + 1].lower_ in FUTURE_WORDS


def _habit_in_time(doc: Doc, s: int) -> bool:
    """The habitual marker at s is about time ("every time i finish", "always"), not
    about places or things ("buzzing every flat") nor "keeps"."""
    if doc[s].lower_ in ONGOING:
        return False
    if doc[s].lower_ in COUNTING:
        following = [t for t in doc[s + 1 : s + 4] if t.lower_ not in {"single", "other", "of", "the"}]
        return bool(following) and (following[0].norm_ in TIMES or following[0].like_num)
    return True


def _visits(doc: Doc, s: int) -> bool:
    """The `keep` at s is of visits: "she keeps turning up at my halls and knocking"."""
    return s + 1 < len(doc) and doc[s + 1].norm_ in VISIT_VERBS


def _leading_now(doc: Doc, s: int, clauses: List[int]) -> bool:
    """A "now" opening its clause means these days: "now he's there every time i finish"."""
    i = s - 1
    while (
        i >= 0
        and clauses[i] == clauses[s]
        and (doc[i].is_punct or doc[i].lower_ in {"and", "but", "so", "even"})
    ):
        i -= 1
    return doc[s].lower_ == "now" and (i < 0 or clauses[i] != clauses[s])


def _on_meeting(doc: Doc, end: int, clauses: List[int]) -> bool:
    """A threat for when they next meet, after it in its clause: "he's going to hurt me
    next time he sees me", "she'll smash my face in if she sees me with anyone"."""
    for i in range(end, len(doc)):
        if clauses[i] != clauses[end - 1]:
            return False
        word = doc[i].lower_
        after = i + 2 if word == "next" else i + 1
        if (
            (
                word in MEETING_CONDITIONS
                or (word == "next" and after < len(doc) and doc[after - 1].lower_ == "time")
            )
            and after < len(doc)
            and doc[after].lower_ in THIRD_PERSON
            and any(t.norm_ in MEETING_VERBS for t in doc[after + 1 : after + 1 + FUTURE_REACH])
        ):
            return True
    return False


def _continues_past(doc: Doc, start: int, clauses: List[int], sentences: List[int], past) -> bool:
    """The cue opens a clause with a participle and no subject ("..., following me,")
    after a clause in the past in the same sentence."""
    clause = clauses[start]
    first = start
    while first > 0 and clauses[first - 1] == clause:
        first -= 1
    while first < start and (doc[first].is_punct or doc[first].lower_ in {"and", "or", "then"}):
        first += 1
    if first != start or not doc[start].lower_.endswith("ing") or first == 0:
        return False
    before = first - 1
    while before >= 0 and doc[before].is_punct:
        before -= 1
    return (
        before >= 0
        and sentences[before] == sentences[start]
        and (clauses[before] in past or _past_tense(doc, clauses, clauses[before]))
    )


def _dreamt(doc: Doc, matches, negated: Callable[[int], bool]) -> Callable[[int, int], bool]:
    """Spans told inside a dream, memory or screen (danger.yml `unreal`, up to a `real`
    word, in its sentence) or looked back on as one (`unreal_after`)."""
    sentences = _sentence_ids(doc)
    unreal = [s for s, _ in matches.get("danger/unreal", []) if not negated(s)]
    real = [s for s, _ in matches.get("danger/real", [])]
    after = [s for s, _ in matches.get("danger/unreal_after", []) if not negated(s)]

    def inside(start: int, end: int) -> bool:
        return any(s > start for s in after) or any(
            u < start and sentences[u] == sentences[start] and not any(u < r < end for r in real)
            for u in unreal
        )

    return inside


def _pluperfect(doc: Doc, s: int, clauses: List[int]) -> bool:
    """Token s opens a time that had passed: "he'd been sat outside for an hour" (he has
    gone since), but not as reported ("he said some bloke had been following him since
    the cashpoint", told as it is happening)."""
    return (
        s > 0
        and doc[s].lower_ == "been"
        and doc[s - 1].lower_ in PLUPERFECT
        and not any(t.norm_ in REPORTING_VERBS for t in doc[:s] if clauses[t.i] == clauses[s])
    )


def _weak_now(doc: Doc, s: int) -> bool:
    """The `now` marker at s says nothing of the moment: "omg", "please", "we've got",
    "where i live now"."""
    word = doc[s].lower_
    following = doc[s + 1].lower_ if s + 1 < len(doc) else ""
    before = doc[s - 1].lower_ if s > 0 else ""
    return (
        word in WEAK_NOW
        or (word == "oh" and following == "my")
        or following == "got"
        or (word == "now" and before in HOME_VERBS)
    )


def _in_person_now(doc: Doc, matches, clauses: List[int], now: Dict[int, List[int]]) -> List[Tuple[int, int]]:
    """In-person behaviours told in the present in a clause that says now: "there's a
    man going through my bins outside right now", "he is hitting my door now"; not the
    writer's own doing ("i'm going through my post now")."""
    found = []
    for behaviour_id in IN_PERSON:
        excluded = matches.get(f"behaviour_exclude/{behaviour_id}", [])
        for start, end in matches.get(f"behaviour/{behaviour_id}", []):
            clause = clauses[start]
            # "he breaking my window now": a present participle right after its subject.
            bare = doc[start].lower_.endswith("ing") and start > 0 and doc[start - 1].lower_ in THIRD_PERSON
            if (
                clause in now
                and not _overlaps((start, end), excluded)
                and not _about_self(doc, start, end, clauses)
                and (
                    bare
                    or any(
                        _is_present_be(doc, i) or _been_doing(doc, i)
                        for i in range(end)
                        if clauses[i] == clause
                    )
                )
            ):
                found.append((start, end))
    return sorted(found)


def _describes_who(doc: Doc, s: int) -> bool:
    """The habitual or past marker at s is in a relative clause that says who someone is:
    "the man who keeps following me", "the regular who's always asking for my number",
    "the bloke who's been messaging me all week"."""
    i = s - 1
    while i >= 0 and doc[i].lower_ in BE_ADVERBS | {"'s", "is", "has", "'ve", "been"}:
        i -= 1
    if i >= 0 and doc[i].lower_ in RELATIVES:
        return True
    # After the relative clause's verb and object: "the lecturer who emails me constantly".
    return any(
        doc[j].lower_ in {"who", "whos"} and not any(t.is_punct for t in doc[j + 1 : s])
        for j in range(max(0, s - RELATIVE_REACH), s - 1)
    )


def _since_a_place(doc: Doc, i: int, clauses: List[int]) -> bool:
    """ "since" and a place named with a capital, after "been" in its clause: "he's been
    behind me since Croydon", "since Otley Rd" (not "since March", "since Christmas")."""
    if doc[i].lower_ != "since" or i + 1 >= len(doc):
        return False
    place = doc[i + 1]
    return (
        place.is_title
        and place.text != "I"
        and place.lower_ not in CALENDAR
        and not doc.text.isupper()
        and any(
            doc[j].lower_ == "been" and j > 0 and doc[j - 1].lower_ in PERFECT | PRESENT_BE
            for j in range(i)
            if clauses[j] == clauses[i]
        )
    )


def _been_doing(doc: Doc, i: int) -> bool:
    """Token i is "been" before a present participle: "he's been knocking for 20 mins"."""
    return doc[i].lower_ == "been" and i + 1 < len(doc) and doc[i + 1].lower_.endswith("ing")


def _is_year(token: Token) -> bool:
    """A year like 2019: what happened then is past."""
    return len(token.text) == 4 and token.text.isdigit() and token.text[:2] in {"19", "20"}


def _elsewhere(doc: Doc, end: int) -> bool:
    """The presence names a place by its proper name: "he's in Spain", "she's at Heathrow"."""
    return (
        doc[end - 1].lower_ in PLACE_PREPOSITIONS
        and end < len(doc)
        and doc[end].is_title
        and doc[end].text != "I"
        and not doc.text.isupper()
    )


def _new_subject_within(doc: Doc, start: int, end: int, clauses: List[int]) -> bool:
    """A gap in the match runs into a new clause with its own subject: "messaging her mum"
    is contact with others, "outside her work and he's texted her" is not."""
    return any(clauses[i] != clauses[start] and doc[i].lower_ in SUBJECTS for i in range(start, end))


def _about_self(doc: Doc, start: int, end: int, clauses: List[int]) -> bool:
    """The cue's subject, just before it, is the writer: "i'm in my flat", "i'm sitting
    in my car"; not "i can see him in my garden", nor the passive "i'm being followed"."""
    if any(t.lower_ == "being" for t in doc[start:end]) or _quoted(doc, start):
        return False
    steps, i = 0, end - 1  # adverbs are free: "i'm just sitting in my car"
    while i >= 0 and steps <= FUTURE_REACH:
        if clauses[i] != clauses[start] or doc[i].lower_ in OTHER_PEOPLE:
            return False
        if doc[i].lower_ in FIRST_PERSON:
            return True
        steps += i < start and doc[i].lower_ not in BE_ADVERBS
        i -= 1
    return False


def _quoted(doc: Doc, i: int) -> bool:
    """Token i is inside quotation marks in its sentence: "saying 'i'm outside'" is his."""
    marks = 0
    j = i - 1
    while j >= 0 and doc[j].text not in SENTENCE_ENDS:
        marks += doc[j].text in QUOTES
        j -= 1
    return marks % 2 == 1


def _past_tense(doc: Doc, clauses: List[int], clause: int) -> bool:
    """A regular past verb in the clause ("he followed me", "he walked out behind me");
    irregular ones are `past` markers. Not after a present "be" ("he's parked outside")
    nor after "just" ("he just pulled up")."""
    return any(_regular_past(doc, token.i) for token in doc if clauses[token.i] == clause)


def _regular_past(doc: Doc, i: int) -> bool:
    """Token i is a regular past verb, not after a present "be", "has" or "just", nor
    "still parked", nor joined to something just or now done (`_joined_to_now`)."""
    token = doc[i]
    before = doc[i - 1].lower_ if i > 0 else ""
    return (
        token.is_alpha
        and token.lower_.endswith("ed")
        and token.norm_ != token.lower_
        and before not in PRESENT_BE | PERFECT | {"just"}
        and not _still_there(doc, i)
        and not _joined_to_now(doc, i)
    )


def _habitual_verb(doc: Doc, clauses: List[int], clause: int, end: int) -> bool:
    """A present-simple verb after a singular subject in the clause, up to the cue's
    `end`: "he follows me", "she just turns up" tell what happens as a rule, not what
    is happening now; "she's on his doorstep and she wants money" does not."""
    return any(_told_as_habit(doc, token.i) for token in doc[:end] if clauses[token.i] == clause)


def _told_as_habit(doc: Doc, i: int) -> bool:
    """Token i is a present-simple verb of doing: "he knocks on my door" (but not "he
    says he's outside")."""
    return _present_simple(doc, i) and doc[i].norm_ not in STATE_VERBS


def _present_simple(doc: Doc, i: int) -> bool:
    """Token i is a present-simple verb after a singular subject: "he knocks", "she
    always waits", "he just turns up"."""
    token = doc[i]
    if token.lower_ not in {token.norm_ + "s", token.norm_ + "es"}:
        return False
    i -= 1
    while i > 0 and doc[i].lower_ in SUBJECT_ADVERBS:
        i -= 1
    return i >= 0 and doc[i].lower_ in SINGULAR_SUBJECTS


def _irregular_present(doc: Doc, i: int) -> bool:
    """An irregular past form that tells of now: after "is"/"'s" or "just" ("he's sat in
    his car", "she just came through the gate"), a position after "has" ("he has sat down
    next to me") or "still" ("still sat outside"), "got" into a place ("he got in thru
    the window", "he got past security"), or the second of two things just done
    (`_joined_to_now`)."""
    word = doc[i].lower_
    if word == "got" and i + 1 < len(doc) and doc[i + 1].norm_ in ENTRY_WORDS:
        return True
    if i == 0:
        return False
    before = doc[i - 1].lower_
    if before == "just" or (before in PERFECT and word in POSITION_PARTICIPLES) or _still_there(doc, i):
        return True
    if before in PRESENT_BE:
        return _is_present_be(doc, i - 1)
    return _joined_to_now(doc, i)


def _still_there(doc: Doc, i: int) -> bool:
    """Token i tells where someone still is: "still sat outside", "still parked across"."""
    return i > 0 and doc[i - 1].lower_ == "still" and doc[i].lower_ in STILL_THERE


def _joined_to_now(doc: Doc, i: int) -> bool:
    """Token i is the second of two things just or now done, joined by "and": "he just
    got on and sat behind me", "he has followed me home and pulled up across the road"."""
    reach = doc[max(0, i - JOINED_REACH) : i]
    return (
        i > 0
        and doc[i - 1].lower_ == "and"
        and any(t.lower_ in PERFECT | {"just"} for t in reach[:-2])
        and not any(t.is_punct for t in reach)
    )


def _is_present_be(doc: Doc, i: int) -> bool:
    """Token i is present-tense "be" (or "has got"), not "has" before a past participle:
    "he's outside", "he's sat there", "he's got in", but not "he's been", "he's waited"."""
    if doc[i].lower_ not in PRESENT_BE or (doc[i].lower_ == "am" and i > 0 and doc[i - 1].like_num):
        return False  # "at 4am"
    after = doc[i + 1].lower_ if i + 1 < len(doc) else ""
    return after not in PAST_AUXILIARIES and not (doc[i].lower_ in {"'s", "s"} and after.endswith("ed"))


def _present(doc: Doc, start: int, end: int) -> bool:
    """The cue is said in the present tense: "he's outside", "she is following us"."""
    first = start
    while first > 0 and start - first < 2 and doc[first - 1].lower_ in BE_ADVERBS:
        first -= 1
    return any(_is_present_be(doc, i) for i in range(max(0, first - 1), end))


def _supposed(doc: Doc, start: int, clauses: List[int], future: bool = True) -> bool:
    """The match is a condition or a future, not an event: "what should i do if he turns
    up", "i keep thinking he's going to turn up", "he's threatening to come round",
    "he says he's coming round". An "if" with its own subject before the match's subject
    does not count: "if i don't reply he rings my dad". Without `future`, only a
    condition counts ("if he sends me a threat", but not "he'll kill me")."""
    subjects = 0
    i = start - 1
    while i >= 0 and clauses[i] == clauses[start]:
        word = doc[i].lower_
        if _conditional(doc, i) and subjects <= 1:
            # "is it stalking if he only turns up at my work": a question about what happens.
            return i == 0 or doc[i - 1].norm_ not in JUDGEMENTS
        if (
            future
            and start - i <= FUTURE_REACH
            and (
                word in FUTURE_WORDS
                or (INTENT_VERBS & {doc[i].lower_, doc[i].norm_} and doc[i + 1].lower_ == "to")
            )
        ):
            return True
        subjects += word in SUBJECTS
        i -= 1
    return future and doc[start].lower_ == "coming" and start > 0 and doc[start - 1].lower_ in PRESENT_BE


def _threat_condition(doc: Doc, i: int) -> bool:
    """The condition at i is on what the person does, in a threat told to them: "he told
    me if I report him he'll wait for me", not a hypothetical ("what if he turns up")."""
    return (
        _conditional(doc, i)
        and i + 1 < len(doc)
        and doc[i + 1].lower_ in PERSON_TOLD
        and any(t.norm_ in THREAT_TELLING for t in doc[max(0, i - FUTURE_REACH) : i])
    )


def _conditional(doc: Doc, i: int) -> bool:
    """Token i starts a condition: "if", "unless", "in case" (not "the court case")."""
    word = doc[i].lower_
    return word in CONDITIONALS or (word == "case" and i > 0 and doc[i - 1].lower_ == "in")


def _negated(doc: Doc, start: int, clauses: List[int], negations: Set[int]) -> bool:
    """A negation word shortly before `start` in the same clause. It does not reach past
    a new subject ("i can't breathe he's outside"), except after a verb of belief
    ("i don't think i'm in danger")."""
    if doc[start].lower_ in SUBJECTS and (start == 0 or doc[start - 1].norm_ not in BELIEF_VERBS):
        return False  # the negation belongs to an earlier clause: "can't talk he's here"
    reach, i = NEGATION_WINDOW, start - 1
    while i >= 0 and start - i <= reach and clauses[i] == clauses[start]:
        # "he hasn't stopped texting", "he won't stop calling": it goes on.
        if i in negations and not (i + 1 < len(doc) and doc[i + 1].norm_ in STOP_WORDS):
            return True
        if doc[i].lower_ in SUBJECTS:
            if i == 0 or doc[i - 1].norm_ not in BELIEF_VERBS:
                return False
            reach += NEGATION_WINDOW
        if doc[i].lower_ in LINKED_BY:
            reach += NEGATION_WINDOW  # "he has never followed me or come to my house"
        i -= 1
    return False


def _sentence_ids(doc: Doc) -> List[int]:
    ids, sentence = [], 0
    for token in doc:
        if token.lower_ in SENTENCE_ENDS or "\n" in token.text:
            sentence += 1
        ids.append(sentence)
    return ids


def _clause_ids(doc: Doc) -> List[int]:
    ids, clause = [], 0
    for token in doc:
        breaks = token.lower_ in CLAUSE_BREAKS or token.norm_ in CLAUSE_BREAKS
        if token.lower_ == "and" and token.i + 1 < len(doc):
            breaks = doc[token.i + 1].lower_ in AND_STARTS_CLAUSE
        if token.lower_ == "then" and 0 < token.i < len(doc) - 1:
            breaks = doc[token.i - 1].lower_ not in THEN_JOINS and not doc[token.i + 1].is_punct
        if breaks or "\n" in token.text:
            clause += 1
        ids.append(clause)
    return ids


def _token_set(matches, label: str) -> Set[int]:
    return {i for s, e in matches.get(label, []) for i in range(s, e)}


def _spans_of_phrases(doc: Doc, phrases: Sequence[str]) -> List[Tuple[int, int]]:
    words = [t.lower_ for t in doc]
    spans = []
    for phrase in phrases:
        parts = phrase.split()
        for i in range(len(words) - len(parts) + 1):
            if words[i : i + len(parts)] == parts:
                spans.append((i, i + len(parts)))
    return spans


def _danger_words(matches) -> bool:
    """Any emergency or presence cue that no exclusion covers."""
    excluded = matches.get("danger/exclude", [])
    return any(
        not _overlaps(span, excluded)
        for kind in ("emergency", "presence")
        for span in matches.get(f"danger/{kind}", [])
    )


def _overlaps(span: Tuple[int, int], others: Iterable[Tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in others)


def _labels_in_order(matches, prefix: str) -> Tuple[str, ...]:
    first: Dict[str, int] = {}
    for label, spans in matches.items():
        if label.startswith(prefix):
            first[label[len(prefix) :]] = min(s for s, _ in spans)
    return tuple(sorted(first, key=first.__getitem__))


@lru_cache(maxsize=1)
def default_analyser() -> Analyser:
    """One analyser per process, compiled from the shipped knowledge."""
    return Analyser()
