"""The console's HTTP side: FastAPI routes rendering server-side templates."""
