"""Where raw documents come from. Only this package reads inputs; nothing here interprets them."""
