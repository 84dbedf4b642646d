
use builtin;
use str;

set edit:completion:arg-completer[traefikeectl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'traefikeectl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'traefikeectl'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand connect 'Exchange a cluster''s one-time credentials for your own, and save a profile'
            cand list-nodes 'List the nodes of the cluster'
            cand rm-node 'Remove a node from the cluster by name or id'
            cand status 'Cluster identity, leader and the answering controller''s Raft status'
            cand tokens 'Show or rotate the join tokens'
            cand credentials 'Manage operator credentials'
            cand deploy 'Validate and deploy a configuration; data nodes apply it atomically'
            cand get 'Show what is deployed'
            cand audit 'Show the newest changes made to the cluster: who, when, what'
            cand backup 'Write a backup of the cluster (configuration, certificates, CA, tokens, credentials)'
            cand restore 'Restore a backup into the running cluster through Raft, in one step'
            cand install 'Start a cluster on this machine (`--local`), wait until it is healthy, and connect'
            cand uninstall 'Stop a cluster started by `install --local` and remove its state'
            cand version 'Print the client''s and the cluster''s versions'
            cand completion 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikeectl;connect'= {
            cand --onpremise.mtlscertsdir 'Directory holding the one-time credentials (ca.pem, cert.pem, key.pem)'
            cand --onpremise.apiaddress 'API address of a controller, or of a VIP in front of the controllers'
            cand --namespace 'The cluster''s namespace (with --kubernetes)'
            cand --name 'Your operator name, when the credentials do not fix one (default: $USER)'
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand --kubernetes 'Connect to a cluster installed with `install --kubernetes` (current kubeconfig context): read its one-time credential Secret, use it, delete it'
            cand --force 'Replace an existing profile of the same name'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;list-nodes'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand --details 'Show ids, membership, status and availability'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;rm-node'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;status'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;tokens'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand show 'Print the join tokens as shell exports'
            cand rotate 'Replace both join tokens; the old ones are refused from then on'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikeectl;tokens;show'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;tokens;rotate'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;tokens;help'= {
            cand show 'Print the join tokens as shell exports'
            cand rotate 'Replace both join tokens; the old ones are refused from then on'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikeectl;tokens;help;show'= {
        }
        &'traefikeectl;tokens;help;rotate'= {
        }
        &'traefikeectl;tokens;help;help'= {
        }
        &'traefikeectl;credentials'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Create one-time credentials for another operator'
            cand list 'List operator and one-time credentials with their status'
            cand revoke 'Revoke credentials by operator name, serial or id; every controller refuses them'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikeectl;credentials;create'= {
            cand --output-dir 'Where to write them (default: ./<name>-credentials)'
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;credentials;list'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;credentials;revoke'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;credentials;help'= {
            cand create 'Create one-time credentials for another operator'
            cand list 'List operator and one-time credentials with their status'
            cand revoke 'Revoke credentials by operator name, serial or id; every controller refuses them'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikeectl;credentials;help;create'= {
        }
        &'traefikeectl;credentials;help;list'= {
        }
        &'traefikeectl;credentials;help;revoke'= {
        }
        &'traefikeectl;credentials;help;help'= {
        }
        &'traefikeectl;deploy'= {
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
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
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
        &'traefikeectl;get'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand config 'The deployed configuration (YAML unless -o json), and what each provider gave'
            cand providers 'The providers (etcd, Consul, Redis) and how each is doing'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikeectl;get;config'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;get;providers'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;get;help'= {
            cand config 'The deployed configuration (YAML unless -o json), and what each provider gave'
            cand providers 'The providers (etcd, Consul, Redis) and how each is doing'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikeectl;get;help;config'= {
        }
        &'traefikeectl;get;help;providers'= {
        }
        &'traefikeectl;get;help;help'= {
        }
        &'traefikeectl;audit'= {
            cand --limit 'How many of the newest entries to show'
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;backup'= {
            cand --file 'Where to write the archive (default: ./<UTC time>_traefikee-backup.tar)'
            cand --passphrase-file 'Encrypt the archive (age, scrypt) with the passphrase in this file (first line)'
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand --gzip 'Gzip the archive (inside the encryption, if any)'
            cand --force 'Replace the file if it exists'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand inspect 'Print an archive''s manifest and verify every checksum (no cluster needed)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikeectl;backup;inspect'= {
            cand --passphrase-file 'Passphrase file, for an encrypted archive'
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;backup;help'= {
            cand inspect 'Print an archive''s manifest and verify every checksum (no cluster needed)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikeectl;backup;help;inspect'= {
        }
        &'traefikeectl;backup;help;help'= {
        }
        &'traefikeectl;restore'= {
            cand --file 'The archive to restore'
            cand --passphrase-file 'Passphrase file, for an encrypted archive'
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand --force 'Restore an archive of another cluster (its configuration only)'
            cand --dry-run 'Run every check and say what would change, without changing anything'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;install'= {
            cand --controlnodes 'Number of control nodes (odd numbers tolerate failures best)'
            cand --datanodes 'Number of data nodes (proxies; at most 20 with --local)'
            cand --traefikee-bin 'The traefikee binary (default: beside traefikeectl, then $PATH)'
            cand --namespace 'The namespace to install into (--kubernetes)'
            cand --image 'The traefikee image the pods run (--kubernetes; default: this version''s)'
            cand --archivepath 'Start the cluster from a backup: same identity, tokens, credentials and configuration (--kubernetes)'
            cand --passphrase-file 'The backup''s passphrase, in a file (with --archivepath)'
            cand --kube-version 'The Kubernetes release to render for with --dry-run, e.g. 1.20 (default: the newest this version knows; a real install asks the server)'
            cand --wait-timeout 'How long to wait for the controllers and proxies to be ready, in seconds'
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand --local 'Start the cluster on this machine: one loopback address per node'
            cand --kubernetes 'Install on Kubernetes with the current kubeconfig context'
            cand --dashboard 'Serve the dashboard (not implemented yet: refused)'
            cand --force 'Replace an installation of the same name (--local) or in the same namespace (--kubernetes; its state is deleted)'
            cand --dry-run 'Print the manifests (YAML, or JSON with -o json) instead of applying them (--kubernetes)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;uninstall'= {
            cand --namespace 'The cluster''s namespace (--kubernetes)'
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand --local 'Stop the local cluster and remove its state, logs and profile'
            cand --kubernetes 'Remove what `install --kubernetes` created (current kubeconfig context), the controllers'' volumes included, and the profile'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;version'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;completion'= {
            cand --clustername 'Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters, digits, ''-'', ''_'' and ''.'', starting with a letter or a digit'
            cand -o 'Output format of read commands'
            cand --output 'Output format of read commands'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'traefikeectl;help'= {
            cand connect 'Exchange a cluster''s one-time credentials for your own, and save a profile'
            cand list-nodes 'List the nodes of the cluster'
            cand rm-node 'Remove a node from the cluster by name or id'
            cand status 'Cluster identity, leader and the answering controller''s Raft status'
            cand tokens 'Show or rotate the join tokens'
            cand credentials 'Manage operator credentials'
            cand deploy 'Validate and deploy a configuration; data nodes apply it atomically'
            cand get 'Show what is deployed'
            cand audit 'Show the newest changes made to the cluster: who, when, what'
            cand backup 'Write a backup of the cluster (configuration, certificates, CA, tokens, credentials)'
            cand restore 'Restore a backup into the running cluster through Raft, in one step'
            cand install 'Start a cluster on this machine (`--local`), wait until it is healthy, and connect'
            cand uninstall 'Stop a cluster started by `install --local` and remove its state'
            cand version 'Print the client''s and the cluster''s versions'
            cand completion 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'traefikeectl;help;connect'= {
        }
        &'traefikeectl;help;list-nodes'= {
        }
        &'traefikeectl;help;rm-node'= {
        }
        &'traefikeectl;help;status'= {
        }
        &'traefikeectl;help;tokens'= {
            cand show 'Print the join tokens as shell exports'
            cand rotate 'Replace both join tokens; the old ones are refused from then on'
        }
        &'traefikeectl;help;tokens;show'= {
        }
        &'traefikeectl;help;tokens;rotate'= {
        }
        &'traefikeectl;help;credentials'= {
            cand create 'Create one-time credentials for another operator'
            cand list 'List operator and one-time credentials with their status'
            cand revoke 'Revoke credentials by operator name, serial or id; every controller refuses them'
        }
        &'traefikeectl;help;credentials;create'= {
        }
        &'traefikeectl;help;credentials;list'= {
        }
        &'traefikeectl;help;credentials;revoke'= {
        }
        &'traefikeectl;help;deploy'= {
        }
        &'traefikeectl;help;get'= {
            cand config 'The deployed configuration (YAML unless -o json), and what each provider gave'
            cand providers 'The providers (etcd, Consul, Redis) and how each is doing'
        }
        &'traefikeectl;help;get;config'= {
        }
        &'traefikeectl;help;get;providers'= {
        }
        &'traefikeectl;help;audit'= {
        }
        &'traefikeectl;help;backup'= {
            cand inspect 'Print an archive''s manifest and verify every checksum (no cluster needed)'
        }
        &'traefikeectl;help;backup;inspect'= {
        }
        &'traefikeectl;help;restore'= {
        }
        &'traefikeectl;help;install'= {
        }
        &'traefikeectl;help;uninstall'= {
        }
        &'traefikeectl;help;version'= {
        }
        &'traefikeectl;help;completion'= {
        }
        &'traefikeectl;help;help'= {
        }
    ]
    $completions[$command]
}
