"""Start both sandbox APIs in this process and hand back where and how to reach them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from sandbox.options import SandboxOptions
from sandbox.server import AppServer, CertificateAuthority


@dataclass
class Sandbox:
    """Both stand-in APIs, running; use as a context manager or call `stop()`."""

    options: SandboxOptions
    salesforce_port: int = 0
    hubspot_port: int = 0
    salesforce_session_id: str = field(default_factory=lambda: "00D!" + secrets.token_hex(24))
    hubspot_token: str = field(default_factory=lambda: "pat-na1-" + secrets.token_hex(16))

    def __post_init__(self) -> None:
        # Imported here so the core stays importable while a system is being built.
        from sandbox.hubspot.app import HubSpotApp
        from sandbox.salesforce.app import SalesforceApp

        self.ca = CertificateAuthority()
        context = self.ca.server_context()
        self.salesforce = SalesforceApp(self.options, self.salesforce_session_id)
        self.hubspot = HubSpotApp(self.options, self.hubspot_token)
        self._servers = [
            AppServer(self.salesforce, context, self.salesforce_port).start(),
            AppServer(self.hubspot, context, self.hubspot_port).start(),
        ]

    @property
    def salesforce_url(self) -> str:
        """The Salesforce instance URL (https://127.0.0.1:PORT)."""
        return self._servers[0].url

    @property
    def hubspot_url(self) -> str:
        """The HubSpot API host (https://127.0.0.1:PORT)."""
        return self._servers[1].url

    @property
    def ca_bundle(self) -> str:
        """The CA file a client must trust."""
        return str(self.ca.ca_bundle)

    def connection_info(self) -> dict[str, Any]:
        """The JSON line `sandbox serve` prints when ready."""
        return {
            "salesforce_url": self.salesforce_url,
            "hubspot_url": self.hubspot_url,
            "ca_bundle": self.ca_bundle,
            "salesforce_session_id": self.salesforce_session_id,
            "hubspot_token": self.hubspot_token,
        }

    def stop(self) -> None:
        """Stop both servers."""
        for server in self._servers:
            server.stop()
        for app in (self.salesforce, self.hubspot):
            close = getattr(app, "close", None)
            if close is not None:
                close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
