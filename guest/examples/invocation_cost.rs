//! The core's own cost of one first-run STEP invocation, for `valgrind --tool=callgrind`
//! (bench/core-instructions prints it per phase): open an envelope, run one step with a 100-byte result through the
//! JSON calls the hosts make (the Node host's request texts, byte for byte), store it, finish and
//! read the output. `invocation_cost N` does it
//! N times; the cost of one is the difference between N = 1 and N = 0 (process start-up cancels).
//! `invocation_cost N CALLS` stops each invocation after CALLS calls (input, step, step-done,
//! next-io, io-done, finish, output), so differences give each phase's cost.

use durable_core::invocation::api::{call_json, open_json};

const ENVELOPE: &str = r#"{"profile":"ts","envelope":{"DurableExecutionArn":"arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/run/exec-1","CheckpointToken":"token-0","InitialExecutionState":{"Operations":[{"Id":"exec-1","Type":"EXECUTION","Status":"STARTED","ExecutionDetails":{"InputPayload":"{}"}}]}}}"#;

fn one(payload: &str, calls: usize) -> usize {
    let Ok(mut inv) = open_json(ENVELOPE) else {
        return 0;
    };
    let none = |_: u32| None;
    let mut out = 0;
    let mut made = 0;
    let mut call = |request: &str, payload: &str| {
        if made < calls {
            made += 1;
            out += call_json(&mut inv, request, payload, &none).len();
        }
    };
    call(r#"{"call":"input"}"#, "");
    call(
        r#"{"call":"step","context":0,"name":"charge","semantics":"AT_LEAST_ONCE_PER_RETRY","now_ms":1700000000000}"#,
        "",
    );
    call(
        r#"{"call":"step-done","op":0,"now_ms":1700000000000,"outcome":{"success":{}},"payload":true}"#,
        payload,
    );
    call(r#"{"call":"next-io","until":2}"#, "");
    call(
        r#"{"call":"io-done","ok":{"CheckpointToken":"token-1","NewExecutionState":{"Operations":[]}}}"#,
        "",
    );
    call(
        r#"{"call":"finish","now_ms":1700000000000,"outcome":"return","payload":true}"#,
        "\"done\"",
    );
    call(r#"{"call":"output"}"#, "");
    out
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let calls: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(usize::MAX);
    let payload = format!("\"{}\"", "x".repeat(98));
    let total: usize = (0..n).map(|_| one(&payload, calls)).sum();
    println!("{total}");
}
