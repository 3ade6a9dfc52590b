"""Settings and the shipped default rules and mapping files."""
