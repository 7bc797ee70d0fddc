//! Personal overrides (issue 11): names, never values, except the one
//! value `set_override` carries sealed ([`IpcSecret`]).

use coffer_vault::ops::OverridePolicy;
use coffer_vault::{EnvPolicy, OverrideInfo};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::IpcSecret;

/// `env_policy`: one environment.
#[derive(Debug, Deserialize, TS)]
pub struct EnvArgs {
    /// `PROJECT/ENV`.
    pub env: String,
}

/// `list_overrides`: of one environment, or of every one.
#[derive(Debug, Deserialize, TS)]
pub struct ListOverridesArgs {
    /// `PROJECT/ENV`, or null for every environment.
    pub env: Option<String>,
}

/// One of the caller's personal overrides in an environment (its name,
/// never its value).
#[derive(Clone, Debug, Serialize, TS)]
pub struct OverrideDto {
    /// `PROJECT/ENV`.
    pub env: String,
    /// The key it overrides or adds.
    pub name: String,
    /// The shared environment lacks the key: the override adds it.
    pub added: bool,
    /// It applies now (the environment's policy allows overrides); when
    /// not, `coffer run` and exports use the shared value.
    pub applies: bool,
}

impl From<OverrideInfo> for OverrideDto {
    fn from(o: OverrideInfo) -> Self {
        Self {
            env: o.env,
            name: o.name,
            added: !o.shadows,
            applies: o.applies,
        }
    }
}

/// `set_override`: the caller's own value for `name` in `env`.
#[derive(Debug, Deserialize, TS)]
pub struct SetOverrideArgs {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Key name (an environment variable name).
    pub name: String,
    /// The value, sealed to the session's channel (the page's view: a string).
    #[ts(type = "string")]
    pub value: IpcSecret,
}

/// What `set_override` did.
#[derive(Clone, Debug, Serialize, TS)]
pub struct SetOverrideOutcome {
    /// A new override (else an existing one changed).
    pub created: bool,
    /// The shared environment lacks the key: the override adds it.
    pub added: bool,
}

/// An environment's override policy, as chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum OverridePolicyDto {
    /// Forbidden where the name starts with `prod`, allowed elsewhere.
    Default,
    /// Allowed, whatever the name.
    Allow,
    /// Forbidden, whatever the name.
    Forbid,
}

impl From<OverridePolicy> for OverridePolicyDto {
    fn from(p: OverridePolicy) -> Self {
        match p {
            OverridePolicy::Default => Self::Default,
            OverridePolicy::Allow => Self::Allow,
            OverridePolicy::Forbid => Self::Forbid,
        }
    }
}

impl From<OverridePolicyDto> for OverridePolicy {
    fn from(p: OverridePolicyDto) -> Self {
        match p {
            OverridePolicyDto::Default => Self::Default,
            OverridePolicyDto::Allow => Self::Allow,
            OverridePolicyDto::Forbid => Self::Forbid,
        }
    }
}

/// `env_policy`, `set_env_policy`'s result.
#[derive(Clone, Debug, Serialize, TS)]
pub struct EnvPolicyDto {
    /// `PROJECT/ENV`.
    pub env: String,
    /// What an owner or admin chose (`default` when nobody did).
    pub overrides: OverridePolicyDto,
    /// Whether personal overrides are allowed there now.
    pub overrides_allowed: bool,
    /// Whether the caller may change the policy (owners and admins).
    pub can_change: bool,
}

impl EnvPolicyDto {
    /// The DTO of `env`'s policy `p`, for a caller who may (or may not)
    /// change it.
    pub fn new(env: String, p: EnvPolicy, can_change: bool) -> Self {
        Self {
            env,
            overrides: p.overrides.into(),
            overrides_allowed: p.overrides_allowed,
            can_change,
        }
    }
}

/// `set_env_policy` (owners and admins).
#[derive(Debug, Deserialize, TS)]
pub struct SetEnvPolicyArgs {
    /// `PROJECT/ENV`.
    pub env: String,
    /// The policy to store.
    pub overrides: OverridePolicyDto,
}
