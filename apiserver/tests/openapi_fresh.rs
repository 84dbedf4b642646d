//! The committed OpenAPI document must match the one generated from the code.

#[test]
fn committed_openapi_document_is_fresh() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let generated = traefikee_apiserver::openapi::document();
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(path, &generated).expect("write openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "apiserver/openapi.json is stale; regenerate it with:\n  UPDATE_GENERATED=1 cargo test -p traefikee-apiserver --test openapi_fresh"
    );
}
