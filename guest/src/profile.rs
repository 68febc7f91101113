//! Rule profiles: the released SDKs disagree, so every rule is parameterised by one.

use crate::error::CoreError;

/// Which rule set to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// durable-core's documented reconciliation.
    #[default]
    Unified,
    /// aws-durable-execution-sdk-python 3.0.0, exactly.
    Python,
    /// @aws/durable-execution-sdk-js 2.4.0, exactly.
    Ts,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Unified, Profile::Python, Profile::Ts];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Unified => "unified",
            Profile::Python => "python",
            Profile::Ts => "ts",
        }
    }

    pub fn from_name(name: &str) -> Result<Self, CoreError> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| CoreError::invalid("profile", name, "expected unified, python or ts"))
    }
}
