"""The real msgraph-sdk pointed at the emulator, built as m365-graph.md §1.2 builds it for tests.

The SDK's generated classes warn about their own deprecations at import; those imports happen here, muted.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import httpx
from azure.core.credentials import AccessToken

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
    from kiota_http.middleware.options import RetryHandlerOption
    from msgraph.generated.drives.item.items.item.content.content_request_builder import ContentRequestBuilder
    from msgraph.generated.drives.item.items.item.create_upload_session.create_upload_session_post_request_body import (  # noqa: E501
        CreateUploadSessionPostRequestBody as DriveSessionBody,
    )
    from msgraph.generated.models.attachment_item import AttachmentItem
    from msgraph.generated.models.attachment_type import AttachmentType
    from msgraph.generated.models.body_type import BodyType
    from msgraph.generated.models.drive_item_uploadable_properties import DriveItemUploadableProperties
    from msgraph.generated.models.email_address import EmailAddress
    from msgraph.generated.models.field_value_set import FieldValueSet
    from msgraph.generated.models.file_attachment import FileAttachment
    from msgraph.generated.models.item_body import ItemBody
    from msgraph.generated.models.list_item import ListItem
    from msgraph.generated.models.message import Message
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError
    from msgraph.generated.models.recipient import Recipient
    from msgraph.generated.models.single_value_legacy_extended_property import SingleValueLegacyExtendedProperty
    from msgraph.generated.sites.item.lists.item.items.items_request_builder import ItemsRequestBuilder
    from msgraph.generated.users.item.mail_folders.item.messages.delta.delta_request_builder import DeltaRequestBuilder
    from msgraph.generated.users.item.mail_folders.item.messages.messages_request_builder import (
        MessagesRequestBuilder,
    )
    from msgraph.generated.users.item.messages.item.attachments.create_upload_session.create_upload_session_post_request_body import (  # noqa: E501
        CreateUploadSessionPostRequestBody as AttachmentSessionBody,
    )
    from msgraph.generated.users.item.messages.item.message_item_request_builder import MessageItemRequestBuilder
    from msgraph.generated.users.item.messages.item.move.move_post_request_body import MovePostRequestBody
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_request_adapter import options as sdk_default_options
    from msgraph.graph_service_client import GraphServiceClient
    from msgraph_core import GraphClientFactory

__all__ = [
    "AttachmentItem", "AttachmentSessionBody", "AttachmentType", "DriveItemUploadableProperties", "DriveSessionBody",
    "BodyType", "ContentRequestBuilder", "DeltaRequestBuilder", "EmailAddress", "FieldValueSet", "FileAttachment",
    "ItemBody", "ItemsRequestBuilder", "ListItem", "Message", "MessageItemRequestBuilder", "MessagesRequestBuilder",
    "MovePostRequestBody", "ODataError", "Recipient", "RequestConfiguration", "RetryHandlerOption",
    "SingleValueLegacyExtendedProperty", "make_client",
]


class StaticToken:
    """A credential that always hands out the emulator's token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("emulator-token", int(time.time()) + 365 * 24 * 3600)


def make_client(base_url: str, retry: RetryHandlerOption | None = None) -> GraphServiceClient:
    """Build inside the event loop that will use it (httpx clients are bound to one loop)."""
    options = dict(sdk_default_options)
    options[RetryHandlerOption.get_key()] = retry or RetryHandlerOption(delay=0, max_retries=3)
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0), headers={"Prefer": 'IdType="ImmutableId"'})
    http = GraphClientFactory.create_with_default_middleware(client=http, options=options)
    auth = AzureIdentityAuthenticationProvider(StaticToken(), scopes=["https://graph.microsoft.com/.default"],
                                               allowed_hosts=["127.0.0.1"])
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = base_url.rstrip("/")
    return GraphServiceClient(request_adapter=adapter)
