fn main() -> std::process::ExitCode {
    traefikee_node::cli::main()
}
