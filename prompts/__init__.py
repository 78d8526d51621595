"""The LLM path's prompt files (``system.txt``, ``answer.txt``, ``condense.txt``).

This folder installs as the package ``assistant.prompts`` (see pyproject.toml), so a wheel carries it.
"""
