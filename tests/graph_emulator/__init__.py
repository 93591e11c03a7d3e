"""A Microsoft Graph emulator on loopback, so tests can drive the real msgraph-sdk over HTTP. Test equipment only."""

from .emulator import GraphEmulator
from .state import Request

__all__ = ["GraphEmulator", "Request"]
