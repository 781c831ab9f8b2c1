"""The programme's rules and aggregates: applicants, waves, reviews, decisions; no I/O."""
