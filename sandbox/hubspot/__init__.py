"""A local stand-in for the HubSpot CRM API (v3 objects, v4 associations) the real SDK talks to."""
