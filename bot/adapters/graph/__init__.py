"""The ports on Microsoft 365 through Microsoft Graph (msgraph-sdk + azure-identity). Only this package
imports the SDK, and only when the Graph backend is chosen: `import bot` stays light."""
