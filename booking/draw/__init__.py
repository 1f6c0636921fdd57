"""The fair draw (摇号): a seeded, verifiable allocation of scarce slots (docs/draw.md)."""
