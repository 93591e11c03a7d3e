<#
.SYNOPSIS
  Scopes cspr-bot's mail access to its one shared mailbox with Exchange Online RBAC for Applications.

.DESCRIPTION
  Instead of the tenant-wide Microsoft Graph Mail.* permissions (which reach every mailbox), this gives
  the app "Application Mail.ReadWrite" and "Application Mail.Send" limited by a management scope that
  matches only the shared mailbox. Every step looks first and creates only what is missing, so it is
  safe to run again; it says what it created, changed or found. It then checks both directions with
  Test-ServicePrincipalAuthorization: the shared mailbox in scope, another mailbox out of it, and exits
  with 1 if either is wrong.

  Needs PowerShell 7 and the ExchangeOnlineManagement module (Install-Module ExchangeOnlineManagement),
  signed in as an Exchange Administrator. A new assignment can take up to two hours to reach Graph;
  Test-ServicePrincipalAuthorization shows the configuration at once.

  Tested here only textually (tests/deploy/test_azure.py); pwsh with a test tenant is what checks it.

.EXAMPLE
  ./exchange-rbac.ps1 -AppId <client-id> -ServicePrincipalId <enterprise-app-object-id> `
      -Mailbox cspr-reviews@your-council.example -OutOfScopeMailbox someone.else@your-council.example
#>
[CmdletBinding()]
param(
    # The app registration's application (client) id (entra-app.sh prints it).
    [Parameter(Mandatory)][string]$AppId,
    # The object id of the app's service principal (enterprise application), not of the registration.
    [Parameter(Mandatory)][string]$ServicePrincipalId,
    # The shared mailbox the bot reads and sends from (bot.mailbox_address).
    [Parameter(Mandatory)][string]$Mailbox,
    # Any other mailbox, to prove the scope keeps the bot out of it.
    [Parameter(Mandatory)][string]$OutOfScopeMailbox,
    [string]$DisplayName = 'cspr-bot',
    [string]$ScopeName = 'cspr-bot shared mailbox',
    # Your tenant, e.g. your-council.onmicrosoft.com; empty: the sign-in decides.
    [string]$Organization = ''
)
$ErrorActionPreference = 'Stop'

if ($Organization) { Connect-ExchangeOnline -ShowBanner:$false -Organization $Organization }
else { Connect-ExchangeOnline -ShowBanner:$false }

# 1. Exchange's own pointer to the Entra service principal.
$sp = Get-ServicePrincipal -Identity $ServicePrincipalId -ErrorAction SilentlyContinue
if (-not $sp) {
    $sp = New-ServicePrincipal -AppId $AppId -ObjectId $ServicePrincipalId -DisplayName $DisplayName
    Write-Host "created   Exchange service principal $DisplayName ($AppId)"
} else {
    Write-Host "found     Exchange service principal $($sp.DisplayName) ($AppId)"
}

# 2. A management scope that matches the shared mailbox and nothing else.
$filter = "PrimarySmtpAddress -eq '$($Mailbox.Replace("'", "''"))'"
$scope = Get-ManagementScope -Identity $ScopeName -ErrorAction SilentlyContinue
if (-not $scope) {
    $scope = New-ManagementScope -Name $ScopeName -RecipientRestrictionFilter $filter
    Write-Host "created   management scope '$ScopeName': $filter"
} elseif (($scope.RecipientFilter -replace '[()\s]', '') -ne ($filter -replace '[()\s]', '')) {
    # (Exchange may store the filter with brackets or other spacing; only a different filter counts.)
    Set-ManagementScope -Identity $ScopeName -RecipientRestrictionFilter $filter
    Write-Host "changed   management scope '$ScopeName': $($scope.RecipientFilter) -> $filter"
} else {
    Write-Host "found     management scope '$ScopeName': $filter"
}

# 3. The two application roles, each limited to that scope.
foreach ($role in 'Application Mail.ReadWrite', 'Application Mail.Send') {
    $name = "$DisplayName - $role"
    $assignment = Get-ManagementRoleAssignment -Identity $name -ErrorAction SilentlyContinue
    if (-not $assignment) {
        New-ManagementRoleAssignment -Name $name -App $ServicePrincipalId -Role $role -CustomResourceScope $ScopeName | Out-Null
        Write-Host "created   role assignment '$name' scoped to '$ScopeName'"
    } elseif ("$($assignment.CustomResourceScope)" -ne $ScopeName) {
        Set-ManagementRoleAssignment -Identity $name -CustomResourceScope $ScopeName
        Write-Host "changed   role assignment '$name' scope $($assignment.CustomResourceScope) -> '$ScopeName'"
    } else {
        Write-Host "found     role assignment '$name' scoped to '$ScopeName'"
    }
}

# 4. Both directions: every granted role in scope for the shared mailbox, none for the other.
$failed = $false
foreach ($check in @(@{ Resource = $Mailbox; Expect = $true }, @{ Resource = $OutOfScopeMailbox; Expect = $false })) {
    $results = @(Test-ServicePrincipalAuthorization -Identity $AppId -Resource $check.Resource)
    foreach ($r in $results) {
        $ok = ($r.InScope -eq $check.Expect)
        if (-not $ok) { $failed = $true }
        $mark = if ($ok) { 'ok  ' } else { 'FAIL' }
        Write-Host "$mark      $($check.Resource): $($r.RoleName) InScope=$($r.InScope) (expected $($check.Expect))"
    }
    if ($check.Expect -and $results.Count -lt 2) {
        $failed = $true
        Write-Host "FAIL      $($check.Resource): $($results.Count) role(s) found, expected Mail.ReadWrite and Mail.Send"
    }
}
if ($failed) { exit 1 }
Write-Host "Mail access is limited to $Mailbox."
