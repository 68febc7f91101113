//! The flat calling convention of `classify-packed`: one options word, the status and two
//! strings, for hosts where converting a record costs more than the rule itself.

use crate::classify::{classify, Api, ApiFailure};
use crate::profile::Profile;

const API_GET_STATE: u32 = 1;
const PROFILE_SHIFT: u32 = 1;
const PROFILE_MASK: u32 = 0b11 << PROFILE_SHIFT;
const CODE_PRESENT: u32 = 1 << 3;
const MESSAGE_PRESENT: u32 = 1 << 4;
const KNOWN_BITS: u32 = API_GET_STATE | PROFILE_MASK | CODE_PRESENT | MESSAGE_PRESENT;

/// Returned when the options word or the status is outside the documented ranges.
pub const INVALID: u32 = u32::MAX;

/// Decode the options word and classify; returns the rule's discriminant or [`INVALID`].
pub fn classify_packed(options: u32, status: u32, code: &str, message: &str) -> u32 {
    if options & !KNOWN_BITS != 0 {
        return INVALID;
    }
    let profile = match (options & PROFILE_MASK) >> PROFILE_SHIFT {
        0 => Profile::Unified,
        1 => Profile::Python,
        2 => Profile::Ts,
        _ => return INVALID,
    };
    let Ok(status) = u16::try_from(status) else {
        return INVALID;
    };
    let failure = ApiFailure {
        api: if options & API_GET_STATE != 0 {
            Api::GetState
        } else {
            Api::Checkpoint
        },
        status: Some(status),
        code: (options & CODE_PRESENT != 0).then_some(code),
        message: (options & MESSAGE_PRESENT != 0).then_some(message),
    };
    classify(&failure, profile).index()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Rule;

    #[test]
    fn rejects_unknown_bits_profiles_and_statuses() {
        assert_eq!(classify_packed(1 << 5, 500, "", ""), INVALID);
        assert_eq!(classify_packed(3 << PROFILE_SHIFT, 500, "", ""), INVALID);
        assert_eq!(classify_packed(0, 65_536, "", ""), INVALID);
    }

    #[test]
    fn presence_bits_decide_whether_a_4xx_has_a_body_in_python() {
        let python = 1 << PROFILE_SHIFT;
        assert_eq!(
            classify_packed(python, 400, "", ""),
            Rule::ClientErrorWithoutBody.index()
        );
        assert_eq!(
            classify_packed(python | CODE_PRESENT, 400, "", ""),
            Rule::ClientError.index()
        );
    }
}
