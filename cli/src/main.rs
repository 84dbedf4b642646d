fn main() -> std::process::ExitCode {
    traefikee_cli::main()
}
