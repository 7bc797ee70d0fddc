//! Renders `ui/src/lib/bindings.ts`: every IPC DTO as a TypeScript type and
//! a `Commands` map (command → args and result types) that the UI's one
//! `ipc` module is typed against. The committed file is checked by a test:
//! it fails when the Rust types changed and the file was not regenerated
//! (`UPDATE_BINDINGS=1 cargo test -p coffer-desktop --lib bindings`).

use ts_rs::{Config, TS};

use crate::dto::*;
use crate::error::{IpcError, IpcErrorCode};

/// Where the bindings live, relative to this crate.
pub const BINDINGS_PATH: &str = "../ui/src/lib/bindings.ts";

fn decl<T: TS>(cfg: &Config, out: &mut String) {
    if let Some(docs) = T::docs() {
        out.push_str(&docs);
    }
    out.push_str("export ");
    out.push_str(&T::decl(cfg));
    out.push_str("\n\n");
}

/// The TypeScript text of the bindings.
pub fn render() -> String {
    // Integers are unix seconds, versions and counts: all below 2^53.
    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(
        "// Generated from the Rust types in src-tauri (src/dto.rs, src/error.rs, the\n\
         // command list in src/lib.rs). Do not edit: run\n\
         //   UPDATE_BINDINGS=1 cargo test -p coffer-desktop --lib bindings\n\
         // A test fails when this file is stale.\n\n",
    );
    macro_rules! decls { ($($t:ty),* $(,)?) => { $( decl::<$t>(&cfg, &mut out); )* }; }
    decls!(
        IpcErrorCode,
        IpcError,
        IdentityDto,
        AppStatus,
        LockReason,
        LockedEvent,
        VaultChangedEvent,
        PickPurpose,
        PickPathArgs,
        PickedPathDto,
        ScanFolderArgs,
        ScanProgressDto,
        ScanPlaceDto,
        ScanVersionDto,
        ScanCredentialDto,
        ScanReportDto,
        ScanMarkArgs,
        ScanMarkedDto,
        HygieneArgs,
        HygieneCredentialDto,
        HygieneFindingDto,
        CheckExampleArgs,
        ExampleCheckDto,
        EnvArgs,
        ListOverridesArgs,
        OverrideDto,
        SetOverrideArgs,
        SetOverrideOutcome,
        OverridePolicyDto,
        EnvPolicyDto,
        SetEnvPolicyArgs,
        SettingsDto,
        KeychainEntry,
        KeychainStatusDto,
        KdfDto,
        ChangePasswordArgs,
        RatePassphraseArgs,
        OpenChannelArgs,
        ChannelDto,
        PassphraseStrengthDto,
        CreateIdentityOutcome,
        EnvDto,
        RotationStatus,
        ItemDto,
        HistoryDto,
        SetOutcomeDto,
        RevealedValue,
        GeneratedValue,
        CopyOutcome,
        RotationCounts,
        RotationReport,
        VaultSnapshot,
        CreateIdentityArgs,
        CreateVaultArgs,
        UnlockArgs,
        AddEnvArgs,
        RenameEnvArgs,
        RemoveEnvArgs,
        EnvRemovalDto,
        RemovalPreviewDto,
        RemovedDto,
        ListItemsArgs,
        ItemRef,
        CopyItemArgs,
        SetItemArgs,
        GenerateArgs,
        RotationListArgs,
        RotateItemArgs,
        MemberRole,
        AccessLevel,
        GrantDto,
        MemberDto,
        IdentityPreviewDto,
        ItemSharingDto,
        RekeyPreviewDto,
        OffboardPreviewDto,
        OffboardProgressDto,
        ExposedItemDto,
        ExposureReportDto,
        SavedReportDto,
        MemberRef,
        InspectIdentityArgs,
        AddMemberArgs,
        SetRoleArgs,
        SetAccessArgs,
        ShareArgs,
        OffboardArgs,
        ReportFormat,
        SaveReportArgs,
        AuditQueryArgs,
        AuditEntryDto,
        AuditFacetDto,
        AuditPageDto,
        HeadStatus,
        ChainDto,
        VerifyDto,
        ExportArgs,
        ExportOutcome,
        RestoreArgs,
        OpenVaultArgs,
        RemoteKind,
        RemoteArgs,
        JoinArgs,
        JoinPreviewDto,
        FeedDto,
        RejectedDto,
        SyncStateDto,
        SyncOutcomeDto,
        ConflictArgs,
        ConflictVersionDto,
        ConflictsDto,
        ResolveArgs,
        PublicIdentityDto,
        RebuildOutcomeDto,
    );
    out.push_str(
        "/** Every IPC command: its argument (passed as `{ args }`) and result. */\n\
         export type Commands = {\n",
    );
    for (name, args, ret) in crate::command_signatures(&cfg) {
        let args = args.unwrap_or_else(|| "null".into());
        let ret = if ret == "null" {
            "void".to_string()
        } else {
            ret
        };
        out.push_str(&format!("  {name}: {{ args: {args}; result: {ret} }};\n"));
    }
    out.push_str("};\n\n/** The command names. */\nexport const COMMANDS = [\n");
    for name in crate::REGISTERED {
        out.push_str(&format!("  \"{name}\",\n"));
    }
    out.push_str("] as const;\n");
    // The rule behind ItemDto.dangerous, for the mock backend (one list,
    // in coffer_vault::dangerous).
    out.push_str(
        "\n/** Names that decide what code runs (`coffer_vault::dangerous`): a\n \
         * family matches by prefix; both ignore ASCII case. */\n\
         export const DANGEROUS_VARS: ReadonlyArray<{ name: string; family: boolean; reason: string }> = [\n",
    );
    for d in coffer_vault::dangerous::DANGEROUS_VARS {
        out.push_str(&format!(
            "  {{ name: {}, family: {}, reason: {} }},\n",
            serde_json::Value::from(d.name),
            d.family,
            serde_json::Value::from(d.reason)
        ));
    }
    out.push_str("];\n");
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn bindings_are_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(super::BINDINGS_PATH);
        let want = super::render();
        if std::env::var("UPDATE_BINDINGS").as_deref() == Ok("1") {
            std::fs::write(&path, &want).expect("write bindings");
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "ui/src/lib/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p coffer-desktop --lib bindings` and commit it"
        );
    }

    #[test]
    fn every_command_type_is_declared() {
        let ts = super::render();
        let cfg = ts_rs::Config::new().with_large_int("number");
        for (name, args, ret) in crate::command_signatures(&cfg) {
            for ty in args.into_iter().chain([ret]) {
                // `Vec<T>` renders as `Array<T>`; check the named types inside.
                for word in ty.split(|c: char| !c.is_alphanumeric() && c != '_') {
                    let builtin = ["", "Array", "null", "void", "string", "number", "boolean"];
                    if builtin.contains(&word) {
                        continue;
                    }
                    assert!(
                        ts.contains(&format!("export type {word} =")),
                        "{name} uses {word}, which bindings.rs does not declare"
                    );
                }
            }
        }
    }

    #[test]
    fn ipc_error_has_one_typescript_type_of_code_and_message() {
        let ts = super::render();
        assert_eq!(ts.matches("export type IpcError =").count(), 1);
        assert!(ts.contains("export type IpcError = { \n/**\n * What kind of failure.\n */\ncode: IpcErrorCode, \n/**\n * One readable sentence for the user.\n */\nmessage: string, };")
            || ts.contains("export type IpcError = { code: IpcErrorCode, message: string, };"),
            "{ts}");
        assert!(ts.contains("\"locked\""));
    }
}
