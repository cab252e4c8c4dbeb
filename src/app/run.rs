pub fn run(_args: &crate::cli::RunArgs) -> anyhow::Result<std::process::ExitCode> { todo!() }
