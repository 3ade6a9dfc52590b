"""The Salesforce stand-in: REST API v59.0, SOQL subset, collections, limits and faults."""
