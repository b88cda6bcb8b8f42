"""The built-in checks: one module per small check, one package per large one (its helpers inside)."""
