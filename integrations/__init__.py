"""Connectors: Salesforce and HubSpot behind one small protocol (see `base`)."""
