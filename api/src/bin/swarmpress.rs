//! The `swarmpress` command line; see [`swarmpress_api::cli`].

fn main() -> std::process::ExitCode {
    swarmpress_api::cli::main()
}
