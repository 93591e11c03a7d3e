"""Implementations of the ports: the local workspace, in-memory fakes and (later) Microsoft Graph."""
