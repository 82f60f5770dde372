"""kamflow engine: definitions, evaluation, workflows. Never imports the web layer."""
