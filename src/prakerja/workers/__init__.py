"""Workers: the dispatcher that derives work from the event log, and the actors doing it."""
