"""Command modules: each one registers its commands on the root typer app."""
