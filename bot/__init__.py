"""The community service bot: settings, wiring, texts, domain rules, outbox and jobs."""
