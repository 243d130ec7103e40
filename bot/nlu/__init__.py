"""Understanding people's own words: spaCy rule layer and its Rasa components."""

# Keys the MessageLengthCap component adds to the parse data of a capped message.
CAPPED_FROM = "capped_from_characters"
CAPPED_AT = "capped_at_characters"
# Key StalkingUnderstanding adds to a message it does not read as an emergency but that
# may be one; the reply then opens with how to reach 999 (actions/slot_extraction.py).
DANGER_CHECK = "danger_check"
