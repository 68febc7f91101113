//! Operation ids, both SDKs' schemes (sdk-behaviour.md section 4).
//!
//! ts (@aws/durable-execution-sdk-js): a hierarchical step id (`1`, `1-2`, `1-2-3`; the parent's
//! *unhashed* id as prefix), sent as the first 16 hex chars of its md5.
//! python (aws-durable-execution-sdk-python): `<n>` at the root or `<parent's hashed id>-<n>`,
//! hashed with blake2b (64-byte digest) and cut to its first 64 hex chars.

use crate::error::CoreError;
use crate::profile::Profile;
use blake2::{Blake2b512, Digest};
use md5::Md5;
use std::cell::RefCell;

/// The id of the `counter`-th operation (1-based) of a context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationId {
    /// What the next level uses as its prefix (ts: unhashed; python: the hashed id).
    pub step_id: String,
    /// What goes on the wire (`Id`, and children's `ParentId`).
    pub id: String,
}

/// `parent` is the parent context's `step_id` (None at the root).
pub fn operation_id(
    profile: Profile,
    parent: Option<&str>,
    counter: u32,
) -> Result<OperationId, CoreError> {
    if counter == 0 {
        return Err(CoreError::out_of_range(
            "counter",
            0,
            "operation counters start at 1",
        ));
    }
    if parent.is_some_and(str::is_empty) {
        return Err(CoreError::invalid(
            "parent",
            "\"\"",
            "a parent id cannot be empty",
        ));
    }
    if parent.is_none() && counter <= ROOT_CACHED {
        return Ok(root_id(profile, counter));
    }
    Ok(derive(profile, parent, counter))
}

/// Root contexts' first ids, derived once per thread and scheme: every invocation of every
/// execution asks for the same `1`, `2`, `3`... and a hash costs more than the rest of a step.
const ROOT_CACHED: u32 = 256;

fn root_id(profile: Profile, counter: u32) -> OperationId {
    thread_local! {
        /// By scheme (python; ts and unified), by counter - 1.
        static ROOT: RefCell<[Vec<OperationId>; 2]> = const { RefCell::new([Vec::new(), Vec::new()]) };
    }
    let scheme = usize::from(profile != Profile::Python);
    ROOT.with_borrow_mut(|schemes| {
        let Some(ids) = schemes.get_mut(scheme) else {
            return derive(profile, None, counter);
        };
        while ids.len() < counter as usize {
            let next = ids.len() as u32 + 1;
            ids.push(derive(profile, None, next));
        }
        ids.get(counter as usize - 1)
            .cloned()
            .unwrap_or_else(|| derive(profile, None, counter))
    })
}

fn derive(profile: Profile, parent: Option<&str>, counter: u32) -> OperationId {
    let logical = match parent {
        Some(p) => format!("{p}-{counter}"),
        None => counter.to_string(),
    };
    match profile {
        Profile::Python => {
            let id = hex(&Blake2b512::digest(logical.as_bytes()), 64);
            OperationId {
                step_id: id.clone(),
                id,
            }
        }
        // unified keeps the reference (JS) scheme.
        Profile::Ts | Profile::Unified => OperationId {
            id: hash_step_id(&logical),
            step_id: logical,
        },
    }
}

/// The JS SDK's `hashId`: md5, first 16 hex chars.
pub fn hash_step_id(step_id: &str) -> String {
    hex(&Md5::digest(step_id.as_bytes()), 16)
}

fn hex(bytes: &[u8], chars: usize) -> String {
    let mut out = String::with_capacity(chars);
    for b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            if out.len() == chars {
                return out;
            }
            out.push(crate::json::hex_digit(nibble));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(profile: Profile, parent: Option<&str>, n: u32) -> OperationId {
        operation_id(profile, parent, n).unwrap_or_else(|e| OperationId {
            step_id: e.to_string(),
            id: e.to_string(),
        })
    }

    #[test]
    fn cached_root_ids_are_the_derived_ones() {
        for profile in [Profile::Python, Profile::Ts, Profile::Unified] {
            // Past the cache's end too, and out of order (the cache fills lazily).
            for n in [3, 1, 2, 256, 255, 257, 1000, 17] {
                assert_eq!(
                    id(profile, None, n),
                    derive(profile, None, n),
                    "{profile:?} {n}"
                );
            }
        }
    }

    #[test]
    fn pinned_ids_from_sdk_behaviour_section_4() {
        assert_eq!(id(Profile::Ts, None, 1).id, "c4ca4238a0b92382");
        assert_eq!(id(Profile::Ts, None, 2).id, "c81e728d9d4c2f63");
        assert_eq!(id(Profile::Ts, Some("1"), 1).id, "ea66c06c1e1c05fa");
        assert_eq!(id(Profile::Ts, Some("1"), 2).id, "98c6f2c2287f4c73");
        let root = id(Profile::Python, None, 1);
        assert_eq!(
            root.id,
            "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"
        );
        assert_eq!(
            id(Profile::Python, None, 2).id,
            "c5faca15ac2f93578b39ef4b6bbb871bdedce4ddd584fd31f0bb66fade3947e6"
        );
        assert_eq!(
            id(Profile::Python, Some(&root.step_id), 1).id,
            "974bfc6321e227b0ff101342eaf19b336f002dc6cc99c18f0941a7755cc20fc4"
        );
    }

    #[test]
    fn bad_counters_and_parents_are_errors() {
        assert!(operation_id(Profile::Ts, None, 0).is_err());
        assert!(operation_id(Profile::Python, Some(""), 1).is_err());
    }
}
