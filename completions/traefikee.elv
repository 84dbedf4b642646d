
use builtin;
use str;

set edit:completion:arg-completer[traefikee] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'traefikee'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'traefikee'= {
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand bootstrap 'Create a cluster: CA, join tokens, API credentials and the first control node'
            cand start-control-node 'Start a control node that joins a cluster (or rejoins from its state dir)'
            cand start-data-node 'Start a data node (a proxy): joins a cluster, or serves a file with --configfile'
            cand list-nodes 'List the nodes of the cluster (through this node''s socket)'
            cand env 'Print the join tokens as shell exports'
            cand status 'Show the cluster''s identity, leader and this node''s Raft progress'
            cand tokens 'Manage the join tokens'
            cand rm-node 'Remove a node from the cluster by name or id'
            cand deploy 'Validate and deploy a configuration (through this control node''s socket)'
            cand backup 'Write a backup of the cluster (through this control node''s socket)'
            cand recover 'Make this stopped control node the only one of its cluster, when the others are lost for good (quorum lost); the lost ones are removed when it starts again'
            cand version 'Print the version'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikee;bootstrap'= {
            cand --listen 'Address the cluster port listens on'
            cand --advertise 'Address other nodes reach this node''s cluster port at (default: --listen, unless it is a wildcard address)'
            cand --api.addr 'Address the mTLS API listens on (default: the --listen IP, port 55055)'
            cand --name 'Name of this node (default: the host name): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand --statedir 'Where this node keeps its identity and Raft data'
            cand --datanode-grace-period 'Seconds a data node may stay silent before it leaves the node list (it comes back when it reports again)'
            cand --raft.heartbeat-interval 'Milliseconds between the leader''s heartbeats to the other control nodes, which is also how long each replication request may take: about 1.5 times the longest round trip between control nodes, 3 times on a lossy link (give every control node of a cluster the same timing)'
            cand --raft.election-timeout 'Milliseconds of silence from the leader after which a control node stands for election (default: the larger of 150 and 3 heartbeat intervals)'
            cand --traefikeesocket 'The node''s local API socket'
            cand --controlnodes 'Number of control nodes of the cluster. With more than one, this bootstrap node waits for them, hands the cluster over and exits'
            cand --timeout 'Seconds to wait for the control nodes before giving up (no cluster is left behind)'
            cand --clustername 'Name of the cluster: 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand --mtlscertsoutputdir 'Where to write the one-time API credentials for `traefikeectl connect`'
            cand --licensekey 'Accepted for compatibility with TraefikEE; traefikee needs no license'
            cand --archivepath 'Start the cluster from a backup archive: same cluster id, CA, tokens, credentials and configuration (--clustername is then the archive''s)'
            cand --passphrase-file 'Passphrase file of an encrypted --archivepath'
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikee;start-control-node'= {
            cand --listen 'Address the cluster port listens on'
            cand --advertise 'Address other nodes reach this node''s cluster port at (default: --listen, unless it is a wildcard address)'
            cand --api.addr 'Address the mTLS API listens on (default: the --listen IP, port 55055)'
            cand --name 'Name of this node (default: the host name): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand --statedir 'Where this node keeps its identity and Raft data'
            cand --datanode-grace-period 'Seconds a data node may stay silent before it leaves the node list (it comes back when it reports again)'
            cand --raft.heartbeat-interval 'Milliseconds between the leader''s heartbeats to the other control nodes, which is also how long each replication request may take: about 1.5 times the longest round trip between control nodes, 3 times on a lossy link (give every control node of a cluster the same timing)'
            cand --raft.election-timeout 'Milliseconds of silence from the leader after which a control node stands for election (default: the larger of 150 and 3 heartbeat intervals)'
            cand --traefikeesocket 'The node''s local API socket'
            cand --peeraddresses 'Cluster addresses of existing control nodes, comma separated'
            cand --token 'The control node token (`traefikee env`); not needed to restart from a state dir. Prefer TRAEFIKEE_TOKEN or --tokenfile: every user of the machine can read a command line'
            cand --tokenfile 'A file holding the control node token, readable by its owner only (mode 0600)'
            cand --timeout 'Seconds to keep trying to reach a peer before giving up'
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikee;start-data-node'= {
            cand --peeraddresses 'Cluster addresses of control nodes, comma separated'
            cand --token 'The data node token (`traefikee env`); not needed to restart from a state dir. Prefer TRAEFIKEE_TOKEN or --tokenfile: every user of the machine can read a command line'
            cand --tokenfile 'A file holding the data node token, readable by its owner only (mode 0600)'
            cand --listen 'Entry points whose address has no host (`:80`) listen on this IP only, so several data nodes can share a machine'
            cand --configfile 'Serve this configuration file (YAML, TOML or JSON) without a cluster, reloading it when it changes: for development and benchmarks'
            cand --metrics.addr 'Serve /ping and /metrics (Prometheus) on this address'
            cand --name 'Name of this node (default: the host name): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand --statedir 'Where this node keeps its identity and last configuration'
            cand --timeout 'Seconds to keep trying to reach a control node when joining'
            cand --traefikeesocket 'The node''s local API socket'
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand --leave-on-stop 'On SIGTERM, once requests in flight are done, tell the controllers this node is gone for good, so `list-nodes` forgets it at once instead of showing it DOWN until the grace period ends (for replaceable nodes, such as the pods of a Deployment)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikee;list-nodes'= {
            cand -o 'Output format'
            cand --output 'Output format'
            cand --traefikeesocket 'The node''s local API socket'
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand --details 'Show ids, membership, status and availability'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikee;env'= {
            cand --traefikeesocket 'The node''s local API socket'
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikee;status'= {
            cand -o 'Output format'
            cand --output 'Output format'
            cand --traefikeesocket 'The node''s local API socket'
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikee;tokens'= {
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand rotate 'Replace both join tokens; the old ones are refused from then on'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikee;tokens;rotate'= {
            cand --traefikeesocket 'The node''s local API socket'
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikee;tokens;help'= {
            cand rotate 'Replace both join tokens; the old ones are refused from then on'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikee;tokens;help;rotate'= {
        }
        &'traefikee;tokens;help;help'= {
        }
        &'traefikee;rm-node'= {
            cand --traefikeesocket 'The node''s local API socket'
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikee;deploy'= {
            cand --configfile 'A configuration in Traefik''s format (YAML, TOML or JSON): entryPoints, http, tcp, tls'
            cand --entryPoints 'An entry point, as in TraefikEE: ''Name:http Address::80'' or ''Name:https Address::443 TLS'''
            cand --defaultentrypoints 'Entry points that routers naming none attach to, comma separated'
            cand --wait-timeout 'Seconds --wait waits before failing'
            cand --consul.endpoint 'Consul agent to read routes from (HOST:PORT, or comma separated)'
            cand --consul.prefix 'Root key in Consul (default traefik)'
            cand --etcd.endpoint 'etcd v3 endpoint to read routes from (HOST:PORT, or comma separated)'
            cand --etcd.prefix 'Root key in etcd (default traefik)'
            cand --redis.endpoint 'Redis server to read routes from (HOST:PORT, or comma separated)'
            cand --redis.prefix 'Root key in Redis (default traefik)'
            cand --traefikeesocket 'The node''s local API socket'
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand --dry-run 'Validate the configuration on the cluster without deploying it'
            cand --wait 'Wait until every live data node runs the new version'
            cand --consul.watch 'Accepted for TraefikEE v1 compatibility: providers are always watched'
            cand --etcd.watch 'Accepted for TraefikEE v1 compatibility: providers are always watched'
            cand --redis.watch 'Accepted for TraefikEE v1 compatibility: providers are always watched'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikee;backup'= {
            cand --file 'Where to write the archive (default: ./<UTC time>_traefikee-backup.tar)'
            cand --passphrase-file 'Encrypt the archive (age, scrypt) with the passphrase in this file (first line)'
            cand --traefikeesocket 'The node''s local API socket'
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand --gzip 'Gzip the archive (inside the encryption, if any)'
            cand --force 'Replace the file if it exists'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikee;recover'= {
            cand --statedir 'The state dir of the stopped control node'
            cand --advertise 'Address other nodes reach this node''s cluster port at (default: the one the cluster knows)'
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikee;version'= {
            cand --log.level 'Log level: error, warn, info, debug, trace (or a RUST_LOG filter)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikee;help'= {
            cand bootstrap 'Create a cluster: CA, join tokens, API credentials and the first control node'
            cand start-control-node 'Start a control node that joins a cluster (or rejoins from its state dir)'
            cand start-data-node 'Start a data node (a proxy): joins a cluster, or serves a file with --configfile'
            cand list-nodes 'List the nodes of the cluster (through this node''s socket)'
            cand env 'Print the join tokens as shell exports'
            cand status 'Show the cluster''s identity, leader and this node''s Raft progress'
            cand tokens 'Manage the join tokens'
            cand rm-node 'Remove a node from the cluster by name or id'
            cand deploy 'Validate and deploy a configuration (through this control node''s socket)'
            cand backup 'Write a backup of the cluster (through this control node''s socket)'
            cand recover 'Make this stopped control node the only one of its cluster, when the others are lost for good (quorum lost); the lost ones are removed when it starts again'
            cand version 'Print the version'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikee;help;bootstrap'= {
        }
        &'traefikee;help;start-control-node'= {
        }
        &'traefikee;help;start-data-node'= {
        }
        &'traefikee;help;list-nodes'= {
        }
        &'traefikee;help;env'= {
        }
        &'traefikee;help;status'= {
        }
        &'traefikee;help;tokens'= {
            cand rotate 'Replace both join tokens; the old ones are refused from then on'
        }
        &'traefikee;help;tokens;rotate'= {
        }
        &'traefikee;help;rm-node'= {
        }
        &'traefikee;help;deploy'= {
        }
        &'traefikee;help;backup'= {
        }
        &'traefikee;help;recover'= {
        }
        &'traefikee;help;version'= {
        }
        &'traefikee;help;help'= {
        }
    ]
    $completions[$command]
}
