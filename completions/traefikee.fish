# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_traefikee_global_optspecs
    string join \n log.level= h/help V/version
end

function __fish_traefikee_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_traefikee_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_traefikee_using_subcommand
    set -l cmd (__fish_traefikee_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c traefikee -n "__fish_traefikee_needs_command" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_needs_command" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_needs_command" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_needs_command" -f -a "bootstrap" -d 'Create a cluster: CA, join tokens, API credentials and the first control node'
complete -c traefikee -n "__fish_traefikee_needs_command" -f -a "start-control-node" -d 'Start a control node that joins a cluster (or rejoins from its state dir)'
complete -c traefikee -n "__fish_traefikee_needs_command" -f -a "start-data-node" -d 'Start a data node (a proxy): joins a cluster, or serves a file with --configfile'
complete -c traefikee -n "__fish_traefikee_needs_command" -f -a "list-nodes" -d 'List the nodes of the cluster (through this node\'s socket)'
complete -c traefikee -n "__fish_traefikee_needs_command" -f -a "env" -d 'Print the join tokens as shell exports'
complete -c traefikee -n "__fish_traefikee_needs_command" -f -a "status" -d 'Show the cluster\'s identity, leader and this node\'s Raft progress'
complete -c traefikee -n "__fish_traefikee_needs_command" -f -a "tokens" -d 'Manage the join tokens'
complete -c traefikee -n "__fish_traefikee_needs_command" -f -a "rm-node" -d 'Remove a node from the cluster by name or id'
complete -c traefikee -n "__fish_traefikee_needs_command" -f -a "deploy" -d 'Validate and deploy a configuration (through this control node\'s socket)'
complete -c traefikee -n "__fish_traefikee_needs_command" -f -a "backup" -d 'Write a backup of the cluster (through this control node\'s socket)'
complete -c traefikee -n "__fish_traefikee_needs_command" -f -a "recover" -d 'Make this stopped control node the only one of its cluster, when the others are lost for good (quorum lost); the lost ones are removed when it starts again'
complete -c traefikee -n "__fish_traefikee_needs_command" -f -a "version" -d 'Print the version'
complete -c traefikee -n "__fish_traefikee_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l listen -d 'Address the cluster port listens on' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l advertise -d 'Address other nodes reach this node\'s cluster port at (default: --listen, unless it is a wildcard address)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l api.addr -d 'Address the mTLS API listens on (default: the --listen IP, port 55055)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l name -d 'Name of this node (default: the host name): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l statedir -d 'Where this node keeps its identity and Raft data' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l datanode-grace-period -d 'Seconds a data node may stay silent before it leaves the node list (it comes back when it reports again)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l raft.heartbeat-interval -d 'Milliseconds between the leader\'s heartbeats to the other control nodes, which is also how long each replication request may take: about 1.5 times the longest round trip between control nodes, 3 times on a lossy link (give every control node of a cluster the same timing)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l raft.election-timeout -d 'Milliseconds of silence from the leader after which a control node stands for election (default: the larger of 150 and 3 heartbeat intervals)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l traefikeesocket -d 'The node\'s local API socket' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l controlnodes -d 'Number of control nodes of the cluster. With more than one, this bootstrap node waits for them, hands the cluster over and exits' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l timeout -d 'Seconds to wait for the control nodes before giving up (no cluster is left behind)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l clustername -d 'Name of the cluster: 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l mtlscertsoutputdir -d 'Where to write the one-time API credentials for `traefikeectl connect`' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l licensekey -d 'Accepted for compatibility with TraefikEE; traefikee needs no license' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l archivepath -d 'Start the cluster from a backup archive: same cluster id, CA, tokens, credentials and configuration (--clustername is then the archive\'s)' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l passphrase-file -d 'Passphrase file of an encrypted --archivepath' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_using_subcommand bootstrap" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l listen -d 'Address the cluster port listens on' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l advertise -d 'Address other nodes reach this node\'s cluster port at (default: --listen, unless it is a wildcard address)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l api.addr -d 'Address the mTLS API listens on (default: the --listen IP, port 55055)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l name -d 'Name of this node (default: the host name): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l statedir -d 'Where this node keeps its identity and Raft data' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l datanode-grace-period -d 'Seconds a data node may stay silent before it leaves the node list (it comes back when it reports again)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l raft.heartbeat-interval -d 'Milliseconds between the leader\'s heartbeats to the other control nodes, which is also how long each replication request may take: about 1.5 times the longest round trip between control nodes, 3 times on a lossy link (give every control node of a cluster the same timing)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l raft.election-timeout -d 'Milliseconds of silence from the leader after which a control node stands for election (default: the larger of 150 and 3 heartbeat intervals)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l traefikeesocket -d 'The node\'s local API socket' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l peeraddresses -d 'Cluster addresses of existing control nodes, comma separated' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l token -d 'The control node token (`traefikee env`); not needed to restart from a state dir. Prefer TRAEFIKEE_TOKEN or --tokenfile: every user of the machine can read a command line' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l tokenfile -d 'A file holding the control node token, readable by its owner only (mode 0600)' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l timeout -d 'Seconds to keep trying to reach a peer before giving up' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_using_subcommand start-control-node" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -l peeraddresses -d 'Cluster addresses of control nodes, comma separated' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -l token -d 'The data node token (`traefikee env`); not needed to restart from a state dir. Prefer TRAEFIKEE_TOKEN or --tokenfile: every user of the machine can read a command line' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -l tokenfile -d 'A file holding the data node token, readable by its owner only (mode 0600)' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -l listen -d 'Entry points whose address has no host (`:80`) listen on this IP only, so several data nodes can share a machine' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -l configfile -d 'Serve this configuration file (YAML, TOML or JSON) without a cluster, reloading it when it changes: for development and benchmarks' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -l metrics.addr -d 'Serve /ping and /metrics (Prometheus) on this address' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -l name -d 'Name of this node (default: the host name): 1 to 63 ASCII letters, digits, \'-\', \'_\' and \'.\', starting with a letter or a digit' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -l statedir -d 'Where this node keeps its identity and last configuration' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -l timeout -d 'Seconds to keep trying to reach a control node when joining' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -l traefikeesocket -d 'The node\'s local API socket' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -l leave-on-stop -d 'On SIGTERM, once requests in flight are done, tell the controllers this node is gone for good, so `list-nodes` forgets it at once instead of showing it DOWN until the grace period ends (for replaceable nodes, such as the pods of a Deployment)'
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_using_subcommand start-data-node" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_using_subcommand list-nodes" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikee -n "__fish_traefikee_using_subcommand list-nodes" -l traefikeesocket -d 'The node\'s local API socket' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand list-nodes" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand list-nodes" -l details -d 'Show ids, membership, status and availability'
complete -c traefikee -n "__fish_traefikee_using_subcommand list-nodes" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_using_subcommand list-nodes" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_using_subcommand env" -l traefikeesocket -d 'The node\'s local API socket' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand env" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand env" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_using_subcommand env" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_using_subcommand status" -s o -l output -d 'Output format' -r -f -a "table\t''
json\t''
yaml\t''"
complete -c traefikee -n "__fish_traefikee_using_subcommand status" -l traefikeesocket -d 'The node\'s local API socket' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand status" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand status" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_using_subcommand status" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_using_subcommand tokens; and not __fish_seen_subcommand_from rotate help" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand tokens; and not __fish_seen_subcommand_from rotate help" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_using_subcommand tokens; and not __fish_seen_subcommand_from rotate help" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_using_subcommand tokens; and not __fish_seen_subcommand_from rotate help" -f -a "rotate" -d 'Replace both join tokens; the old ones are refused from then on'
complete -c traefikee -n "__fish_traefikee_using_subcommand tokens; and not __fish_seen_subcommand_from rotate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikee -n "__fish_traefikee_using_subcommand tokens; and __fish_seen_subcommand_from rotate" -l traefikeesocket -d 'The node\'s local API socket' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand tokens; and __fish_seen_subcommand_from rotate" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand tokens; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_using_subcommand tokens; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Replace both join tokens; the old ones are refused from then on'
complete -c traefikee -n "__fish_traefikee_using_subcommand tokens; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikee -n "__fish_traefikee_using_subcommand rm-node" -l traefikeesocket -d 'The node\'s local API socket' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand rm-node" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand rm-node" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_using_subcommand rm-node" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l configfile -d 'A configuration in Traefik\'s format (YAML, TOML or JSON): entryPoints, http, tcp, tls' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l entryPoints -d 'An entry point, as in TraefikEE: \'Name:http Address::80\' or \'Name:https Address::443 TLS\'' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l defaultentrypoints -d 'Entry points that routers naming none attach to, comma separated' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l wait-timeout -d 'Seconds --wait waits before failing' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l consul.endpoint -d 'Consul agent to read routes from (HOST:PORT, or comma separated)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l consul.prefix -d 'Root key in Consul (default traefik)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l etcd.endpoint -d 'etcd v3 endpoint to read routes from (HOST:PORT, or comma separated)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l etcd.prefix -d 'Root key in etcd (default traefik)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l redis.endpoint -d 'Redis server to read routes from (HOST:PORT, or comma separated)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l redis.prefix -d 'Root key in Redis (default traefik)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l traefikeesocket -d 'The node\'s local API socket' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l dry-run -d 'Validate the configuration on the cluster without deploying it'
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l wait -d 'Wait until every live data node runs the new version'
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l consul.watch -d 'Accepted for TraefikEE v1 compatibility: providers are always watched'
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l etcd.watch -d 'Accepted for TraefikEE v1 compatibility: providers are always watched'
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -l redis.watch -d 'Accepted for TraefikEE v1 compatibility: providers are always watched'
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_using_subcommand deploy" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_using_subcommand backup" -l file -d 'Where to write the archive (default: ./<UTC time>_traefikee-backup.tar)' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand backup" -l passphrase-file -d 'Encrypt the archive (age, scrypt) with the passphrase in this file (first line)' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand backup" -l traefikeesocket -d 'The node\'s local API socket' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand backup" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand backup" -l gzip -d 'Gzip the archive (inside the encryption, if any)'
complete -c traefikee -n "__fish_traefikee_using_subcommand backup" -l force -d 'Replace the file if it exists'
complete -c traefikee -n "__fish_traefikee_using_subcommand backup" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_using_subcommand backup" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_using_subcommand recover" -l statedir -d 'The state dir of the stopped control node' -r -F
complete -c traefikee -n "__fish_traefikee_using_subcommand recover" -l advertise -d 'Address other nodes reach this node\'s cluster port at (default: the one the cluster knows)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand recover" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand recover" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_using_subcommand recover" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_using_subcommand version" -l log.level -d 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)' -r
complete -c traefikee -n "__fish_traefikee_using_subcommand version" -s h -l help -d 'Print help'
complete -c traefikee -n "__fish_traefikee_using_subcommand version" -s V -l version -d 'Print version'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and not __fish_seen_subcommand_from bootstrap start-control-node start-data-node list-nodes env status tokens rm-node deploy backup recover version help" -f -a "bootstrap" -d 'Create a cluster: CA, join tokens, API credentials and the first control node'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and not __fish_seen_subcommand_from bootstrap start-control-node start-data-node list-nodes env status tokens rm-node deploy backup recover version help" -f -a "start-control-node" -d 'Start a control node that joins a cluster (or rejoins from its state dir)'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and not __fish_seen_subcommand_from bootstrap start-control-node start-data-node list-nodes env status tokens rm-node deploy backup recover version help" -f -a "start-data-node" -d 'Start a data node (a proxy): joins a cluster, or serves a file with --configfile'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and not __fish_seen_subcommand_from bootstrap start-control-node start-data-node list-nodes env status tokens rm-node deploy backup recover version help" -f -a "list-nodes" -d 'List the nodes of the cluster (through this node\'s socket)'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and not __fish_seen_subcommand_from bootstrap start-control-node start-data-node list-nodes env status tokens rm-node deploy backup recover version help" -f -a "env" -d 'Print the join tokens as shell exports'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and not __fish_seen_subcommand_from bootstrap start-control-node start-data-node list-nodes env status tokens rm-node deploy backup recover version help" -f -a "status" -d 'Show the cluster\'s identity, leader and this node\'s Raft progress'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and not __fish_seen_subcommand_from bootstrap start-control-node start-data-node list-nodes env status tokens rm-node deploy backup recover version help" -f -a "tokens" -d 'Manage the join tokens'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and not __fish_seen_subcommand_from bootstrap start-control-node start-data-node list-nodes env status tokens rm-node deploy backup recover version help" -f -a "rm-node" -d 'Remove a node from the cluster by name or id'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and not __fish_seen_subcommand_from bootstrap start-control-node start-data-node list-nodes env status tokens rm-node deploy backup recover version help" -f -a "deploy" -d 'Validate and deploy a configuration (through this control node\'s socket)'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and not __fish_seen_subcommand_from bootstrap start-control-node start-data-node list-nodes env status tokens rm-node deploy backup recover version help" -f -a "backup" -d 'Write a backup of the cluster (through this control node\'s socket)'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and not __fish_seen_subcommand_from bootstrap start-control-node start-data-node list-nodes env status tokens rm-node deploy backup recover version help" -f -a "recover" -d 'Make this stopped control node the only one of its cluster, when the others are lost for good (quorum lost); the lost ones are removed when it starts again'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and not __fish_seen_subcommand_from bootstrap start-control-node start-data-node list-nodes env status tokens rm-node deploy backup recover version help" -f -a "version" -d 'Print the version'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and not __fish_seen_subcommand_from bootstrap start-control-node start-data-node list-nodes env status tokens rm-node deploy backup recover version help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c traefikee -n "__fish_traefikee_using_subcommand help; and __fish_seen_subcommand_from tokens" -f -a "rotate" -d 'Replace both join tokens; the old ones are refused from then on'
