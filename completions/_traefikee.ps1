
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'traefikee' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'traefikee'
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
        'traefikee' {
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('bootstrap', 'bootstrap', [CompletionResultType]::ParameterValue, 'Create a cluster: CA, join tokens, API credentials and the first control node')
            [CompletionResult]::new('start-control-node', 'start-control-node', [CompletionResultType]::ParameterValue, 'Start a control node that joins a cluster (or rejoins from its state dir)')
            [CompletionResult]::new('start-data-node', 'start-data-node', [CompletionResultType]::ParameterValue, 'Start a data node (a proxy): joins a cluster, or serves a file with --configfile')
            [CompletionResult]::new('list-nodes', 'list-nodes', [CompletionResultType]::ParameterValue, 'List the nodes of the cluster (through this node''s socket)')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print the join tokens as shell exports')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the cluster''s identity, leader and this node''s Raft progress')
            [CompletionResult]::new('tokens', 'tokens', [CompletionResultType]::ParameterValue, 'Manage the join tokens')
            [CompletionResult]::new('rm-node', 'rm-node', [CompletionResultType]::ParameterValue, 'Remove a node from the cluster by name or id')
            [CompletionResult]::new('deploy', 'deploy', [CompletionResultType]::ParameterValue, 'Validate and deploy a configuration (through this control node''s socket)')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Write a backup of the cluster (through this control node''s socket)')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'Make this stopped control node the only one of its cluster, when the others are lost for good (quorum lost); the lost ones are removed when it starts again')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikee;bootstrap' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address the cluster port listens on')
            [CompletionResult]::new('--advertise', '--advertise', [CompletionResultType]::ParameterName, 'Address other nodes reach this node''s cluster port at (default: --listen, unless it is a wildcard address)')
            [CompletionResult]::new('--api.addr', '--api.addr', [CompletionResultType]::ParameterName, 'Address the mTLS API listens on (default: the --listen IP, port 55055)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of this node (default: the host name): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('--statedir', '--statedir', [CompletionResultType]::ParameterName, 'Where this node keeps its identity and Raft data')
            [CompletionResult]::new('--datanode-grace-period', '--datanode-grace-period', [CompletionResultType]::ParameterName, 'Seconds a data node may stay silent before it leaves the node list (it comes back when it reports again)')
            [CompletionResult]::new('--raft.heartbeat-interval', '--raft.heartbeat-interval', [CompletionResultType]::ParameterName, 'Milliseconds between the leader''s heartbeats to the other control nodes, which is also how long each replication request may take: about 1.5 times the longest round trip between control nodes, 3 times on a lossy link (give every control node of a cluster the same timing)')
            [CompletionResult]::new('--raft.election-timeout', '--raft.election-timeout', [CompletionResultType]::ParameterName, 'Milliseconds of silence from the leader after which a control node stands for election (default: the larger of 150 and 3 heartbeat intervals)')
            [CompletionResult]::new('--traefikeesocket', '--traefikeesocket', [CompletionResultType]::ParameterName, 'The node''s local API socket')
            [CompletionResult]::new('--controlnodes', '--controlnodes', [CompletionResultType]::ParameterName, 'Number of control nodes of the cluster. With more than one, this bootstrap node waits for them, hands the cluster over and exits')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the control nodes before giving up (no cluster is left behind)')
            [CompletionResult]::new('--clustername', '--clustername', [CompletionResultType]::ParameterName, 'Name of the cluster: 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('--mtlscertsoutputdir', '--mtlscertsoutputdir', [CompletionResultType]::ParameterName, 'Where to write the one-time API credentials for `traefikeectl connect`')
            [CompletionResult]::new('--licensekey', '--licensekey', [CompletionResultType]::ParameterName, 'Accepted for compatibility with TraefikEE; traefikee needs no license')
            [CompletionResult]::new('--archivepath', '--archivepath', [CompletionResultType]::ParameterName, 'Start the cluster from a backup archive: same cluster id, CA, tokens, credentials and configuration (--clustername is then the archive''s)')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Passphrase file of an encrypted --archivepath')
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikee;start-control-node' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address the cluster port listens on')
            [CompletionResult]::new('--advertise', '--advertise', [CompletionResultType]::ParameterName, 'Address other nodes reach this node''s cluster port at (default: --listen, unless it is a wildcard address)')
            [CompletionResult]::new('--api.addr', '--api.addr', [CompletionResultType]::ParameterName, 'Address the mTLS API listens on (default: the --listen IP, port 55055)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of this node (default: the host name): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('--statedir', '--statedir', [CompletionResultType]::ParameterName, 'Where this node keeps its identity and Raft data')
            [CompletionResult]::new('--datanode-grace-period', '--datanode-grace-period', [CompletionResultType]::ParameterName, 'Seconds a data node may stay silent before it leaves the node list (it comes back when it reports again)')
            [CompletionResult]::new('--raft.heartbeat-interval', '--raft.heartbeat-interval', [CompletionResultType]::ParameterName, 'Milliseconds between the leader''s heartbeats to the other control nodes, which is also how long each replication request may take: about 1.5 times the longest round trip between control nodes, 3 times on a lossy link (give every control node of a cluster the same timing)')
            [CompletionResult]::new('--raft.election-timeout', '--raft.election-timeout', [CompletionResultType]::ParameterName, 'Milliseconds of silence from the leader after which a control node stands for election (default: the larger of 150 and 3 heartbeat intervals)')
            [CompletionResult]::new('--traefikeesocket', '--traefikeesocket', [CompletionResultType]::ParameterName, 'The node''s local API socket')
            [CompletionResult]::new('--peeraddresses', '--peeraddresses', [CompletionResultType]::ParameterName, 'Cluster addresses of existing control nodes, comma separated')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'The control node token (`traefikee env`); not needed to restart from a state dir. Prefer TRAEFIKEE_TOKEN or --tokenfile: every user of the machine can read a command line')
            [CompletionResult]::new('--tokenfile', '--tokenfile', [CompletionResultType]::ParameterName, 'A file holding the control node token, readable by its owner only (mode 0600)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to keep trying to reach a peer before giving up')
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikee;start-data-node' {
            [CompletionResult]::new('--peeraddresses', '--peeraddresses', [CompletionResultType]::ParameterName, 'Cluster addresses of control nodes, comma separated')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'The data node token (`traefikee env`); not needed to restart from a state dir. Prefer TRAEFIKEE_TOKEN or --tokenfile: every user of the machine can read a command line')
            [CompletionResult]::new('--tokenfile', '--tokenfile', [CompletionResultType]::ParameterName, 'A file holding the data node token, readable by its owner only (mode 0600)')
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Entry points whose address has no host (`:80`) listen on this IP only, so several data nodes can share a machine')
            [CompletionResult]::new('--configfile', '--configfile', [CompletionResultType]::ParameterName, 'Serve this configuration file (YAML, TOML or JSON) without a cluster, reloading it when it changes: for development and benchmarks')
            [CompletionResult]::new('--metrics.addr', '--metrics.addr', [CompletionResultType]::ParameterName, 'Serve /ping and /metrics (Prometheus) on this address')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of this node (default: the host name): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit')
            [CompletionResult]::new('--statedir', '--statedir', [CompletionResultType]::ParameterName, 'Where this node keeps its identity and last configuration')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to keep trying to reach a control node when joining')
            [CompletionResult]::new('--traefikeesocket', '--traefikeesocket', [CompletionResultType]::ParameterName, 'The node''s local API socket')
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
            [CompletionResult]::new('--leave-on-stop', '--leave-on-stop', [CompletionResultType]::ParameterName, 'On SIGTERM, once requests in flight are done, tell the controllers this node is gone for good, so `list-nodes` forgets it at once instead of showing it DOWN until the grace period ends (for replaceable nodes, such as the pods of a Deployment)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikee;list-nodes' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--traefikeesocket', '--traefikeesocket', [CompletionResultType]::ParameterName, 'The node''s local API socket')
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
            [CompletionResult]::new('--details', '--details', [CompletionResultType]::ParameterName, 'Show ids, membership, status and availability')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikee;env' {
            [CompletionResult]::new('--traefikeesocket', '--traefikeesocket', [CompletionResultType]::ParameterName, 'The node''s local API socket')
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikee;status' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--traefikeesocket', '--traefikeesocket', [CompletionResultType]::ParameterName, 'The node''s local API socket')
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikee;tokens' {
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace both join tokens; the old ones are refused from then on')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikee;tokens;rotate' {
            [CompletionResult]::new('--traefikeesocket', '--traefikeesocket', [CompletionResultType]::ParameterName, 'The node''s local API socket')
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikee;tokens;help' {
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace both join tokens; the old ones are refused from then on')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikee;tokens;help;rotate' {
            break
        }
        'traefikee;tokens;help;help' {
            break
        }
        'traefikee;rm-node' {
            [CompletionResult]::new('--traefikeesocket', '--traefikeesocket', [CompletionResultType]::ParameterName, 'The node''s local API socket')
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikee;deploy' {
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
            [CompletionResult]::new('--traefikeesocket', '--traefikeesocket', [CompletionResultType]::ParameterName, 'The node''s local API socket')
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
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
        'traefikee;backup' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Where to write the archive (default: ./<UTC time>_traefikee-backup.tar)')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Encrypt the archive (age, scrypt) with the passphrase in this file (first line)')
            [CompletionResult]::new('--traefikeesocket', '--traefikeesocket', [CompletionResultType]::ParameterName, 'The node''s local API socket')
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
            [CompletionResult]::new('--gzip', '--gzip', [CompletionResultType]::ParameterName, 'Gzip the archive (inside the encryption, if any)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace the file if it exists')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikee;recover' {
            [CompletionResult]::new('--statedir', '--statedir', [CompletionResultType]::ParameterName, 'The state dir of the stopped control node')
            [CompletionResult]::new('--advertise', '--advertise', [CompletionResultType]::ParameterName, 'Address other nodes reach this node''s cluster port at (default: the one the cluster knows)')
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikee;version' {
            [CompletionResult]::new('--log.level', '--log.level', [CompletionResultType]::ParameterName, 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'traefikee;help' {
            [CompletionResult]::new('bootstrap', 'bootstrap', [CompletionResultType]::ParameterValue, 'Create a cluster: CA, join tokens, API credentials and the first control node')
            [CompletionResult]::new('start-control-node', 'start-control-node', [CompletionResultType]::ParameterValue, 'Start a control node that joins a cluster (or rejoins from its state dir)')
            [CompletionResult]::new('start-data-node', 'start-data-node', [CompletionResultType]::ParameterValue, 'Start a data node (a proxy): joins a cluster, or serves a file with --configfile')
            [CompletionResult]::new('list-nodes', 'list-nodes', [CompletionResultType]::ParameterValue, 'List the nodes of the cluster (through this node''s socket)')
            [CompletionResult]::new('env', 'env', [CompletionResultType]::ParameterValue, 'Print the join tokens as shell exports')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the cluster''s identity, leader and this node''s Raft progress')
            [CompletionResult]::new('tokens', 'tokens', [CompletionResultType]::ParameterValue, 'Manage the join tokens')
            [CompletionResult]::new('rm-node', 'rm-node', [CompletionResultType]::ParameterValue, 'Remove a node from the cluster by name or id')
            [CompletionResult]::new('deploy', 'deploy', [CompletionResultType]::ParameterValue, 'Validate and deploy a configuration (through this control node''s socket)')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Write a backup of the cluster (through this control node''s socket)')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'Make this stopped control node the only one of its cluster, when the others are lost for good (quorum lost); the lost ones are removed when it starts again')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'traefikee;help;bootstrap' {
            break
        }
        'traefikee;help;start-control-node' {
            break
        }
        'traefikee;help;start-data-node' {
            break
        }
        'traefikee;help;list-nodes' {
            break
        }
        'traefikee;help;env' {
            break
        }
        'traefikee;help;status' {
            break
        }
        'traefikee;help;tokens' {
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Replace both join tokens; the old ones are refused from then on')
            break
        }
        'traefikee;help;tokens;rotate' {
            break
        }
        'traefikee;help;rm-node' {
            break
        }
        'traefikee;help;deploy' {
            break
        }
        'traefikee;help;backup' {
            break
        }
        'traefikee;help;recover' {
            break
        }
        'traefikee;help;version' {
            break
        }
        'traefikee;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
