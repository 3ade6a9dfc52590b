"""Local HTTPS stand-ins for the Salesforce and HubSpot APIs, for the demo and the tests."""
