# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_traefikeectl_global_optspecs
    string join \n clustername= o/output= h/help V/version
end

function __fish_traefikeectl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_traefikeectl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_traefikeectl_using_subcommand
    set -l cmd (__fish_traefikeectl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "connect" -d 'Exchange a cluster\'s one-time credentials for your own, and save a profile'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "list-nodes" -d 'List the nodes of the cluster'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "rm-node" -d 'Remove a node from the cluster by name or id'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "status" -d 'Cluster identity, leader and the answering controller\'s Raft status'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "tokens" -d 'Show or rotate the join tokens'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "credentials" -d 'Manage operator credentials'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "deploy" -d 'Validate and deploy a configuration; data nodes apply it atomically'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "get" -d 'Show what is deployed'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "audit" -d 'Show the newest changes made to the cluster: who, when, what'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "backup" -d 'Write a backup of the cluster (configuration, certificates, CA, tokens, credentials)'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "restore" -d 'Restore a backup into the running cluster through Raft, in one step'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "install" -d 'Start a cluster on this machine (`--local`), wait until it is healthy, and connect'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "uninstall" -d 'Stop a cluster started by `install --local` and remove its state'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "version" -d 'Print the client\'s and the cluster\'s versions'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "completion" -d 'Print a shell completion script'
complete -c traefikeectl -n "__fish_traefikeectl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand connect" -l onpremise.mtlscertsdir -d 'Directory holding the one-time credentials (ca.pem, cert.pem, key.pem)' -r -F
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand connect" -l onpremise.apiaddress -d 'API address of a controller, or of a VIP in front of the controllers' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand connect" -l namespace -d 'The cluster\'s namespace (with --kubernetes)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand connect" -l name -d 'Your operator name, when the credentials do not fix one (default: $USER)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand connect" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand connect" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand connect" -l kubernetes -d 'Connect to a cluster installed with `install --kubernetes` (current kubeconfig context): read its one-time credential Secret, use it, delete it'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand connect" -l force -d 'Replace an existing profile of the same name'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand connect" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand connect" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand list-nodes" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand list-nodes" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand list-nodes" -l details -d 'Show ids, membership, status and availability'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand list-nodes" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand list-nodes" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand rm-node" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand rm-node" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand rm-node" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand rm-node" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand status" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand status" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand status" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand status" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and not __fish_seen_subcommand_from show rotate help" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and not __fish_seen_subcommand_from show rotate help" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and not __fish_seen_subcommand_from show rotate help" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and not __fish_seen_subcommand_from show rotate help" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and not __fish_seen_subcommand_from show rotate help" -f -a "show" -d 'Print the join tokens as shell exports'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and not __fish_seen_subcommand_from show rotate help" -f -a "rotate" -d 'Replace both join tokens; the old ones are refused from then on'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and not __fish_seen_subcommand_from show rotate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and __fish_seen_subcommand_from show" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and __fish_seen_subcommand_from show" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and __fish_seen_subcommand_from rotate" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and __fish_seen_subcommand_from rotate" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the join tokens as shell exports'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Replace both join tokens; the old ones are refused from then on'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and not __fish_seen_subcommand_from create list revoke help" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and not __fish_seen_subcommand_from create list revoke help" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and not __fish_seen_subcommand_from create list revoke help" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and not __fish_seen_subcommand_from create list revoke help" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and not __fish_seen_subcommand_from create list revoke help" -f -a "create" -d 'Create one-time credentials for another operator'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and not __fish_seen_subcommand_from create list revoke help" -f -a "list" -d 'List operator and one-time credentials with their status'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and not __fish_seen_subcommand_from create list revoke help" -f -a "revoke" -d 'Revoke credentials by operator name, serial or id; every controller refuses them'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and not __fish_seen_subcommand_from create list revoke help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from create" -l output-dir -d 'Where to write them (default: ./<name>-credentials)' -r -F
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from create" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from create" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from list" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from revoke" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from revoke" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from revoke" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create one-time credentials for another operator'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from help" -f -a "list" -d 'List operator and one-time credentials with their status'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke credentials by operator name, serial or id; every controller refuses them'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand credentials; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l configfile -d 'A configuration in Traefik\'s format (YAML, TOML or JSON): entryPoints, http, tcp, tls' -r -F
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l entryPoints -d 'An entry point, as in TraefikEE: \'Name:http Address::80\' or \'Name:https Address::443 TLS\'' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l defaultentrypoints -d 'Entry points that routers naming none attach to, comma separated' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l wait-timeout -d 'Seconds --wait waits before failing' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l consul.endpoint -d 'Consul agent to read routes from (HOST:PORT, or comma separated)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l consul.prefix -d 'Root key in Consul (default traefik)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l etcd.endpoint -d 'etcd v3 endpoint to read routes from (HOST:PORT, or comma separated)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l etcd.prefix -d 'Root key in etcd (default traefik)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l redis.endpoint -d 'Redis server to read routes from (HOST:PORT, or comma separated)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l redis.prefix -d 'Root key in Redis (default traefik)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l dry-run -d 'Validate the configuration on the cluster without deploying it'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l wait -d 'Wait until every live data node runs the new version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l consul.watch -d 'Accepted for TraefikEE v1 compatibility: providers are always watched'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l etcd.watch -d 'Accepted for TraefikEE v1 compatibility: providers are always watched'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -l redis.watch -d 'Accepted for TraefikEE v1 compatibility: providers are always watched'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand deploy" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and not __fish_seen_subcommand_from config providers help" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and not __fish_seen_subcommand_from config providers help" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and not __fish_seen_subcommand_from config providers help" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and not __fish_seen_subcommand_from config providers help" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and not __fish_seen_subcommand_from config providers help" -f -a "config" -d 'The deployed configuration (YAML unless -o json), and what each provider gave'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and not __fish_seen_subcommand_from config providers help" -f -a "providers" -d 'The providers (etcd, Consul, Redis) and how each is doing'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and not __fish_seen_subcommand_from config providers help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and __fish_seen_subcommand_from config" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and __fish_seen_subcommand_from config" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and __fish_seen_subcommand_from config" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and __fish_seen_subcommand_from config" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and __fish_seen_subcommand_from providers" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and __fish_seen_subcommand_from providers" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and __fish_seen_subcommand_from providers" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and __fish_seen_subcommand_from providers" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and __fish_seen_subcommand_from help" -f -a "config" -d 'The deployed configuration (YAML unless -o json), and what each provider gave'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and __fish_seen_subcommand_from help" -f -a "providers" -d 'The providers (etcd, Consul, Redis) and how each is doing'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand get; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand audit" -l limit -d 'How many of the newest entries to show' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand audit" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand audit" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand audit" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand audit" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and not __fish_seen_subcommand_from inspect help" -l file -d 'Where to write the archive (default: ./<UTC time>_traefikee-backup.tar)' -r -F
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and not __fish_seen_subcommand_from inspect help" -l passphrase-file -d 'Encrypt the archive (age, scrypt) with the passphrase in this file (first line)' -r -F
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and not __fish_seen_subcommand_from inspect help" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and not __fish_seen_subcommand_from inspect help" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and not __fish_seen_subcommand_from inspect help" -l gzip -d 'Gzip the archive (inside the encryption, if any)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and not __fish_seen_subcommand_from inspect help" -l force -d 'Replace the file if it exists'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and not __fish_seen_subcommand_from inspect help" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and not __fish_seen_subcommand_from inspect help" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and not __fish_seen_subcommand_from inspect help" -f -a "inspect" -d 'Print an archive\'s manifest and verify every checksum (no cluster needed)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and not __fish_seen_subcommand_from inspect help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and __fish_seen_subcommand_from inspect" -l passphrase-file -d 'Passphrase file, for an encrypted archive' -r -F
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and __fish_seen_subcommand_from inspect" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and __fish_seen_subcommand_from inspect" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and __fish_seen_subcommand_from inspect" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Print an archive\'s manifest and verify every checksum (no cluster needed)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand restore" -l file -d 'The archive to restore' -r -F
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand restore" -l passphrase-file -d 'Passphrase file, for an encrypted archive' -r -F
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand restore" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand restore" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand restore" -l force -d 'Restore an archive of another cluster (its configuration only)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand restore" -l dry-run -d 'Run every check and say what would change, without changing anything'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand restore" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand restore" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l controlnodes -d 'Number of control nodes (odd numbers tolerate failures best)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l datanodes -d 'Number of data nodes (proxies; at most 20 with --local)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l traefikee-bin -d 'The traefikee binary (default: beside traefikeectl, then $PATH)' -r -F
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l namespace -d 'The namespace to install into (--kubernetes)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l image -d 'The traefikee image the pods run (--kubernetes; default: this version\'s)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l archivepath -d 'Start the cluster from a backup: same identity, tokens, credentials and configuration (--kubernetes)' -r -F
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l passphrase-file -d 'The backup\'s passphrase, in a file (with --archivepath)' -r -F
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l kube-version -d 'The Kubernetes release to render for with --dry-run, e.g. 1.20 (default: the newest this version knows; a real install asks the server)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l wait-timeout -d 'How long to wait for the controllers and proxies to be ready, in seconds' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l local -d 'Start the cluster on this machine: one loopback address per node'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l kubernetes -d 'Install on Kubernetes with the current kubeconfig context'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l dashboard -d 'Serve the dashboard (not implemented yet: refused)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l force -d 'Replace an installation of the same name (--local) or in the same namespace (--kubernetes; its state is deleted)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -l dry-run -d 'Print the manifests (YAML, or JSON with -o json) instead of applying them (--kubernetes)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand install" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand uninstall" -l namespace -d 'The cluster\'s namespace (--kubernetes)' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand uninstall" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand uninstall" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand uninstall" -l local -d 'Stop the local cluster and remove its state, logs and profile'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand uninstall" -l kubernetes -d 'Remove what `install --kubernetes` created (current kubeconfig context), the controllers\' volumes included, and the profile'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand uninstall" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand uninstall" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand version" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand version" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand version" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand version" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand completion" -l clustername -d 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand completion" -s o -l output -d 'Output format of read commands' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand completion" -s h -l help -d 'Print help'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand completion" -s V -l version -d 'Print version'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "connect" -d 'Exchange a cluster\'s one-time credentials for your own, and save a profile'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "list-nodes" -d 'List the nodes of the cluster'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "rm-node" -d 'Remove a node from the cluster by name or id'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "status" -d 'Cluster identity, leader and the answering controller\'s Raft status'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "tokens" -d 'Show or rotate the join tokens'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "credentials" -d 'Manage operator credentials'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "deploy" -d 'Validate and deploy a configuration; data nodes apply it atomically'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "get" -d 'Show what is deployed'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "audit" -d 'Show the newest changes made to the cluster: who, when, what'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "backup" -d 'Write a backup of the cluster (configuration, certificates, CA, tokens, credentials)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "restore" -d 'Restore a backup into the running cluster through Raft, in one step'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "install" -d 'Start a cluster on this machine (`--local`), wait until it is healthy, and connect'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "uninstall" -d 'Stop a cluster started by `install --local` and remove its state'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "version" -d 'Print the client\'s and the cluster\'s versions'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "completion" -d 'Print a shell completion script'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and not __fish_seen_subcommand_from connect list-nodes rm-node status tokens credentials deploy get audit backup restore install uninstall version completion help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and __fish_seen_subcommand_from tokens" -f -a "show" -d 'Print the join tokens as shell exports'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and __fish_seen_subcommand_from tokens" -f -a "rotate" -d 'Replace both join tokens; the old ones are refused from then on'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and __fish_seen_subcommand_from credentials" -f -a "create" -d 'Create one-time credentials for another operator'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and __fish_seen_subcommand_from credentials" -f -a "list" -d 'List operator and one-time credentials with their status'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and __fish_seen_subcommand_from credentials" -f -a "revoke" -d 'Revoke credentials by operator name, serial or id; every controller refuses them'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and __fish_seen_subcommand_from get" -f -a "config" -d 'The deployed configuration (YAML unless -o json), and what each provider gave'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and __fish_seen_subcommand_from get" -f -a "providers" -d 'The providers (etcd, Consul, Redis) and how each is doing'
complete -c traefikeectl -n "__fish_traefikeectl_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "inspect" -d 'Print an archive\'s manifest and verify every checksum (no cluster needed)'
