"""The verification layers: call a government service, decide under a rule, record it."""
