//! Generates `workers/src/api/staff/wire.rs` (the staff API's request and response types) from
//! `api/openapi.yaml` with typify (see ADR 0011). `wire_types_are_fresh` fails when the committed
//! file is stale; `UPDATE_GENERATED=1 cargo test -p testkit wire_types` rewrites it. It lives here,
//! not in `workers`, so a stale file that no longer compiles can still be regenerated.

use serde_json::Value;

const HEADER: &str = "//! The staff API's wire types, generated from `api/openapi.yaml` by typify.\n\
//! Do not edit: `UPDATE_GENERATED=1 cargo test -p testkit wire_types` regenerates this file.\n\
#![allow(unreachable_pub, clippy::all, clippy::pedantic, missing_docs, dead_code, unused_imports)]\n\n";

/// The components' schemas as a draft-07 root schema typify understands.
fn root_schema() -> schemars08::schema::RootSchema {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../api/openapi.yaml"
    ))
    .expect("read api/openapi.yaml");
    let spec: Value = serde_yaml_ng::from_str(&yaml).expect("api/openapi.yaml is YAML");
    let schemas = spec["components"]["schemas"].clone();
    let text = serde_json::to_string(&schemas)
        .expect("json")
        .replace("#/components/schemas/", "#/definitions/");
    let definitions: Value = serde_json::from_str(&text).expect("json");
    let root = serde_json::json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": definitions,
    });
    serde_json::from_value(root).expect("the component schemas are valid JSON Schema")
}

/// The generated Rust source.
fn generate() -> String {
    let root = root_schema();
    let mut settings = typify::TypeSpaceSettings::default();
    settings.with_struct_builder(false);
    let mut space = typify::TypeSpace::new(&settings);
    space
        .add_ref_types(root.definitions)
        .expect("typify accepts the component schemas");
    let file: syn::File = syn::parse2(space.to_stream()).expect("typify emits valid Rust");
    format!("{HEADER}{}", prettyplease::unparse(&file))
}

#[test]
fn wire_types_are_fresh() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../workers/src/api/staff/wire.rs"
    );
    let expected = generate();
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == expected,
        "workers/src/api/staff/wire.rs is stale: run UPDATE_GENERATED=1 cargo test -p testkit wire_types"
    );
}

/// The console's TypeScript types (`console/src/api.d.ts`) are generated from the same contract by
/// openapi-typescript (ADR 0011); this fails when they are stale. `UPDATE_GENERATED=1` rewrites them
/// (as `npm run generate` in `console/` does).
#[test]
fn console_types_are_fresh() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let cli = format!("{root}/console/node_modules/openapi-typescript/bin/cli.js");
    assert!(
        std::path::Path::new(&cli).is_file(),
        "openapi-typescript is missing: run tests/npm-install.sh"
    );
    let out = std::env::temp_dir().join(format!("ck8s-api-{}.d.ts", std::process::id()));
    let status = std::process::Command::new("node")
        .arg(&cli)
        .arg(format!("{root}/api/openapi.yaml"))
        .arg("-o")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run node");
    assert!(
        status.success(),
        "openapi-typescript failed on api/openapi.yaml"
    );
    let expected = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let path = format!("{root}/console/src/api.d.ts");
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "console/src/api.d.ts is stale: run UPDATE_GENERATED=1 cargo test -p testkit console_types (or npm run generate in console/)"
    );
}
