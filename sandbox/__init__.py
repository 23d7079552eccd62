"""The sandbox: the real bot against a local Bot API server, and a web page where one person
plays every role (python -m bot sandbox)."""
