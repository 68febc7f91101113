//! The built-in vectors pass natively (and the runner finds some: an empty run is a failure).

use std::path::Path;

#[test]
fn every_built_in_vector_passes_natively() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors");
    let report = vector_runner::run_dirs(&[dir.display().to_string()]);
    let Ok(report) = report else {
        panic!("cannot read {}: {report:?}", dir.display());
    };
    let files = report["files"].as_array().cloned().unwrap_or_default();
    let passed: u64 = files.iter().filter_map(|f| f["passed"].as_u64()).sum();
    let failures: Vec<_> = files
        .iter()
        .flat_map(|f| f["failures"].as_array().cloned().unwrap_or_default())
        .collect();
    assert!(passed > 0, "no vector ran");
    assert!(failures.is_empty(), "failures: {failures:#?}");
}
