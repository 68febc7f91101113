//! The WIT export layer: converts between the generated bindings and the rule modules.
//! No rule lives here.

wit_bindgen::generate!({
    world: "durable-core",
    path: "../wit",
});

use exports::durable::core::classify as wit_classify;
use exports::durable::core::info as wit_info;
use exports::durable::core::types as wit_types;

use crate::classify::{self, Api, ApiFailure, Category, Rule};
use crate::profile::Profile;

struct Component;

impl wit_info::Guest for Component {
    fn describe() -> wit_info::CoreInfo {
        wit_info::CoreInfo {
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            wit_version: crate::WIT_VERSION.to_string(),
            rules_version: crate::RULES_VERSION,
        }
    }
}

impl wit_classify::Guest for Component {
    fn classify(
        failure: wit_classify::ApiFailure,
        profile: wit_types::Profile,
    ) -> wit_classify::Classification {
        let api = match failure.api {
            wit_classify::Api::Checkpoint => Api::Checkpoint,
            wit_classify::Api::GetState => Api::GetState,
        };
        let rule = classify::classify(
            &ApiFailure {
                api,
                status: failure.status,
                code: failure.code.as_deref(),
                message: failure.message.as_deref(),
            },
            profile_from_wit(profile),
        );
        wit_classify::Classification {
            category: category_to_wit(rule.category()),
            retryable: rule.category() == Category::Invocation,
            rule: rule_to_wit(rule),
        }
    }

    fn rules() -> Vec<wit_classify::RuleInfo> {
        Rule::ALL
            .iter()
            .map(|&rule| wit_classify::RuleInfo {
                rule: rule_to_wit(rule),
                category: category_to_wit(rule.category()),
                retryable: rule.category() == Category::Invocation,
                summary: rule.summary().to_string(),
            })
            .collect()
    }

    fn classify_packed(options: u32, status: u32, code: String, message: String) -> u32 {
        crate::packed::classify_packed(options, status, &code, &message)
    }
}

fn profile_from_wit(profile: wit_types::Profile) -> Profile {
    match profile {
        wit_types::Profile::Unified => Profile::Unified,
        wit_types::Profile::Python => Profile::Python,
        wit_types::Profile::Ts => Profile::Ts,
    }
}

fn category_to_wit(category: Category) -> wit_classify::Category {
    match category {
        Category::Invocation => wit_classify::Category::Invocation,
        Category::Execution => wit_classify::Category::Execution,
    }
}

fn rule_to_wit(rule: Rule) -> wit_classify::Rule {
    match rule {
        Rule::KmsCustomerError => wit_classify::Rule::KmsCustomerError,
        Rule::StaleCheckpointToken => wit_classify::Rule::StaleCheckpointToken,
        Rule::Throttled => wit_classify::Rule::Throttled,
        Rule::ClientError => wit_classify::Rule::ClientError,
        Rule::ClientErrorWithoutBody => wit_classify::Rule::ClientErrorWithoutBody,
        Rule::ServerError => wit_classify::Rule::ServerError,
        Rule::NoHttpResponse => wit_classify::Rule::NoHttpResponse,
        Rule::OtherStatus => wit_classify::Rule::OtherStatus,
        Rule::StateFetchUnclassified => wit_classify::Rule::StateFetchUnclassified,
    }
}

export!(Component);
