"""The bundled sample repository and the agent-style changes the demo gates."""
