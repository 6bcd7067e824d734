"""Language understanding: Alexa slots and free text to a ParsedRequest."""
