"""Understanding people's own words: spaCy rule layer and its Rasa components."""

# Keys the MessageLengthCap component adds to the parse data of a capped message.
CAPPED_FROM = "capped_from_characters"
CAPPED_AT = "capped_at_characters"
