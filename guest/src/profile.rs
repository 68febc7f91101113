//! Rule profiles: the released SDKs disagree, so every rule is parameterised by one.
//!
//! Two levels:
//! - [`Profile`], the family (`unified`, `python`, `ts`): what the retry and step rules and the
//!   WIT `profile` enum key on. No released SDK version differs from another of its family in
//!   those rules today.
//! - [`Release`], one row of [`RELEASES`]: a profile named after the SDK release it reproduces
//!   (`python@3.0.0`, `ts@2.4.0`), its family, and the parameters of the classification rules,
//!   which do differ between releases (JS fixed the stale-token spelling after 2.4.0,
//!   aws-durable-execution-sdk-js#920).
//!
//! Adding a profile for a new SDK release is a data change: append a row to [`RELEASES`]
//! (after the older releases of its family, so the family's alias moves to it), add vectors
//! for it, and bump [`crate::RULES_VERSION`], since the alias now answers differently. A release
//! that changes a retry or step rule needs a parameter in that rule first.

use crate::classify::{ClassifyRules, StaleToken, StatedScope};
use crate::error::CoreError;

/// Which rule family to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// durable-core's documented reconciliation.
    #[default]
    Unified,
    /// aws-durable-execution-sdk-python (newest release in [`RELEASES`]: 3.0.0).
    Python,
    /// @aws/durable-execution-sdk-js (newest release in [`RELEASES`]: 2.4.0).
    Ts,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Unified, Profile::Python, Profile::Ts];

    /// The family's name, which is also the alias of its newest release.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Unified => "unified",
            Profile::Python => "python",
            Profile::Ts => "ts",
        }
    }

    /// The family of any profile name: a family alias (`ts`) or a release (`ts@2.4.0`).
    pub fn from_name(name: &str) -> Result<Self, CoreError> {
        release(name).map(|r| r.family)
    }

    /// The newest release of this family: what the alias `name()` stands for.
    pub fn release(self) -> &'static Release {
        RELEASES
            .iter()
            .rfind(|r| r.family == self)
            .unwrap_or(&UNIFIED)
    }
}

/// One profile named after the release it reproduces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Release {
    /// `<family>@<sdk version>`, or `unified`.
    pub name: &'static str,
    pub family: Profile,
    /// What it reproduces, for a person.
    pub reproduces: &'static str,
    pub classify: ClassifyRules,
}

impl Release {
    /// Its position in [`RELEASES`] (the release id of `classify-packed`, minus one).
    pub fn index(&self) -> usize {
        RELEASES
            .iter()
            .position(|r| r.name == self.name)
            .unwrap_or(0)
    }

    /// The family alias that names this release, when it is its family's newest.
    pub fn alias(&self) -> Option<&'static str> {
        (self.family != Profile::Unified && self.family.release().name == self.name)
            .then(|| self.family.name())
    }
}

/// Every profile, oldest release of a family first. `unified` is first, so it is index 0.
pub const RELEASES: &[Release] = &[UNIFIED, PYTHON_3_0_0, TS_2_4_0];

const UNIFIED: Release = Release {
    name: "unified",
    family: Profile::Unified,
    reproduces: "durable-core's documented reconciliation",
    classify: ClassifyRules {
        kms_first: false,
        // Either SDK's spelling: the service's lower-case one and JS 2.4.0's title case.
        stale_token: StaleToken {
            prefix: "Invalid checkpoint token",
            ignore_case: true,
        },
        bodyless_4xx_retried: false,
        get_state_classified: true,
        stated_scope: StatedScope::Both,
        get_state_stated_scope: StatedScope::Both,
        reads_wrapped: true,
        text_429_throttles: true,
    },
};

const PYTHON_3_0_0: Release = Release {
    name: "python@3.0.0",
    family: Profile::Python,
    reproduces: "aws-durable-execution-sdk-python 3.0.0",
    classify: ClassifyRules {
        kms_first: true,
        stale_token: StaleToken {
            prefix: "Invalid checkpoint token",
            ignore_case: false,
        },
        bodyless_4xx_retried: true,
        get_state_classified: true,
        // A BotoClientError's error_category, acted on by is_retryable() for both calls.
        stated_scope: StatedScope::Both,
        get_state_stated_scope: StatedScope::Both,
        // from_exception reads the raised exception's own `response` only.
        reads_wrapped: false,
        // The SDK raises TypeError comparing a text status; the number is used instead.
        text_429_throttles: true,
    },
};

const TS_2_4_0: Release = Release {
    name: "ts@2.4.0",
    family: Profile::Ts,
    reproduces: "@aws/durable-execution-sdk-js 2.4.0",
    classify: ClassifyRules {
        kms_first: false,
        stale_token: StaleToken {
            prefix: "Invalid Checkpoint Token",
            ignore_case: false,
        },
        bodyless_4xx_retried: false,
        get_state_classified: false,
        stated_scope: StatedScope::Both,
        // withDurableExecution's catch acts on a stated EXECUTION only.
        get_state_stated_scope: StatedScope::ExecutionOnly,
        // classifyCheckpointError reads the thrown value only, never its `cause`.
        reads_wrapped: false,
        // `statusCode !== 429` is strict: the text '429' is a 4xx but not throttling.
        text_429_throttles: false,
    },
};

/// The profile a name stands for: a release name (`ts@2.4.0`), a family alias (`ts`, its
/// newest release) or `unified`.
pub fn release(name: &str) -> Result<&'static Release, CoreError> {
    if let Some(r) = RELEASES.iter().find(|r| r.name == name) {
        return Ok(r);
    }
    Profile::ALL
        .into_iter()
        .find(|p| p.name() == name)
        .map(Profile::release)
        .ok_or_else(|| {
            CoreError::invalid(
                "profile",
                name,
                "expected unified, python, ts or a release profile such as python@3.0.0 or ts@2.4.0",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_name_the_newest_release_of_their_family() {
        assert_eq!(Profile::Python.release().name, "python@3.0.0");
        assert_eq!(Profile::Ts.release().name, "ts@2.4.0");
        assert_eq!(Profile::Unified.release().name, "unified");
        assert_eq!(release("ts"), release("ts@2.4.0"));
        assert_eq!(release("python"), release("python@3.0.0"));
        assert_eq!(TS_2_4_0.alias(), Some("ts"));
        assert_eq!(UNIFIED.alias(), None);
        assert_eq!(RELEASES.first(), Some(&UNIFIED));
    }

    #[test]
    fn the_next_js_release_is_one_row_of_data() {
        // aws-durable-execution-sdk-js#920 (merged, unreleased): the service's lower-case
        // stale-token spelling, case-sensitively. Nothing else changes from 2.4.0.
        let next = Release {
            name: "ts@next",
            classify: ClassifyRules {
                stale_token: StaleToken {
                    prefix: "Invalid checkpoint token",
                    ignore_case: false,
                },
                ..TS_2_4_0.classify
            },
            ..TS_2_4_0
        };
        let service_spelling = crate::classify::ApiFailure {
            api: crate::classify::Api::Checkpoint,
            status: Some(400),
            code: Some("InvalidParameterValueException"),
            message: Some("Invalid checkpoint token: superseded"),
        };
        let report = crate::classify::Report::from(service_spelling);
        let rule = |r: &Release| crate::classify::classify_report(&report, &r.classify);
        assert_eq!(rule(&TS_2_4_0), crate::classify::Rule::ClientError);
        assert_eq!(rule(&next), crate::classify::Rule::StaleCheckpointToken);
    }

    #[test]
    fn names_are_unique_and_indexed() {
        for (i, r) in RELEASES.iter().enumerate() {
            assert_eq!(r.index(), i);
            assert_eq!(RELEASES.iter().filter(|o| o.name == r.name).count(), 1);
            assert!(r.family == Profile::Unified || r.name.starts_with(r.family.name()));
        }
    }

    #[test]
    fn from_name_accepts_every_spelling_and_names_the_field_otherwise() {
        assert_eq!(Profile::from_name("ts@2.4.0"), Ok(Profile::Ts));
        assert_eq!(Profile::from_name("python"), Ok(Profile::Python));
        assert_eq!(Profile::from_name("unified"), Ok(Profile::Unified));
        for bad in ["ts@2.3.0", "TS", "python@", ""] {
            let err = Profile::from_name(bad).err();
            assert_eq!(err.as_ref().map(|e| e.field.as_str()), Some("profile"));
            assert_eq!(err.map(|e| e.value), Some(bad.to_string()));
        }
    }
}
