//! The flat calling convention of `classify-packed`: one options word, the status and two
//! strings, for hosts where converting a record costs more than the rule itself.

use crate::classify::{classify_report, Api, ApiFailure, Category, Report};
use crate::profile::{Profile, RELEASES};

const API_GET_STATE: u32 = 1;
const PROFILE_SHIFT: u32 = 1;
const PROFILE_MASK: u32 = 0b11 << PROFILE_SHIFT;
const CODE_PRESENT: u32 = 1 << 3;
const MESSAGE_PRESENT: u32 = 1 << 4;
const SCOPE_STATED: u32 = 1 << 5;
const SCOPE_EXECUTION: u32 = 1 << 6;
const WRAPPED: u32 = 1 << 7;
const RELEASE_SHIFT: u32 = 8;
const RELEASE_MASK: u32 = 0xFF << RELEASE_SHIFT;
const KNOWN_BITS: u32 = API_GET_STATE
    | PROFILE_MASK
    | CODE_PRESENT
    | MESSAGE_PRESENT
    | SCOPE_STATED
    | SCOPE_EXECUTION
    | WRAPPED
    | RELEASE_MASK;

/// Returned when the options word or the status is outside the documented ranges.
pub const INVALID: u32 = u32::MAX;

/// Decode the options word and classify; returns the rule's discriminant or [`INVALID`].
pub fn classify_packed(options: u32, status: u32, code: &str, message: &str) -> u32 {
    if options & !KNOWN_BITS != 0 {
        return INVALID;
    }
    let family = match (options & PROFILE_MASK) >> PROFILE_SHIFT {
        0 => Profile::Unified,
        1 => Profile::Python,
        2 => Profile::Ts,
        _ => return INVALID,
    };
    let release = match (options & RELEASE_MASK) >> RELEASE_SHIFT {
        0 => family.release(),
        id if options & PROFILE_MASK == 0 => match RELEASES.get(id as usize - 1) {
            Some(r) => r,
            None => return INVALID,
        },
        _ => return INVALID,
    };
    let stated_scope = match (options & SCOPE_STATED != 0, options & SCOPE_EXECUTION != 0) {
        (false, false) => None,
        (false, true) => return INVALID,
        (true, false) => Some(Category::Invocation),
        (true, true) => Some(Category::Execution),
    };
    let Ok(status) = u16::try_from(status) else {
        return INVALID;
    };
    let report = Report {
        failure: ApiFailure {
            api: if options & API_GET_STATE != 0 {
                Api::GetState
            } else {
                Api::Checkpoint
            },
            status: Some(status),
            code: (options & CODE_PRESENT != 0).then_some(code),
            message: (options & MESSAGE_PRESENT != 0).then_some(message),
        },
        status_text: None,
        stated_scope,
        wrapped: options & WRAPPED != 0,
    };
    classify_report(&report, &release.classify).index()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Rule;

    #[test]
    fn rejects_unknown_bits_profiles_releases_and_statuses() {
        assert_eq!(classify_packed(1 << 16, 500, "", ""), INVALID);
        assert_eq!(classify_packed(3 << PROFILE_SHIFT, 500, "", ""), INVALID);
        assert_eq!(classify_packed(0, 65_536, "", ""), INVALID);
        assert_eq!(classify_packed(SCOPE_EXECUTION, 500, "", ""), INVALID);
        let past_the_table = (RELEASES.len() as u32 + 1) << RELEASE_SHIFT;
        assert_eq!(classify_packed(past_the_table, 500, "", ""), INVALID);
        // A release id and a family at once is ambiguous.
        assert_eq!(
            classify_packed((1 << RELEASE_SHIFT) | (1 << PROFILE_SHIFT), 500, "", ""),
            INVALID
        );
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

    #[test]
    fn release_ids_and_family_bits_agree_for_aliases() {
        for (i, r) in RELEASES.iter().enumerate() {
            let by_id = ((i as u32 + 1) << RELEASE_SHIFT) | CODE_PRESENT | MESSAGE_PRESENT;
            let family = match r.family {
                Profile::Unified => 0,
                Profile::Python => 1,
                Profile::Ts => 2,
            } << PROFILE_SHIFT;
            let by_family = family | CODE_PRESENT | MESSAGE_PRESENT;
            let msg = "Invalid checkpoint token: stale";
            assert_eq!(
                classify_packed(by_id, 400, "InvalidParameterValueException", msg),
                classify_packed(by_family, 400, "InvalidParameterValueException", msg),
                "{}",
                r.name
            );
        }
    }

    #[test]
    fn scope_and_wrapped_bits_reach_the_rules() {
        let stated = SCOPE_STATED | SCOPE_EXECUTION | CODE_PRESENT;
        assert_eq!(
            classify_packed(stated, 503, "ServiceException", ""),
            Rule::StatedExecution.index()
        );
        let ts_wrapped = (2 << PROFILE_SHIFT) | WRAPPED | CODE_PRESENT;
        assert_eq!(
            classify_packed(ts_wrapped, 502, "KMSDisabledException", ""),
            Rule::NoHttpResponse.index()
        );
        assert_eq!(
            classify_packed(WRAPPED | CODE_PRESENT, 502, "KMSDisabledException", ""),
            Rule::KmsCustomerError.index()
        );
    }
}
