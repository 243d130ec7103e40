"""Where conversations are kept: a durable SQL tracker store, erasure and retention."""
