// cspr-bot on Azure Container Apps, with its ledger on Azure Database for PostgreSQL.
// deploy.sh deploys this into one resource group (az deployment group create). See deploy/README.md.
//
//   Log Analytics workspace ── Container Apps environment ── Container App "cspr-bot" (1 or 2 replicas)
//   user-assigned identity ──> Key Vault (RBAC): graph-certificate (PEM), postgres-password
//   PostgreSQL Flexible Server (TLS required) with database cspr_bot
//
// Files in the container: the settings at /etc/cspr-bot/cspr-bot.toml and the certificate at
// /run/secrets/cspr-bot.pem, both from secret volumes; PGPASSWORD from a Key Vault secret reference.
// The workspace /var/lib/cspr-bot is an EmptyDir: the ledger lives on PostgreSQL, so nothing there
// has to outlive a replica. (SQLite on Azure Files is refused by the bot: SMB does not give SQLite the
// locking and durable writes its transactions rely on, so the ledger could be corrupted or lose commits.)
//
// Tested here only textually (tests/deploy/test_azure.py); `az bicep build --file main.bicep` and a
// what-if deployment (`deploy.sh --what-if`) are what check it for real.

@description('Azure region for every resource.')
param location string = resourceGroup().location

@description('Prefix of the resource names (the Container App is named exactly this).')
@minLength(3)
@maxLength(20)
param namePrefix string = 'cspr-bot'

@description('The image to run, e.g. myregistry.azurecr.io/cspr-bot:0.2.0 (built from deploy/docker/Dockerfile).')
param image string

@description('Registry server (e.g. myregistry.azurecr.io) the identity pulls the image from; deploy.sh gives it AcrPull there. Empty for a public image.')
param registryServer string = ''

@description('The bot\'s settings file (TOML). It must set ledger_url to this server, [ops] http_port = 8080 and http_host = "0.0.0.0".')
@secure()
param configToml string

@description('The Graph app registration\'s certificate and private key, PEM. Stored in Key Vault as application/x-pem-file.')
@secure()
param graphCertificatePem string

@description('PostgreSQL server name, globally unique: <name>.postgres.database.azure.com.')
param postgresServerName string

@description('Login the bot connects as (and the database owner).')
param postgresLogin string = 'cspr_bot'

@description('Password of postgresLogin. Stored in Key Vault; the bot gets it as PGPASSWORD.')
@secure()
@minLength(16)
param postgresPassword string

@description('PostgreSQL major version.')
param postgresVersion string = '16'

@description('PostgreSQL compute size.')
param postgresSkuName string = 'Standard_B1ms'

@description('PostgreSQL compute tier (Burstable, GeneralPurpose, MemoryOptimized).')
param postgresTier string = 'Burstable'

@description('Days of PostgreSQL point-in-time backups (7 to 35).')
@minValue(7)
@maxValue(35)
param postgresBackupRetentionDays int = 14

@description('Replicas of the bot: 1, or 2 for high availability (one leader by PostgreSQL advisory lock, one standby).')
@allowed([
  1
  2
])
param replicas int = 1

@description('Key Vault name, globally unique, 3-24 characters.')
@maxLength(24)
param keyVaultName string = 'kv-${uniqueString(resourceGroup().id, namePrefix)}'

@description('Days Log Analytics keeps the bot\'s logs.')
param logRetentionDays int = 90

var opsPort = 8080
var databaseName = 'cspr_bot'
// Built-in role "Key Vault Secrets User": read secret values, nothing else.
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
  }
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-identity'
  location: location
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
  }
}

resource graphCertificateSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'graph-certificate'
  properties: {
    value: graphCertificatePem
    contentType: 'application/x-pem-file'
  }
}

resource postgresPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'postgres-password'
  properties: {
    value: postgresPassword
    contentType: 'text/plain'
  }
}

resource identityReadsSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, keyVaultSecretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: postgresServerName
  location: location
  sku: {
    name: postgresSkuName
    tier: postgresTier
  }
  properties: {
    version: postgresVersion
    administratorLogin: postgresLogin
    administratorLoginPassword: postgresPassword
    authConfig: {
      activeDirectoryAuth: 'Disabled'
      passwordAuth: 'Enabled'
    }
    storage: {
      storageSizeGB: 32
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: postgresBackupRetentionDays
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

// TLS is required, 1.2 at least (the bot's ledger_url says sslmode=require). One server setting at a time:
// the service refuses concurrent changes, hence the dependsOn chain.
resource requireTls 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: postgres
  name: 'require_secure_transport'
  properties: {
    value: 'on'
    source: 'user-override'
  }
}

resource minimalTls 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: postgres
  name: 'ssl_min_protocol_version'
  properties: {
    value: 'TLSv1.2'
    source: 'user-override'
  }
  dependsOn: [
    requireTls
  ]
}

// Container Apps on the Consumption plan have no fixed outbound address, so the server admits Azure's
// own addresses (0.0.0.0 is Azure's convention for that); the password and TLS still apply. For a
// private network instead, put the environment in a virtual network and the server on private access.
resource allowAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = {
  parent: postgres
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
  dependsOn: [
    minimalTls
  ]
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: postgres
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
  dependsOn: [
    allowAzure
  ]
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${namePrefix}-env'
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
  }
}

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: namePrefix
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      // A new revision starts before the old one stops: fine, because the PostgreSQL advisory lock lets
      // only one replica lead. (With SQLite two processes could act at once; that is why it is not used here.)
      activeRevisionsMode: 'Single'
      registries: empty(registryServer) ? [] : [
        {
          server: registryServer
          identity: identity.id
        }
      ]
      secrets: [
        {
          name: 'graph-certificate'
          keyVaultUrl: graphCertificateSecret.properties.secretUri
          identity: identity.id
        }
        {
          name: 'postgres-password'
          keyVaultUrl: postgresPasswordSecret.properties.secretUri
          identity: identity.id
        }
        {
          // The settings are not secret, but a secret volume is how Container Apps mounts a file.
          name: 'cspr-bot-toml'
          value: configToml
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'cspr-bot'
          image: image
          args: [
            'run'
          ]
          env: [
            {
              name: 'CSPR_BOT_CONFIG'
              value: '/etc/cspr-bot/cspr-bot.toml'
            }
            {
              name: 'PGPASSWORD'
              secretRef: 'postgres-password'
            }
          ]
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          probes: [
            {
              // Room for migrations at start before liveness counts.
              type: 'Startup'
              httpGet: {
                path: '/healthz'
                port: opsPort
              }
              periodSeconds: 10
              failureThreshold: 30
              timeoutSeconds: 5
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/healthz'
                port: opsPort
              }
              periodSeconds: 30
              failureThreshold: 3
              timeoutSeconds: 5
            }
          ]
          volumeMounts: [
            {
              volumeName: 'settings'
              mountPath: '/etc/cspr-bot'
            }
            {
              volumeName: 'graph-certificate'
              mountPath: '/run/secrets'
            }
            {
              volumeName: 'workspace'
              mountPath: '/var/lib/cspr-bot'
            }
          ]
        }
      ]
      volumes: [
        {
          name: 'settings'
          storageType: 'Secret'
          secrets: [
            {
              secretRef: 'cspr-bot-toml'
              path: 'cspr-bot.toml'
            }
          ]
        }
        {
          name: 'graph-certificate'
          storageType: 'Secret'
          secrets: [
            {
              secretRef: 'graph-certificate'
              path: 'cspr-bot.pem'
            }
          ]
        }
        {
          name: 'workspace'
          storageType: 'EmptyDir'
        }
      ]
      scale: {
        minReplicas: replicas
        maxReplicas: replicas
      }
    }
  }
  dependsOn: [
    identityReadsSecrets
    database
  ]
}

output containerAppName string = app.name
output keyVaultName string = vault.name
output postgresHost string = postgres.properties.fullyQualifiedDomainName
output ledgerUrl string = 'postgresql://${postgresLogin}@${postgres.properties.fullyQualifiedDomainName}:5432/${databaseName}?sslmode=require'
output identityClientId string = identity.properties.clientId
output logAnalyticsWorkspaceId string = logs.properties.customerId
