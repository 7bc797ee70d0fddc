//! Personal overrides (issue 11): the caller's own values for keys of an
//! environment, and the environment's policy. Same shape as the other
//! commands: validate, one `coffer-vault` call, map the error. Names cross
//! IPC, a value only inbound and sealed (`set_override`).

use crate::dto::*;
use crate::error::IpcResult;
use crate::session::Session;

use super::key_name;

/// The caller's overrides of an environment, or of every one, in
/// environment then name order (names only; `applies` is false where the
/// policy forbids them now).
pub fn list_overrides(s: &Session, a: ListOverridesArgs) -> IpcResult<Vec<OverrideDto>> {
    let env = a.env.as_deref().map(str::trim);
    let list = s.with_vault(|v| v.list_overrides(env))?;
    Ok(list.into_iter().map(OverrideDto::from).collect())
}

/// Sets (creates or changes) the caller's override of a key. Refused
/// (`conflict`) where the environment's policy forbids overrides.
pub fn set_override(s: &Session, a: SetOverrideArgs) -> IpcResult<SetOverrideOutcome> {
    let name = a.name.trim();
    key_name(name)?;
    let value = s.unseal("set_override", &a.value)?;
    let env = a.env.trim();
    s.with_vault(|v| {
        let created = v.set_override(env, name, &value)?;
        let added = v
            .list_overrides(Some(env))?
            .into_iter()
            .any(|o| o.name == name && !o.shadows);
        Ok(SetOverrideOutcome { created, added })
    })
}

/// Removes the caller's override of a key (whatever the policy).
pub fn remove_override(s: &Session, a: ItemRef) -> IpcResult<()> {
    key_name(&a.name)?;
    s.with_vault(|v| v.remove_override(a.env.trim(), &a.name))
}

/// An environment's override policy, and whether the caller may change it.
pub fn env_policy(s: &Session, a: EnvArgs) -> IpcResult<EnvPolicyDto> {
    let env = a.env.trim();
    s.with_vault(|v| {
        Ok(EnvPolicyDto::new(
            env.into(),
            v.env_policy(env)?,
            v.manages()?,
        ))
    })
}

/// Sets an environment's override policy (owners and admins; the vault
/// refuses anyone else).
pub fn set_env_policy(s: &Session, a: SetEnvPolicyArgs) -> IpcResult<EnvPolicyDto> {
    let env = a.env.trim();
    s.with_vault(|v| {
        v.set_env_policy(env, a.overrides.into())?;
        Ok(EnvPolicyDto::new(
            env.into(),
            v.env_policy(env)?,
            v.manages()?,
        ))
    })
}
