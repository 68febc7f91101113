//! `vector-runner --vectors DIR [--vectors DIR ...]`: runs every vector file natively and
//! prints one JSON report, in the same shape as the Python and Node runners.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut dirs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--vectors", Some(dir)) => dirs.push(dir),
            _ => {
                eprintln!("usage: vector-runner --vectors DIR [--vectors DIR ...]");
                return ExitCode::from(2);
            }
        }
    }
    match vector_runner::run_dirs(&dirs) {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("vector-runner: {err}");
            ExitCode::FAILURE
        }
    }
}
