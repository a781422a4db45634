"""One router per API group of the product plan."""
