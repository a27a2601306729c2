//! `asterism`: see [`asterism::cmdline`].
fn main() -> std::process::ExitCode {
    asterism::cmdline::main()
}
