
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'traefikeectl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'traefikeectl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'traefikeectl' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Exchange a cluster''s one-time credentials for your own, and save a profile')
            [CompletionResult]::new('list-nodes', 'list-nodes', [CompletionResultType]::ParameterValue, 'List the nodes of the cluster')
            [CompletionResult]::new('rm-node', 'rm-node', [CompletionResultType]::ParameterValue, 'Remove a node from the cluster by name or id')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Cluster identity, leader and the answering controller''s Raft status')
            [CompletionResult]::new('tokens', 'tokens', [CompletionResultType]::ParameterValue, 'Show or rotate the join tokens')
            [CompletionResult]::new('credentials', 'credentials', [CompletionResultType]::ParameterValue, 'Manage operator credentials')
            [CompletionResult]::new('deploy', 'deploy', [CompletionResultType]::ParameterValue, 'Validate and deploy a configuration; data nodes apply it atomically')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Show what is deployed')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show the newest changes made to the cluster: who, when, what')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Write a backup of the cluster (configuration, certificates, CA, tokens, credentials)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore a backup into the running cluster through Raft, in one step')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Start a cluster on this machine (`--local`), wait until it is healthy, and connect')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Stop a cluster started by `install --local` and remove its state')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the client''s and the cluster''s versions')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikeectl;connect' {
            [CompletionResult]::new('--onpremise.mtlscertsdir', '--onpremise.mtlscertsdir', [CompletionResultType]::ParameterName, 'Directory holding the one-time credentials (ca.pem, cert.pem, key.pem)')
            [CompletionResult]::new('--onpremise.apiaddress', '--onpremise.apiaddress', [CompletionResultType]::ParameterName, 'API address of a controller, or of a VIP in front of the controllers')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The cluster''s namespace (with --kubernetes)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Your operator name, when the credentials do not fix one (default: $USER)')
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--kubernetes', '--kubernetes', [CompletionResultType]::ParameterName, 'Connect to a cluster installed with `install --kubernetes` (current kubeconfig context): read its one-time credential Secret, use it, delete it')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an existing profile of the same name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;list-nodes' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--details', '--details', [CompletionResultType]::ParameterName, 'Show ids, membership, status and availability')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;rm-node' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;status' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;tokens' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the join tokens as shell exports')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace both join tokens; the old ones are refused from then on')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikeectl;tokens;show' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;tokens;rotate' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;tokens;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the join tokens as shell exports')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace both join tokens; the old ones are refused from then on')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikeectl;tokens;help;show' {
            break
        }
        'traefikeectl;tokens;help;rotate' {
            break
        }
        'traefikeectl;tokens;help;help' {
            break
        }
        'traefikeectl;credentials' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create one-time credentials for another operator')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List operator and one-time credentials with their status')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke credentials by operator name, serial or id; every controller refuses them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikeectl;credentials;create' {
            [CompletionResult]::new('--output-dir', '--output-dir', [CompletionResultType]::ParameterName, 'Where to write them (default: ./<name>-credentials)')
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;credentials;list' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;credentials;revoke' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;credentials;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create one-time credentials for another operator')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List operator and one-time credentials with their status')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke credentials by operator name, serial or id; every controller refuses them')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikeectl;credentials;help;create' {
            break
        }
        'traefikeectl;credentials;help;list' {
            break
        }
        'traefikeectl;credentials;help;revoke' {
            break
        }
        'traefikeectl;credentials;help;help' {
            break
        }
        'traefikeectl;deploy' {
            [CompletionResult]::new('--configfile', '--configfile', [CompletionResultType]::ParameterName, 'A configuration in Traefik''s format (YAML, TOML or JSON): entryPoints, http, tcp, tls')
            [CompletionResult]::new('--entryPoints', '--entryPoints', [CompletionResultType]::ParameterName, 'An entry point, as in TraefikEE: ''Name:http Address::80'' or ''Name:https Address::443 TLS''')
            [CompletionResult]::new('--defaultentrypoints', '--defaultentrypoints', [CompletionResultType]::ParameterName, 'Entry points that routers naming none attach to, comma separated')
            [CompletionResult]::new('--wait-timeout', '--wait-timeout', [CompletionResultType]::ParameterName, 'Seconds --wait waits before failing')
            [CompletionResult]::new('--consul.endpoint', '--consul.endpoint', [CompletionResultType]::ParameterName, 'Consul agent to read routes from (HOST:PORT, or comma separated)')
            [CompletionResult]::new('--consul.prefix', '--consul.prefix', [CompletionResultType]::ParameterName, 'Root key in Consul (default traefik)')
            [CompletionResult]::new('--etcd.endpoint', '--etcd.endpoint', [CompletionResultType]::ParameterName, 'etcd v3 endpoint to read routes from (HOST:PORT, or comma separated)')
            [CompletionResult]::new('--etcd.prefix', '--etcd.prefix', [CompletionResultType]::ParameterName, 'Root key in etcd (default traefik)')
            [CompletionResult]::new('--redis.endpoint', '--redis.endpoint', [CompletionResultType]::ParameterName, 'Redis server to read routes from (HOST:PORT, or comma separated)')
            [CompletionResult]::new('--redis.prefix', '--redis.prefix', [CompletionResultType]::ParameterName, 'Root key in Redis (default traefik)')
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Validate the configuration on the cluster without deploying it')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until every live data node runs the new version')
            [CompletionResult]::new('--consul.watch', '--consul.watch', [CompletionResultType]::ParameterName, 'Accepted for TraefikEE v1 compatibility: providers are always watched')
            [CompletionResult]::new('--etcd.watch', '--etcd.watch', [CompletionResultType]::ParameterName, 'Accepted for TraefikEE v1 compatibility: providers are always watched')
            [CompletionResult]::new('--redis.watch', '--redis.watch', [CompletionResultType]::ParameterName, 'Accepted for TraefikEE v1 compatibility: providers are always watched')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;get' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'The deployed configuration (YAML unless -o json), and what each provider gave')
            [CompletionResult]::new('providers', 'providers', [CompletionResultType]::ParameterValue, 'The providers (etcd, Consul, Redis) and how each is doing')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikeectl;get;config' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;get;providers' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;get;help' {
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'The deployed configuration (YAML unless -o json), and what each provider gave')
            [CompletionResult]::new('providers', 'providers', [CompletionResultType]::ParameterValue, 'The providers (etcd, Consul, Redis) and how each is doing')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikeectl;get;help;config' {
            break
        }
        'traefikeectl;get;help;providers' {
            break
        }
        'traefikeectl;get;help;help' {
            break
        }
        'traefikeectl;audit' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many of the newest entries to show')
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;backup' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Where to write the archive (default: ./<UTC time>_traefikee-backup.tar)')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Encrypt the archive (age, scrypt) with the passphrase in this file (first line)')
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--gzip', '--gzip', [CompletionResultType]::ParameterName, 'Gzip the archive (inside the encryption, if any)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace the file if it exists')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Print an archive''s manifest and verify every checksum (no cluster needed)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikeectl;backup;inspect' {
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Passphrase file, for an encrypted archive')
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;backup;help' {
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Print an archive''s manifest and verify every checksum (no cluster needed)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikeectl;backup;help;inspect' {
            break
        }
        'traefikeectl;backup;help;help' {
            break
        }
        'traefikeectl;restore' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The archive to restore')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Passphrase file, for an encrypted archive')
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Restore an archive of another cluster (its configuration only)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Run every check and say what would change, without changing anything')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;install' {
            [CompletionResult]::new('--controlnodes', '--controlnodes', [CompletionResultType]::ParameterName, 'Number of control nodes (odd numbers tolerate failures best)')
            [CompletionResult]::new('--datanodes', '--datanodes', [CompletionResultType]::ParameterName, 'Number of data nodes (proxies; at most 20 with --local)')
            [CompletionResult]::new('--traefikee-bin', '--traefikee-bin', [CompletionResultType]::ParameterName, 'The traefikee binary (default: beside traefikeectl, then $PATH)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace to install into (--kubernetes)')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The traefikee image the pods run (--kubernetes; default: this version''s)')
            [CompletionResult]::new('--archivepath', '--archivepath', [CompletionResultType]::ParameterName, 'Start the cluster from a backup: same identity, tokens, credentials and configuration (--kubernetes)')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'The backup''s passphrase, in a file (with --archivepath)')
            [CompletionResult]::new('--kube-version', '--kube-version', [CompletionResultType]::ParameterName, 'The Kubernetes release to render for with --dry-run, e.g. 1.20 (default: the newest this version knows; a real install asks the server)')
            [CompletionResult]::new('--wait-timeout', '--wait-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the controllers and proxies to be ready, in seconds')
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Start the cluster on this machine: one loopback address per node')
            [CompletionResult]::new('--kubernetes', '--kubernetes', [CompletionResultType]::ParameterName, 'Install on Kubernetes with the current kubeconfig context')
            [CompletionResult]::new('--dashboard', '--dashboard', [CompletionResultType]::ParameterName, 'Serve the dashboard (not implemented yet: refused)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace an installation of the same name (--local) or in the same namespace (--kubernetes; its state is deleted)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the manifests (YAML, or JSON with -o json) instead of applying them (--kubernetes)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;uninstall' {
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The cluster''s namespace (--kubernetes)')
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Stop the local cluster and remove its state, logs and profile')
            [CompletionResult]::new('--kubernetes', '--kubernetes', [CompletionResultType]::ParameterName, 'Remove what `install --kubernetes` created (current kubeconfig context), the controllers'' volumes included, and the profile')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;version' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;completion' {
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of read commands')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikeectl;help' {
            [CompletionResult]::new('connect', 'connect', [CompletionResultType]::ParameterValue, 'Exchange a cluster''s one-time credentials for your own, and save a profile')
            [CompletionResult]::new('list-nodes', 'list-nodes', [CompletionResultType]::ParameterValue, 'List the nodes of the cluster')
            [CompletionResult]::new('rm-node', 'rm-node', [CompletionResultType]::ParameterValue, 'Remove a node from the cluster by name or id')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Cluster identity, leader and the answering controller''s Raft status')
            [CompletionResult]::new('tokens', 'tokens', [CompletionResultType]::ParameterValue, 'Show or rotate the join tokens')
            [CompletionResult]::new('credentials', 'credentials', [CompletionResultType]::ParameterValue, 'Manage operator credentials')
            [CompletionResult]::new('deploy', 'deploy', [CompletionResultType]::ParameterValue, 'Validate and deploy a configuration; data nodes apply it atomically')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Show what is deployed')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show the newest changes made to the cluster: who, when, what')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Write a backup of the cluster (configuration, certificates, CA, tokens, credentials)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore a backup into the running cluster through Raft, in one step')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Start a cluster on this machine (`--local`), wait until it is healthy, and connect')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Stop a cluster started by `install --local` and remove its state')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the client''s and the cluster''s versions')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikeectl;help;connect' {
            break
        }
        'traefikeectl;help;list-nodes' {
            break
        }
        'traefikeectl;help;rm-node' {
            break
        }
        'traefikeectl;help;status' {
            break
        }
        'traefikeectl;help;tokens' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print the join tokens as shell exports')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace both join tokens; the old ones are refused from then on')
            break
        }
        'traefikeectl;help;tokens;show' {
            break
        }
        'traefikeectl;help;tokens;rotate' {
            break
        }
        'traefikeectl;help;credentials' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create one-time credentials for another operator')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List operator and one-time credentials with their status')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke credentials by operator name, serial or id; every controller refuses them')
            break
        }
        'traefikeectl;help;credentials;create' {
            break
        }
        'traefikeectl;help;credentials;list' {
            break
        }
        'traefikeectl;help;credentials;revoke' {
            break
        }
        'traefikeectl;help;deploy' {
            break
        }
        'traefikeectl;help;get' {
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'The deployed configuration (YAML unless -o json), and what each provider gave')
            [CompletionResult]::new('providers', 'providers', [CompletionResultType]::ParameterValue, 'The providers (etcd, Consul, Redis) and how each is doing')
            break
        }
        'traefikeectl;help;get;config' {
            break
        }
        'traefikeectl;help;get;providers' {
            break
        }
        'traefikeectl;help;audit' {
            break
        }
        'traefikeectl;help;backup' {
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Print an archive''s manifest and verify every checksum (no cluster needed)')
            break
        }
        'traefikeectl;help;backup;inspect' {
            break
        }
        'traefikeectl;help;restore' {
            break
        }
        'traefikeectl;help;install' {
            break
        }
        'traefikeectl;help;uninstall' {
            break
        }
        'traefikeectl;help;version' {
            break
        }
        'traefikeectl;help;completion' {
            break
        }
        'traefikeectl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
