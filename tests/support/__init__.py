"""Helpers every test module shares: one git helper, one plan builder, one CLI driver, and
the rule for missing tools. Fixtures (the pytest plugins) live in tests/fixtures/."""
