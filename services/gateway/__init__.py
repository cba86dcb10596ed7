"""The web gateway: accounts and sessions, and the one door to the services' APIs."""
