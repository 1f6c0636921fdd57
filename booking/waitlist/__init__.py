"""The waitlist (候补): workers wait for a full slot; freed places find them."""
