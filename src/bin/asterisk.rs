//! `asterisk`: the same program under the name tools and the Asterisk
//! testsuite call.
fn main() -> std::process::ExitCode {
    asterism::cmdline::main()
}
