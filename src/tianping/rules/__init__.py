"""Rule packs and the safe expression engine that evaluates them."""
